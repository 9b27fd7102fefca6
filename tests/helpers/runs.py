"""Running the entry points as a user would, and reading what a run leaves behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.paths import ROOT


def run_entry(script: str, run_dir: Path | None, *overrides: str, env: dict | None = None, check: bool = True,
              multirun: bool = False):
    """Run train.py / evaluate.py as a user would; returns the CompletedProcess."""
    command = [sys.executable, str(ROOT / script), *(["-m"] if multirun else []),
               *([f"hydra.run.dir={run_dir}"] if run_dir else []), *overrides]
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=600)
    if check and result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        raise AssertionError(f"{script} {' '.join(overrides)} failed:\n{output}")
    return result


def kill_when_written(overrides: list[str], path: Path, timeout: float = 180, multirun: bool = False) -> int:
    """Start train.py, wait until `path` exists, let it run a second more, then SIGKILL it; its exit code."""
    command = [sys.executable, str(ROOT / "train.py"), *(["-m"] if multirun else []), *overrides]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)  # a few more epochs, then the hard kill
    process.send_signal(signal.SIGKILL)
    return process.wait()


def read_metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())

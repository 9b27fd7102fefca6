"""Shared test set-up: offline W&B in a temp dir, no network, helpers to run the entry points."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Under `pytest -n N` (pytest-xdist) the workers share the cores: one thread per process, for the
# workers and the train.py / evaluate.py they start, or OpenMP threads spin against each other.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"


@pytest.fixture(autouse=True, scope="session")
def _offline_wandb(tmp_path_factory):
    wandb_dir = tmp_path_factory.mktemp("wandb")
    os.environ.update({"WANDB_MODE": "offline", "WANDB_DIR": str(wandb_dir), "WANDB_SILENT": "true",
                       "WANDB_CACHE_DIR": str(wandb_dir / "cache"), "WANDB_CONFIG_DIR": str(wandb_dir / "config"),
                       "WANDB_DATA_DIR": str(wandb_dir / "data")})
    os.environ.pop("WANDB_API_KEY", None)


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


def datamodule(name: str, **values):
    """The DataModule of conf/data/<name> built the way train.py builds it: the schema's defaults with
    `values` on top (and, outside a run, root "data", seed 0 and no cache unless given)."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from infocam_lit.run.config import SCHEMAS

    schema = {(group, option): node for group, option, node in SCHEMAS}[("data", name)]
    outside_a_run = {"root": "data", "seed": 0, "cache_dir": None}
    node = OmegaConf.merge(OmegaConf.structured(schema),
                           {k: v for k, v in outside_a_run.items() if k in schema.__dataclass_fields__}, values)
    OmegaConf.to_object(node)  # the schema's range checks, as validate_config runs them
    return instantiate(OmegaConf.to_container(node, resolve=True, enum_to_str=True))

"""Shared test set-up: offline W&B in a temp dir, no network, helpers to run the entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


def read_metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())

"""Shared test set-up: offline W&B in a temp dir, no network. The helpers the tests import live in
tests/helpers/ (runs.py: the entry points as subprocesses; datamodules.py; paths.py)."""

from __future__ import annotations

import os

import pytest

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

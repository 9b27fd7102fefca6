"""Sweeps never lose work: a failed job is recorded (folder and W&B run) while the sweep goes on,
and a sweep re-launched after a hard kill skips its finished jobs and resumes the unfinished one."""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from infocam_lit.run.run_key import run_key
from tests.helpers.paths import ROOT
from tests.helpers.runs import kill_when_written, read_metrics, run_entry

pytestmark = pytest.mark.subprocess
RUN = ("logger=csv", "data.dim=1", "trainer.max_epochs=12", "callbacks.early_stopping=null")


def wandb_exit_codes(run_folder: Path) -> list[int]:
    """The exit codes recorded in an offline W&B run's transaction log (LevelDB log format:
    a 7-byte header, then 32 KiB blocks of records, each a 7-byte header and a protobuf chunk)."""
    from wandb.proto import wandb_internal_pb2

    data = next(run_folder.glob("run-*.wandb")).read_bytes()
    assert data[:4] == b":W&B"
    position, block, pending, codes = 7, 32768, b"", []
    while position + 7 <= len(data):
        if block - position % block < 7:  # a block's tail too short for a record header is padding
            position += block - position % block
            continue
        _, length, kind = struct.unpack("<IHB", data[position:position + 7])
        if kind == 0:
            break
        chunk = data[position + 7:position + 7 + length]
        position += 7 + length
        pending = chunk if kind in (1, 2) else pending + chunk  # 1 full, 2 first, 3 middle, 4 last
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            if record.WhichOneof("record_type") == "exit":
                codes.append(record.exit.exit_code)
    return codes


def test_a_failed_job_is_recorded_and_the_sweep_goes_on(tmp_path):
    result = run_entry("train.py", None, "logger=wandb", "data.dim=1", "trainer.max_epochs=1",
                       "callbacks.model_checkpoint.monitor=val/typo,val/loss", f"hydra.sweep.dir={tmp_path}",
                       multirun=True, check=False)
    assert result.returncode != 0 and "1 job(s) of the sweep failed" in result.stdout + result.stderr
    failed = next(tmp_path.glob("*val_typo*"))
    finished = next(tmp_path.glob("*val_loss*"))
    assert "val/typo" in (failed / "failed.txt").read_text() and not (failed / "metrics.json").exists()
    assert (finished / "metrics.json").is_file() and not (finished / "failed.txt").exists()
    assert wandb_exit_codes(next((failed / "wandb").glob("offline-run-*"))) == [1]
    assert wandb_exit_codes(next((finished / "wandb").glob("offline-run-*"))) == [0]

    report = subprocess.run([sys.executable, "-m", "infocam_lit.report", str(tmp_path)], capture_output=True,
                            text=True, cwd=ROOT)
    assert report.returncode == 0, report.stderr
    assert f"`{failed}`" in report.stdout and "val/typo" in report.stdout


def test_a_relaunched_sweep_skips_finished_jobs_and_resumes_the_unfinished_one(tmp_path):
    sweep = tmp_path / "sweep"
    first, second = (sweep / run_key([*RUN, f"seed={seed}"]) for seed in (1, 2))
    # killed a few epochs into the second job
    kill_when_written([*RUN, "seed=1,2", f"hydra.sweep.dir={sweep}"], second / "checkpoints" / "last.ckpt",
                      multirun=True)
    assert (first / "metrics.json").is_file() and not (second / "metrics.json").exists()
    first_metrics = (first / "metrics.json").read_text()

    relaunch = run_entry("train.py", None, *RUN, "seed=1,2", f"hydra.sweep.dir={sweep}", multirun=True)
    output = relaunch.stdout + relaunch.stderr
    assert f"finished already, skipped: {first}" in output
    assert f"resuming the unfinished job from {second / 'checkpoints' / 'last.ckpt'}" in output
    assert (first / "metrics.json").read_text() == first_metrics

    run_entry("train.py", tmp_path / "whole", *RUN, "seed=2")
    assert read_metrics(second) == read_metrics(tmp_path / "whole")

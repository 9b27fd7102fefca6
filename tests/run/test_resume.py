"""Never lose work: a run killed with SIGKILL part-way resumes from its run folder (ckpt_path=last)
and ends with the same metrics as an uninterrupted run of the same seed, its wall time counting the
killed invocation too; a finished run folder is never silently overwritten."""

import json
import signal

import pytest

from tests.helpers.runs import kill_when_written, read_metrics, run_entry

pytestmark = pytest.mark.subprocess
RUN = ("logger=csv", "data.dim=1", "trainer.max_epochs=12", "callbacks.early_stopping=null", "seed=4")


def test_killed_run_resumes_to_the_same_metrics(tmp_path):
    run_entry("train.py", tmp_path / "whole", *RUN)

    killed = tmp_path / "killed"
    last = killed / "checkpoints" / "last.ckpt"
    returncode = kill_when_written([f"hydra.run.dir={killed}", *RUN], last, timeout=120)
    assert returncode == -signal.SIGKILL and not (killed / "metrics.json").exists()
    timing_when_killed = json.loads((killed / "timing.json").read_text())  # recorded with the checkpoint
    assert timing_when_killed["invocations"] == 1 and timing_when_killed["wall_time_s"] > 0

    again = run_entry("train.py", killed, *RUN, check=False)  # without ckpt_path: refused, nothing lost
    assert again.returncode != 0 and "holds an unfinished run" in again.stderr and last.is_file()

    run_entry("train.py", killed, *RUN, "ckpt_path=last")
    assert read_metrics(killed) == read_metrics(tmp_path / "whole")
    timing = json.loads((killed / "timing.json").read_text())
    assert timing["invocations"] == 2 and timing["wall_time_s"] > timing_when_killed["wall_time_s"]


def test_a_finished_run_folder_is_not_overwritten(tmp_path):
    run_entry("train.py", tmp_path, "logger=csv", "data.dim=1", "trainer.max_epochs=1")
    before = (tmp_path / "metrics.json").read_text()
    result = run_entry("train.py", tmp_path, "logger=csv", "data.dim=1", "trainer.max_epochs=1", check=False)
    assert result.returncode != 0 and "holds a finished run" in result.stderr
    assert (tmp_path / "metrics.json").read_text() == before


def test_resume_without_a_checkpoint_names_the_missing_file(tmp_path):
    result = run_entry("train.py", tmp_path, "logger=csv", "ckpt_path=last", check=False)
    assert result.returncode != 0 and "checkpoints/last.ckpt to resume from" in result.stderr


def test_a_resumed_run_keeps_its_wandb_run(tmp_path):
    run_entry("train.py", tmp_path, "logger=wandb", "data.dim=1", "trainer.max_epochs=2",
              "callbacks.early_stopping=null")
    (tmp_path / "metrics.json").unlink()  # as if it had been killed before the end
    run_entry("train.py", tmp_path, "logger=wandb", "data.dim=1", "trainer.max_epochs=3",
              "callbacks.early_stopping=null", "ckpt_path=last")
    run_id = (tmp_path / "wandb_run_id").read_text().strip()
    runs = sorted((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 2 and all(run.name.endswith(run_id) for run in runs)

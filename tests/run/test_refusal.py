"""A run that is refused before it starts (its folder holds work) leaves that folder exactly as it was:
no failed.txt, no rewritten .hydra/, one line on stderr and exit status 1. The same inside a sweep."""

import shutil
from pathlib import Path

import pytest

from tests.helpers.runs import run_entry

pytestmark = pytest.mark.subprocess
RUN = ("logger=csv", "data.dim=1", "trainer.max_epochs=1")
# changes no result, so a re-launch lands in the same folders; but it is not the command that made them
OTHER_COMMAND = ("trainer.enable_progress_bar=false",)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def assert_refused(result, message: str) -> None:
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {message}"], result.stderr


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    run_entry("train.py", run_dir, *RUN)
    return run_dir


def test_a_finished_run_folder_is_left_as_it_was(finished):
    before = snapshot(finished)
    result = run_entry("train.py", finished, *RUN, *OTHER_COMMAND, check=False)
    assert_refused(result, f"{finished} holds a finished run (metrics.json); choose another run_id, resume it "
                           "with ckpt_path=last, or delete the folder")
    assert snapshot(finished) == before


def test_an_unfinished_run_folder_is_left_as_it_was(finished, tmp_path):
    unfinished = tmp_path / "run"
    shutil.copytree(finished, unfinished)
    (unfinished / "metrics.json").unlink()  # as if killed before the end
    before = snapshot(unfinished)
    result = run_entry("train.py", unfinished, *RUN, *OTHER_COMMAND, check=False)
    assert_refused(result, f"{unfinished} holds an unfinished run ({unfinished}/checkpoints/last.ckpt); resume it "
                           "with ckpt_path=last, choose another run_id, or delete the folder to start over")
    assert snapshot(unfinished) == before


def test_a_refused_sweep_leaves_its_finished_job_as_it_was(tmp_path):
    run_entry("train.py", None, *RUN, "seed=0", f"hydra.sweep.dir={tmp_path}", multirun=True)
    (job,) = (path.parent for path in tmp_path.glob("*/metrics.json"))
    before = snapshot(tmp_path)
    # the same job again, on two DDP processes: refused (each rank would re-run the sweep)
    result = run_entry("train.py", None, *RUN, "seed=0", "trainer.accelerator=cpu", "trainer.strategy=ddp",
                       "trainer.devices=2", f"hydra.sweep.dir={tmp_path}", multirun=True, check=False)
    assert result.returncode == 1 and "each DDP rank would re-run the whole sweep" in result.stderr
    assert not (job / "failed.txt").exists()
    assert snapshot(tmp_path) == before

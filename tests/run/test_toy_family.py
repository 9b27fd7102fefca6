"""docs/ARCHITECTURE.md's worked example: a task family defined entirely outside the package
(tests/helpers/toy_family: its conf folder on Hydra's search path, its DataModule and module beside it)
trains and tests through train.py and evaluate.py, with no package file edited."""

import os
import subprocess

import pytest

from tests.helpers.paths import ROOT
from tests.helpers.runs import read_metrics, run_entry

pytestmark = pytest.mark.subprocess

TOY = ROOT / "tests" / "helpers" / "toy_family"


def toy_env() -> dict:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(TOY), os.environ.get("PYTHONPATH")]))}


def test_a_family_outside_the_package_trains_tests_and_evaluates(tmp_path):
    package_files = subprocess.run(["git", "status", "--porcelain", "infocam_lit", "conf"], cwd=ROOT,
                                   capture_output=True, text=True).stdout
    search_path = f"hydra.searchpath=[file://{TOY / 'conf'}]"
    result = run_entry("train.py", tmp_path / "run", "experiment=blobs", search_path, "logger=csv", env=toy_env())

    metrics = read_metrics(tmp_path / "run")
    assert set(metrics) == {"test/loss", "test/acc", "test/bayes_acc"}  # its own keys and its ground truth
    assert metrics["test/bayes_acc"] == pytest.approx(0.9830, abs=1e-4)  # Phi(3 / sqrt 2)
    assert metrics["test/acc"] > 0.9  # it learned the blobs
    assert "blobs: accuracy" in result.stdout  # its own summary line
    assert (tmp_path / "run" / "checkpoints" / "best.ckpt").is_file()

    evaluated = run_entry("evaluate.py", tmp_path / "eval", "experiment=blobs", search_path, "logger=csv",
                          f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}", env=toy_env())
    assert read_metrics(tmp_path / "eval") == metrics
    assert "blobs: accuracy" in evaluated.stdout
    # nothing under the package or conf/ was touched to make the family run
    assert subprocess.run(["git", "status", "--porcelain", "infocam_lit", "conf"], cwd=ROOT, capture_output=True,
                          text=True).stdout == package_files

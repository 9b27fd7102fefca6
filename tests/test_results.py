"""The committed results: README blocks equal what the runs under docs/results give, and the runs
carry the keys their tables need, made on the real MNIST files."""

import math
import subprocess
import sys

import pytest

from infocam_lit.report.runs import find_runs, imbalance_ratio
from tests.conftest import ROOT

RESULTS = ROOT / "docs" / "results"
# the official MNIST test file's label counts (SPEC §7.1): a run on the real files reports their entropy
MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


def entropy(counts) -> float:
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts)


def committed(table: str):
    return find_runs(RESULTS / table) if (RESULTS / table).is_dir() else []


def test_readme_results_blocks_match_the_committed_runs():
    result = subprocess.run([sys.executable, "-m", "infocam_lit.report", "docs/results", "--readme", "README.md",
                             "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]


@pytest.mark.parametrize("table", ["table3", "imbalance"])
def test_mnist_runs_are_on_the_official_files_with_every_named_key(table):
    runs = committed(table)
    if not runs:
        pytest.skip(f"no runs committed under docs/results/{table} yet")
    for run in runs:
        assert not run.failed, run.folder
        m = run.metrics
        assert m["test/label_entropy"] == pytest.approx(entropy(MNIST_TEST_COUNTS), abs=1e-9), run.folder
        for split in ("test", "test_imb"):
            for key in ("acc", "acc_macro", "mi", "mi_se", "label_entropy"):
                assert f"{split}/{key}" in m, (run.folder, split, key)
            if run.config["loss"]["name"] == "softmax":
                for key in ("mi_prior_corrected", "acc_posthoc", "acc_macro_posthoc"):
                    assert f"{split}/{key}" in m, (run.folder, split, key)
                assert m[f"{split}/mi_prior_corrected"] <= m[f"{split}/label_entropy"] + 1e-9
            else:
                assert m[f"{split}/mi"] <= m[f"{split}/label_entropy"] + 1e-9
        assert (run.folder / "timing.json").is_file()
        assert imbalance_ratio(run.config) in (1.0, 10.0, 100.0)

"""The committed results: docs/RESULTS.md's blocks equal what the runs under docs/results give (README
holds none), and the runs carry the keys their tables need, made on the real MNIST files."""

import math
import subprocess
import sys

import pytest

from infocam_lit.report.runs import find_runs, imbalance_ratio
from tests.helpers.paths import ROOT

RESULTS = ROOT / "docs" / "results"
# as docs/RESULTS.md prints it (tests/run/test_doc_commands.py checks that it does)
CHECK_COMMAND = ("python", "-m", "infocam_lit.report", "docs/results", "--readme", "docs/RESULTS.md", "--check")
# the official MNIST test file's label counts (SPEC §7.1): a run on the real files reports their entropy
MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


def entropy(counts) -> float:
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts)


def committed(table: str):
    return find_runs(RESULTS / table) if (RESULTS / table).is_dir() else []


def test_results_blocks_match_the_committed_runs():
    result = subprocess.run([sys.executable, *CHECK_COMMAND[1:]], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert "docs/RESULTS.md: every results block matches the runs" in result.stdout


def test_readme_holds_no_generated_block():
    """The tables live in docs/RESULTS.md only; README quotes their numbers and links there."""
    assert "<!-- results:" not in (ROOT / "README.md").read_text()
    assert "<!-- results:table2 -->" in (ROOT / "docs" / "RESULTS.md").read_text()


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


def test_table5_runs_carry_every_localisation_key():
    runs = committed("table5")
    if not runs:
        pytest.skip("no runs committed under docs/results/table5 yet")
    for run in runs:
        assert not run.failed, run.folder
        m = run.metrics
        for key in ("acc_digit_mean", "exact_match", "macro_f1"):
            assert f"test/{key}" in m, (run.folder, key)
        for name in ("cam", "infocam"):
            for key in ("loc_acc", "loc_acc_val_tau", "maxboxacc_iou30", "maxboxacc_iou50", "maxboxacc_iou70",
                        "maxboxacc_v2", "pointing"):
                assert f"test/{name}/{key}" in m and f"test/{name}/{key}_digit/0" in m, (run.folder, name, key)
            assert 0 <= m[f"test/{name}/val_tau"] < 1, run.folder
        assert (run.folder / "timing.json").is_file()


def test_table2_runs_cover_every_setting_with_their_ground_truth():
    runs = [run for run in committed("table2") if not run.failed]
    if not runs:
        pytest.skip("no runs committed under docs/results/table2 yet")
    for run in runs:
        for key in ("test/mi", "test/mi_se", "test/mi_true", "test/mi_mc", "train/mi"):
            assert key in run.metrics, (run.folder, key)
        assert (run.folder / "timing.json").is_file()
    settings = {(run.config["data"]["dim"], run.config["data"]["imbalanced"]) for run in runs}
    assert settings <= {(d, i) for d in (1, 2, 5, 10) for i in (False, True)}

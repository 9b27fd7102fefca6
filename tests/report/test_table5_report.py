"""Table 5 rendered from hand-made double-digit MNIST run folders: classification with precision,
exact match, macro F1 and p-values; localisation at tau 0.2, at the validation tau, MaxBoxAccV2 and
pointing, with infoCAM vs CAM p-values."""

import csv

import pytest

from infocam_lit import report
from tests.helpers.report_runs import make_run

SEEDS = range(3)


def double_mnist_metrics(loss: str, seed: int) -> dict:
    shift = 0.01 * seed
    recall = 0.85 if loss == "sigmoid" else 0.95
    metrics = {f"test/acc_digit/{k}": recall + shift for k in range(10)}
    # precision defined for digits 0-8 only (9 never predicted): mean over digits 0.70 + shift
    metrics |= {f"test/precision_digit/{k}": 0.66 + 0.01 * k + shift for k in range(9)}
    metrics |= {"test/acc_digit_mean": recall + shift, "test/exact_match": 0.5 + shift, "test/macro_f1": 0.8}
    for name, offset in (("cam", 0.0), ("infocam", 0.2 if loss == "sigmoid" else 0.0)):
        metrics |= {f"test/{name}/loc_acc": 0.07 + offset + shift,
                    f"test/{name}/loc_acc_val_tau": 0.50 + offset + shift, f"test/{name}/val_tau": 0.5 + 0.05 * seed,
                    f"test/{name}/maxboxacc_v2": 0.6 + offset + shift, f"test/{name}/pointing": 0.9 - shift}
    return metrics


def render(tmp_path) -> str:
    for seed in SEEDS:
        for loss in ("sigmoid", "pc_sigmoid"):
            make_run(tmp_path / f"{loss}{seed}", {"experiment_name": "double_mnist", "seed": seed,
                                                  "loss": {"name": loss}, "data": {}}, double_mnist_metrics(loss, seed))
    report.main([str(tmp_path)])
    return (tmp_path / "table.md").read_text()


def test_table5_classification_rows(tmp_path):
    table = render(tmp_path)
    digits = " | ".join(["0.860 ± 0.010"] * 10)
    # the ten digits, their mean, precision over the defined digits, exact match, macro F1
    assert f"| sigmoid | 3 | {digits} | 0.860 ± 0.010 | 0.710 ± 0.010 | 0.510 ± 0.010 | 0.800 ± 0.000 |" in table
    paper = "1.00 | 0.84 | 0.86 | 0.94 | 0.89 | 0.87 | 0.87 | 0.86 | 1.00 | 1.00 | 0.913 | — | — | —"
    assert f"| sigmoid (paper) |  | {paper} |" in table
    # 3 against 3, fully separated on recall: the smallest two-sided p (0.1); identical elsewhere: p = 1
    assert f"| p (sigmoid vs PC-sigmoid) |  | {' | '.join(['0.100'] * 11)} | 1.000 | 1.000 | 1.000 |" in table
    # recall 0.95 vs 0.85 in every seed; exact match the same in both losses
    assert ("- Mean per-digit accuracy, PC-sigmoid vs sigmoid: +10.00 points (p = 0.100); "
            "exact match: +0.00 points (p = 1.000).") in table


def test_table5_localization_rows(tmp_path):
    table = render(tmp_path)
    assert ("| sigmoid | cam | 3 | 0.080 ± 0.010 | 91.0% | 0.510 ± 0.010 | 0.55 ± 0.05 | 0.610 ± 0.010 "
            "| 0.890 ± 0.010 |") in table
    assert ("| sigmoid | infocam | 3 | 0.280 ± 0.010 | 98.0% | 0.710 ± 0.010 | 0.55 ± 0.05 | 0.810 ± 0.010 "
            "| 0.890 ± 0.010 |") in table
    # infoCAM beats CAM in every seed for the sigmoid runs, paired by run: the exact Wilcoxon floor for 3 runs
    # (2 / 2^3); identical maps for pc_sigmoid and equal pointing: no non-zero difference, p = 1
    assert "| sigmoid | p (infoCAM vs CAM) |  | 0.250 |  | 0.250 |  | 0.250 | 1.000 |" in table
    assert "| pc_sigmoid | p (infoCAM vs CAM) |  | 1.000 |  | 1.000 |  | 1.000 | 1.000 |" in table
    assert ("- infoCAM vs CAM, sigmoid runs: loc acc at τ = 0.2 +20.00 points (Wilcoxon p = 0.250); at val τ "
            "+20.00 points (Wilcoxon p = 0.250); MaxBoxAccV2 +20.00 points (Wilcoxon p = 0.250); pointing +0.00 "
            "points (Wilcoxon p = 1.000).") in table
    with (tmp_path / "table5.csv").open() as f:
        records = list(csv.DictReader(f))
    loc = {(r["loss"], r["map"]): r for r in records if r["part"] == "localisation"}
    assert float(loc[("sigmoid", "infocam")]["loc_acc_val_tau mean"]) == pytest.approx(0.71)
    assert float(loc[("sigmoid", "cam")]["val_tau mean"]) == pytest.approx(0.55)
    assert float(loc[("sigmoid", "cam")]["pointing p (infocam vs cam)"]) == 1.0


def test_table5_from_runs_without_the_new_keys(tmp_path):
    """Runs made before the held-out tau (no val tau, MaxBoxAccV2, pointing, precision) still render."""
    for seed in SEEDS[:2]:
        make_run(tmp_path / str(seed), {"experiment_name": "double_mnist", "seed": seed, "loss": {"name": "sigmoid"},
                                        "data": {}},
                 {"test/acc_digit_mean": 0.9, "test/cam/loc_acc": 0.1, "test/infocam/loc_acc": 0.2})
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "| sigmoid | cam | 2 | 0.100 ± 0.000 | 91.0% | — | — | — | — |" in table
    assert "| pc_sigmoid | 0 |" in table
    # two runs, both +0.1: the exact Wilcoxon p of two positive differences is 2 / 2^2
    assert ("- infoCAM vs CAM, sigmoid runs: loc acc at τ = 0.2 +10.00 points (Wilcoxon p = 0.500); at val τ — "
            "(no runs)") in table

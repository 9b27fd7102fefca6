"""The imbalance study (SPEC §7.3): MNIST at rho = 1, 10, 100 for every way of facing the prior.

Methods on one axis: softmax (prior rule), softmax + post-hoc adjustment (read from
the softmax runs: predict argmax n - log pi), PC-softmax, the logit-adjusted loss
(tau = 1) and class-weighted CE. Macro accuracy on the balanced official test set
(the quantity PC-softmax targets) and micro accuracy on `test_imb` (rho = 10 for
every run, what the prior rule targets), mean ± std over seeds, and the figure
macro accuracy vs rho.
"""

from __future__ import annotations

import os
import statistics
from collections import defaultdict
from pathlib import Path

from infocam_lit.report.configs import Configuration, config_record, configurations, insert_config_column
from infocam_lit.report.figures import plot_mean_std_curves
from infocam_lit.report.runs import (
    RATIO_KEYS,
    Run,
    imbalance_ratio,
    markdown_table,
    mean_std,
    percent_mean_std,
    seconds_text,
    wall_time,
)
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed, seed_of

# method -> (the training loss of its runs, the balanced-test macro key, the test_imb micro key)
METHODS = {
    "softmax": ("softmax", "test/acc_macro", "test_imb/acc"),
    "softmax + post-hoc": ("softmax", "test/acc_macro_posthoc", "test_imb/acc_posthoc"),
    "PC-softmax": ("pc_softmax", "test/acc_macro", "test_imb/acc"),
    "logit-adjusted (τ = 1)": ("logit_adjusted", "test/acc_macro", "test_imb/acc"),
    "class-weighted CE": ("weighted_softmax", "test/acc_macro", "test_imb/acc"),
}
COLUMNS = ["method", "ρ", "seeds", "macro acc, balanced test", "micro acc, test_imb (ρ = 10)", "wall time per run"]


def study_loss(run: Run) -> str | None:
    """The training loss of a finished MNIST run of the study (the logit-adjusted loss at tau = 1 only)."""
    if run.failed or run.config.get("experiment_name") != "mnist":
        return None
    loss = run.config["loss"]
    if loss["name"] == "logit_adjusted" and float(loss["tau"]) != 1.0:
        return None
    return loss["name"]


def study_rows(runs: list[Run]) -> dict[str, list[tuple[float, Configuration]]]:
    """Training loss -> (rho, the seeds of one configuration) in the order of the rows: configurations across
    rho (one label per line of the figure), rho ascending; `runs` one per seed."""
    by_loss: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        if study_loss(run):
            by_loss[study_loss(run)].append(run)
    rows = {}
    for loss, group in by_loss.items():
        parts = [(ratio, part) for configuration in configurations(group, ignore=RATIO_KEYS)
                 for ratio, part in configuration.split_by(lambda run: imbalance_ratio(run.config)).items()]
        rows[loss] = sorted(parts, key=lambda row: row[0])  # stable: the configurations of a rho stay in order
    return rows


def imbalance_records(runs: list[Run]) -> list[dict]:
    rows = study_rows(runs)
    shown = any(part.label for parts in rows.values() for _, part in parts)
    records = []
    for method, (loss, macro_key, micro_key) in METHODS.items():
        for ratio, part in rows.get(loss, []):
            chosen = part.runs
            times = [t for t in map(wall_time, chosen) if t is not None]
            records.append({
                "method": method, "ρ": ratio, **config_record(part.label, shown), "seeds": len(chosen),
                "macro acc": [run.metrics[macro_key] for run in chosen if macro_key in run.metrics],
                "micro acc test_imb": [run.metrics[micro_key] for run in chosen if micro_key in run.metrics],
                "wall time": times,
            })
    return records


def same_gradient_line(runs: list[Run]) -> str | None:
    """PC-softmax and the logit-adjusted loss at tau = 1 have the same gradients: how far apart did the
    runs of one seed and one rho end? (Float rounding differs between the two code paths.) Runs pair within
    one configuration, the loss and how rho is written set aside."""
    candidates = [run for run in runs if study_loss(run) in ("pc_softmax", "logit_adjusted")
                  and "test/acc_macro" in run.metrics]
    macro: dict[tuple[str, int, float, object], float] = {}
    for index, configuration in enumerate(configurations(candidates, ignore=("loss.name", *RATIO_KEYS))):
        for run in configuration.runs:
            key = (study_loss(run), index, imbalance_ratio(run.config), seed_of(run))
            macro[key] = run.metrics["test/acc_macro"]
    gaps = [abs(value - macro[("logit_adjusted", *setting)]) for (loss, *setting), value in macro.items()
            if loss == "pc_softmax" and ("logit_adjusted", *setting) in macro]
    if not gaps:
        return None
    return (f"PC-softmax and the logit-adjusted loss (τ = 1) have the same gradients; over the {len(gaps)} pairs of "
            f"runs with the same seed and ρ their balanced-test macro accuracies differ by at most "
            f"{100 * max(gaps):.2f} points (mean {100 * statistics.fmean(gaps):.2f}).")


def curve_name(record: dict) -> str:
    """A figure's line: the method, and its configuration where the study has several."""
    return f"{record['method']} ({record['config']})" if record.get("config") else record["method"]


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    runs, duplicates = one_run_per_seed([run for run in runs if study_loss(run)])
    records = imbalance_records(runs)
    if not records:
        return None
    rows = [[r["method"], f"{r['ρ']:g}", str(r["seeds"]), percent_mean_std(r["macro acc"]),
             percent_mean_std(r["micro acc test_imb"]),
             seconds_text(mean_std(r["wall time"])[0])] for r in records]
    columns, rows = insert_config_column(COLUMNS, rows, [r.get("config", "") for r in records], after="ρ")
    curves = {name: [(r["ρ"], *(100 * v for v in mean_std(r["macro acc"]))) for r in records
                     if curve_name(r) == name and r["macro acc"]]
              for name in dict.fromkeys(map(curve_name, records))}
    ratio_label = "imbalance ratio ρ (each even digit kept at 1/ρ)"
    figure = plot_mean_std_curves(curves, out / "macro_acc_vs_ratio.png", ratio_label,
                                  "macro accuracy, balanced test set [%]")
    same_gradient = same_gradient_line(runs)
    markdown = "\n\n".join([
        "### Imbalance study: MNIST at ρ = 1, 10, 100 (accuracy in %, mean ± std over seeds)",
        markdown_table(columns, rows),
        *([same_gradient] if same_gradient else []),
        f"![macro accuracy vs ρ]({os.path.relpath(figure, link_from)})",
        *([duplicates_markdown(duplicates)] if duplicates else []),
    ])
    csv = [{"method": r["method"], "rho": r["ρ"], **({"config": r["config"]} if "config" in r else {}),
            "seeds": r["seeds"],
            **dict(zip(("macro acc mean", "macro acc std"), mean_std(r["macro acc"]), strict=True)),
            **dict(zip(("micro acc test_imb mean", "micro acc test_imb std"), mean_std(r["micro acc test_imb"]),
                       strict=True))} for r in records]
    return markdown, csv

"""Table 5: per-digit accuracy of sigmoid versus PC-sigmoid on double-digit MNIST, and the
localisation of CAM and infoCAM, beside the paper's values.

Classification: per loss, the per-digit recall (the paper's "accuracy", SPEC §5), its mean, the
precision averaged over digits, exact match and macro F1, mean ± std over seeds, with the
two-sided Mann-Whitney U p of sigmoid vs PC-sigmoid for each.
Localisation (SPEC §7.2): per loss and map, loc acc at the paper's tau = 0.2, at the tau chosen on
the validation canvases (with that tau), MaxBoxAccV2 and the pointing game, with the exact Wilcoxon
signed-rank p of infoCAM vs CAM within the loss for each measure: both maps come from the same runs, so
the runs pair them (SPEC §7.6)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path

from infocam_lit.report.configs import Configuration, config_record, configurations, insert_config_column
from infocam_lit.report.paired_stats import wilcoxon_signed_rank_exact
from infocam_lit.report.paper_values import DOUBLE_MNIST_LOCALIZATION, TABLE5_DIGIT_ACCURACY
from infocam_lit.report.runs import (
    Run,
    mann_whitney_p,
    markdown_table,
    mean_std,
    mean_std_cell,
    p_value,
    pct,
    seconds_text,
    wall_time,
)
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed

LOSSES = ("sigmoid", "pc_sigmoid")
MAPS = {"cam": "CAM", "infocam": "infoCAM"}
DIGITS = range(10)
# the run-level classification measures after the ten digits: column -> how to read it from a run
SUMMARIES = {"mean": "test/acc_digit_mean", "precision (mean over digits)": "precision",
             "exact match": "test/exact_match", "macro F1": "test/macro_f1"}
LOCALIZATION = ("loc_acc", "loc_acc_val_tau", "maxboxacc_v2", "pointing")


def _values(metrics: list[dict], key: str) -> list[float]:
    """One value per run: `key` where present; "precision" is the mean over the digits a run defines
    (a digit never predicted present has no precision)."""
    if key == "precision":
        means = [[m[f"test/precision_digit/{k}"] for k in DIGITS if f"test/precision_digit/{k}" in m]
                 for m in metrics]
        return [statistics.fmean(v) for v in means if v]
    return [m[key] for m in metrics if key in m]


def _classification(by_loss: dict[str, list[dict]]) -> tuple[list[str], list[list[str]], list[dict]]:
    keys = {**{str(k): f"test/acc_digit/{k}" for k in DIGITS}, **SUMMARIES}
    rows, records = [], []
    for loss in LOSSES:
        metrics = by_loss.get(loss, [])
        values = {column: _values(metrics, key) for column, key in keys.items()}
        rows.append([loss, str(len(metrics)), *(mean_std_cell(v) for v in values.values())])
        paper = TABLE5_DIGIT_ACCURACY[loss]
        rows.append([f"{loss} (paper)", "", *(f"{v:.2f}" for v in paper), f"{sum(paper) / 10:.3f}",
                     *("—" for _ in list(SUMMARIES)[1:])])
        records.append({"part": "classification", "loss": loss, "runs": len(metrics),
                        **{f"{c} mean": mean_std(v)[0] for c, v in values.items()},
                        **{f"{c} std": mean_std(v)[1] for c, v in values.items()},
                        **{f"paper {k}": paper[k] for k in DIGITS}})
    p_values = {c: mann_whitney_p(_values(by_loss.get("sigmoid", []), key), _values(by_loss.get("pc_sigmoid", []), key))
                for c, key in keys.items()}
    rows.append(["p (sigmoid vs PC-sigmoid)", "", *(p_value(p) for p in p_values.values())])
    for record in records:
        record |= {f"{c} p (sigmoid vs pc_sigmoid)": p for c, p in p_values.items()}
    return ["loss", "runs", *keys], rows, records


def _localization(by_loss: dict[str, list[dict]]) -> tuple[list[str], list[list[str]], list[dict]]:
    rows, records = [], []
    for loss in LOSSES:
        metrics = by_loss.get(loss, [])
        values = {name: {m: _values(metrics, f"test/{name}/{m}") for m in (*LOCALIZATION, "val_tau")} for name in MAPS}
        p_values = {m: _paired_p(metrics, m) for m in LOCALIZATION}
        for name in MAPS:
            v = values[name]
            rows.append([loss, name, str(len(metrics)), mean_std_cell(v["loc_acc"]),
                         pct(DOUBLE_MNIST_LOCALIZATION[name]), mean_std_cell(v["loc_acc_val_tau"]),
                         mean_std_cell(v["val_tau"], 2), mean_std_cell(v["maxboxacc_v2"]),
                         mean_std_cell(v["pointing"])])
            records.append({"part": "localisation", "loss": loss, "map": name, "runs": len(metrics),
                            **{f"{m} mean": mean_std(x)[0] for m, x in v.items()},
                            **{f"{m} std": mean_std(x)[1] for m, x in v.items()},
                            "paper loc_acc": DOUBLE_MNIST_LOCALIZATION[name],
                            **{f"{m} p (infocam vs cam)": p for m, p in p_values.items()}})
        rows.append([loss, "p (infoCAM vs CAM)", "", p_value(p_values["loc_acc"]), "",
                     p_value(p_values["loc_acc_val_tau"]), "", p_value(p_values["maxboxacc_v2"]),
                     p_value(p_values["pointing"])])
    columns = ["loss", "map", "runs", "loc acc (τ = 0.2)", "paper", "loc acc (val τ)", "val τ", "MaxBoxAccV2",
               "pointing"]
    return columns, rows, records


def _paired_differences(metrics: list[dict], measure: str) -> list[float]:
    """infoCAM minus CAM of `measure`, run by run, in the runs that report both."""
    keys = (f"test/infocam/{measure}", f"test/cam/{measure}")
    return [m[keys[0]] - m[keys[1]] for m in metrics if keys[0] in m and keys[1] in m]


def _paired_p(metrics: list[dict], measure: str) -> float:
    """The exact two-sided Wilcoxon signed-rank p of infoCAM vs CAM over the runs (NaN with fewer than two)."""
    differences = _paired_differences(metrics, measure)
    return wilcoxon_signed_rank_exact(differences) if len(differences) >= 2 else math.nan


def _paired_difference(metrics: list[dict], measure: str) -> str:
    """"+x.xx points (Wilcoxon p = ...)": infoCAM minus CAM in percentage points, paired by run."""
    differences = _paired_differences(metrics, measure)
    if not differences:
        return "— (no runs)"
    return f"{100 * statistics.fmean(differences):+.2f} points (Wilcoxon p = {p_value(_paired_p(metrics, measure))})"


def _difference(better: list[float], worse: list[float]) -> str:
    """"+x.xx points (p = ...)": the difference of the means in percentage points and its two-sided
    Mann-Whitney U p over seeds."""
    if not better or not worse:
        return "— (no runs)"
    gain = 100 * (statistics.fmean(better) - statistics.fmean(worse))
    return f"{gain:+.2f} points (p = {p_value(mann_whitney_p(better, worse))})"


def _verdicts(by_loss: dict[str, list[dict]]) -> list[str]:
    """Generated sentences: does PC-sigmoid classify better than sigmoid, does infoCAM localise better
    than CAM under each measure, and how sure (the paper's claims, SPEC §5)."""
    sigmoid, pc = by_loss.get("sigmoid", []), by_loss.get("pc_sigmoid", [])
    lines = [f"- Mean per-digit accuracy, PC-sigmoid vs sigmoid: "
             f"{_difference(_values(pc, 'test/acc_digit_mean'), _values(sigmoid, 'test/acc_digit_mean'))}; "
             f"exact match: {_difference(_values(pc, 'test/exact_match'), _values(sigmoid, 'test/exact_match'))}."]
    names = {"loc_acc": "loc acc at τ = 0.2", "loc_acc_val_tau": "at val τ", "maxboxacc_v2": "MaxBoxAccV2",
             "pointing": "pointing"}
    for loss in LOSSES:
        metrics = by_loss.get(loss, [])
        if metrics:
            parts = [f"{names[m]} {_paired_difference(metrics, m)}" for m in LOCALIZATION]
            lines.append(f"- infoCAM vs CAM, {loss} runs: " + "; ".join(parts) + ".")
    return lines


def _wall_times(seconds: dict[str, list[float]]) -> str:
    times = [f"{loss} {seconds_text(statistics.fmean(seconds[loss]))}" for loss in LOSSES if seconds.get(loss)]
    return "- Wall time per run (timing.json, mean over runs): " + (", ".join(times) or "not recorded") + "."


def _by_loss(configuration: Configuration) -> tuple[dict[str, list[dict]], dict[str, list[float]]]:
    """Loss -> the metrics of its runs, and loss -> their wall times."""
    by_loss: dict[str, list[dict]] = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    for run in configuration.runs:
        by_loss[run.config["loss"]["name"]].append(run.metrics)
        if (time := wall_time(run)) is not None:
            seconds[run.config["loss"]["name"]].append(time)
    return by_loss, seconds


def _labelled(parts: list[tuple[str, list[list[str]], list[dict]]], columns: list[str]) -> tuple[str, list[dict]]:
    """One table from each configuration's (label, rows, records), a "config" column after "loss" where there are
    several configurations, and the records."""
    shown = any(label for label, *_ in parts)
    rows = [row for _, part_rows, _ in parts for row in part_rows]
    labels = [label for label, part_rows, _ in parts for _ in part_rows]
    records = [{**config_record(label, shown), **record} for label, _, part_records in parts for record in part_records]
    return markdown_table(*insert_config_column(columns, rows, labels, after="loss")), records


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    runs, duplicates = one_run_per_seed([run for run in runs if not run.failed
                                         and run.config.get("experiment_name") == "double_mnist"])
    if not runs:
        return None
    # the losses side by side within one configuration, as Table 5 compares them
    digit_parts, loc_parts, sentences = [], [], []
    for configuration in configurations(runs, ignore=("loss.name",)):
        by_loss, seconds = _by_loss(configuration)
        digit_columns, digit_rows, digit_records = _classification(by_loss)
        loc_columns, loc_rows, loc_records = _localization(by_loss)
        digit_parts.append((configuration.label, digit_rows, digit_records))
        loc_parts.append((configuration.label, loc_rows, loc_records))
        lines = _verdicts(by_loss) + [_wall_times(seconds)]
        sentences += [f"- `{configuration.label}`: {line[2:]}" for line in lines] if configuration.label else lines
    digit_table, digit_records = _labelled(digit_parts, digit_columns)
    loc_table, loc_records = _labelled(loc_parts, loc_columns)
    markdown = "\n\n".join([
        "### Table 5: per-digit accuracy on double-digit MNIST (recall among canvases containing the digit; "
        "mean ± std over seeds)",
        digit_table,
        "\n".join(sentences),
        "### Double-digit MNIST localisation (hit: IoU >= 0.5 with that digit's box; pointing: the map's "
        "maximum inside it)",
        "τ = 0.2 is the paper's threshold; val τ is chosen per map on the validation canvases and applied to "
        "test; MaxBoxAccV2 takes the best τ on test (an optimistic reference). p: infoCAM vs CAM within the loss, "
        "the exact two-sided Wilcoxon signed-rank test over the runs, which pair the two maps (its floor: 0.25 "
        "for 3 runs, 0.0625 for 5).",
        loc_table,
        *([duplicates_markdown(duplicates)] if duplicates else []),
    ])
    return markdown, digit_records + loc_records

"""Table 3: softmax versus PC-softmax on (im)balanced MNIST and CUB-200-2011.

Micro and per-class (macro) accuracy, mean ± std over seeds, with the two-sided
Mann-Whitney U p-value between the losses (the paper's test), the post-hoc
logit-adjusted softmax as the control PC-softmax must beat, and the paper's
values on the matching test split (balanced training: the balanced test set;
imbalanced training: the imbalanced one, as the authors tested). A second table
gives each split's MI read-out beside that split's H(Y) (SPEC §7.5).

Runs at the paper's settings only: softmax and PC-softmax, balanced (rho = 1) or
imbalanced at rho = 10 (the imbalance study renders the other ratios and losses).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from infocam_lit.report.configs import config_record, configurations, insert_config_column
from infocam_lit.report.paper_values import TABLE3_ACCURACY, TABLE3_PER_CLASS
from infocam_lit.report.runs import (
    RATIO_KEYS,
    Run,
    fmt,
    imbalance_ratio,
    mann_whitney_p,
    markdown_table,
    mean_std,
    mean_std_cell,
    p_value,
    pct,
    percent_mean_std,
    seconds_text,
    wall_time,
)
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed

EXPERIMENTS = ("mnist", "cub_cls")
LOSSES = ("softmax", "pc_softmax")
SPLITS = ("test", "test_imb")
RATIOS = {1.0: "balanced", 10.0: "imbalanced"}
METRIC_KEYS = ("acc", "acc_macro", "acc_posthoc", "acc_macro_posthoc", "mi", "mi_prior_corrected", "label_entropy")
COLUMNS = ["dataset", "training set", "test split", "seeds", "softmax acc", "PC-softmax acc", "p (acc)",
           "softmax per-class", "PC-softmax per-class", "p (per-class)", "softmax + post-hoc per-class",
           "p (PC vs post-hoc)", "paper acc (softmax / PC)", "paper per-class (softmax / PC)", "wall time per run"]
MI_COLUMNS = ["dataset", "training set", "test split", "H(Y) of the split", "softmax, + log M (paper)",
              "softmax, prior-corrected", "PC-softmax"]


def is_table3_run(run: Run) -> bool:
    """A finished run of MNIST or CUB with one of the paper's losses at rho = 1 or 10."""
    experiment, loss = run.config.get("experiment_name"), (run.config.get("loss") or {}).get("name")
    return not run.failed and experiment in EXPERIMENTS and loss in LOSSES and imbalance_ratio(run.config) in RATIOS


def table3_runs(runs: list[Run]) -> dict[str, list[Run]]:
    """Each dataset's runs of Table 3."""
    by_experiment: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        if is_table3_run(run):
            by_experiment[run.config["experiment_name"]].append(run)
    return by_experiment


def split_values(runs: list[Run]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """split -> loss ("all" for the wall time) -> metric -> one value per run, for the splits the runs report
    (or time)."""
    groups: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for run in runs:
        loss = run.config["loss"]["name"]
        for split in SPLITS:
            for key in METRIC_KEYS:
                value = run.metrics.get(f"{split}/{key}")
                if value is not None:
                    groups[split][loss][key].append(value)
            seconds = wall_time(run)
            if seconds is not None:
                groups[split]["all"]["wall_time"].append(seconds)
    return groups


def table3_records(runs: list[Run]) -> list[dict]:
    """The rows of `runs` (one per seed)."""
    # (dataset, imbalanced, configuration): the losses side by side, told apart in the columns, as rho is
    rows = [(experiment, imbalanced, part) for experiment, group in sorted(table3_runs(runs).items())
            for configuration in configurations(group, ignore=("loss.name", *RATIO_KEYS))
            for imbalanced, part in configuration.split_by(lambda run: imbalance_ratio(run.config) > 1).items()]
    rows.sort(key=lambda row: row[:2])  # stable: the configurations of a training set stay in their order
    shown = any(part.label for *_, part in rows)
    return [table3_record(experiment, imbalanced, split, by_loss, config_record(part.label, shown))
            for experiment, imbalanced, part in rows for split, by_loss in sorted(split_values(part.runs).items())]


def table3_record(experiment: str, imbalanced: bool, split: str, by_loss: dict, config: dict) -> dict:
    """One row: a dataset, training set and configuration, read on one test split."""
    soft, pc = by_loss.get("softmax", {}), by_loss.get("pc_softmax", {})
    matched = split == ("test_imb" if imbalanced else "test")
    paper = (experiment, imbalanced)
    return {
        "dataset": experiment, "training set": "imbalanced" if imbalanced else "balanced", **config,
        "test split": split,
        "seeds": f"{len(soft.get('acc', []))} / {len(pc.get('acc', []))}",
        "softmax acc": soft.get("acc", []), "PC-softmax acc": pc.get("acc", []),
        "p (acc)": mann_whitney_p(soft.get("acc", []), pc.get("acc", [])),
        "softmax per-class": soft.get("acc_macro", []), "PC-softmax per-class": pc.get("acc_macro", []),
        "p (per-class)": mann_whitney_p(soft.get("acc_macro", []), pc.get("acc_macro", [])),
        "softmax + post-hoc per-class": soft.get("acc_macro_posthoc", []),
        "p (PC vs post-hoc)": mann_whitney_p(soft.get("acc_macro_posthoc", []), pc.get("acc_macro", [])),
        "paper acc": (TABLE3_ACCURACY.get((*paper, "softmax")), TABLE3_ACCURACY.get((*paper, "pc_softmax")))
        if matched else (None, None),
        "paper per-class": (TABLE3_PER_CLASS.get((*paper, "softmax")), TABLE3_PER_CLASS.get((*paper, "pc_softmax")))
        if matched else (None, None),
        "wall time": by_loss.get("all", {}).get("wall_time", []),
        "H(Y)": soft.get("label_entropy", []) + pc.get("label_entropy", []),
        "softmax MI + log M": soft.get("mi", []), "softmax MI prior-corrected": soft.get("mi_prior_corrected", []),
        "PC-softmax MI": pc.get("mi", []),
    }


def table3_markdown(records: list[dict]) -> str:
    rows = [[
        r["dataset"], r["training set"], r["test split"], r["seeds"],
        percent_mean_std(r["softmax acc"]), percent_mean_std(r["PC-softmax acc"]), p_value(r["p (acc)"]),
        percent_mean_std(r["softmax per-class"]), percent_mean_std(r["PC-softmax per-class"]),
        p_value(r["p (per-class)"]),
        percent_mean_std(r["softmax + post-hoc per-class"]), p_value(r["p (PC vs post-hoc)"]),
        " / ".join(pct(v) for v in r["paper acc"]), " / ".join(pct(v) for v in r["paper per-class"]),
        seconds_text(mean_std(r["wall time"])[0]),
    ] for r in records]
    return markdown_table(*insert_config_column(COLUMNS, rows, labels(records), after="training set"))


def mi_markdown(records: list[dict]) -> str:
    rows = [[r["dataset"], r["training set"], r["test split"], fmt(mean_std(r["H(Y)"])[0]),
             mean_std_cell(r["softmax MI + log M"]), mean_std_cell(r["softmax MI prior-corrected"]),
             mean_std_cell(r["PC-softmax MI"])]
            for r in records]
    return markdown_table(*insert_config_column(MI_COLUMNS, rows, labels(records), after="training set"))


def labels(records: list[dict]) -> list[str]:
    return [r.get("config", "") for r in records]


def verdicts(records: list[dict]) -> list[str]:
    """One generated sentence per imbalanced row: does PC-softmax's per-class accuracy beat softmax's
    and the post-hoc control's, by how much, and how sure."""
    lines = []
    for r in records:
        if r["training set"] != "imbalanced" or not r["softmax per-class"] or not r["PC-softmax per-class"]:
            continue
        pc = mean_std(r["PC-softmax per-class"])[0]
        gain = 100 * (pc - mean_std(r["softmax per-class"])[0])
        setting = f"{r['dataset']}, imbalanced training" + (f", `{r['config']}`" if r.get("config") else "")
        line = (f"- {setting}, `{r['test split']}`: PC-softmax's per-class accuracy is "
                f"{gain:+.2f} points from softmax's (p = {p_value(r['p (per-class)'])})")
        if r["softmax + post-hoc per-class"]:
            control = 100 * (pc - mean_std(r["softmax + post-hoc per-class"])[0])
            line += (f" and {control:+.2f} points from softmax + post-hoc adjustment "
                     f"(p = {p_value(r['p (PC vs post-hoc)'])})")
        lines.append(line + ".")
    return lines


def csv_records(records: list[dict]) -> list[dict]:
    """One flat row per table row: means and stds as fractions (MI in nats)."""
    flat = []
    for r in records:
        row = {k: r[k] for k in ("dataset", "training set", "config", "test split", "seeds", "p (acc)",
                                 "p (per-class)", "p (PC vs post-hoc)") if k in r}
        for key in ("softmax acc", "PC-softmax acc", "softmax per-class", "PC-softmax per-class",
                    "softmax + post-hoc per-class", "H(Y)", "softmax MI + log M", "softmax MI prior-corrected",
                    "PC-softmax MI", "wall time"):
            row[f"{key} mean"], row[f"{key} std"] = mean_std(r[key])
        row["paper acc softmax"], row["paper acc PC"] = r["paper acc"]
        row["paper per-class softmax"], row["paper per-class PC"] = r["paper per-class"]
        flat.append(row)
    return flat


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    pooled, duplicates = one_run_per_seed([run for run in runs if is_table3_run(run)])
    records = table3_records(pooled)
    if not records:
        return None
    markdown = "\n\n".join([
        "### Table 3: softmax versus PC-softmax (accuracy in %, mean ± std over seeds; p: two-sided Mann-Whitney U)",
        table3_markdown(records),
        *(["\n".join(verdicts(records))] if verdicts(records) else []),
        "MI read-out of each test split under that split's own label prior (nats, mean ± std over seeds), beside "
        "the split's H(Y), the most I(X;Y) can be; the paper's `+ log M` read-out of softmax ignores the prior.",
        mi_markdown(records),
        *([duplicates_markdown(duplicates)] if duplicates else []),
    ])
    return markdown, csv_records(records)

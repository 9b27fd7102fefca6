"""Table 3: softmax versus PC-softmax on (im)balanced MNIST and CUB-200-2011.

Micro and per-class (macro) accuracy, mean ± std over seeds, with the two-sided
Mann-Whitney U p-value between the losses (the paper's test), the post-hoc
logit-adjusted softmax as the control PC-softmax must beat, and the paper's
values on the matching test split (balanced training: the balanced test set;
imbalanced training: the imbalanced one, as the authors tested).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from infocam_lit.paper_values import TABLE3_ACCURACY, TABLE3_PER_CLASS
from infocam_lit.runs import Run, mann_whitney_p, markdown_table, mean_std, p_value, pct, percent_mean_std

EXPERIMENTS = ("mnist", "cub_cls")
SPLITS = ("test", "test_imb")
COLUMNS = ["dataset", "training set", "test split", "seeds", "softmax acc", "PC-softmax acc", "p (acc)",
           "softmax per-class", "PC-softmax per-class", "p (per-class)", "softmax + post-hoc per-class",
           "paper acc (softmax / PC)", "paper per-class (softmax / PC)"]


def table3_records(runs: list[Run]) -> list[dict]:
    groups: dict[tuple, dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for run in runs:
        experiment = run.config.get("experiment_name")
        if run.failed or experiment not in EXPERIMENTS:
            continue
        imbalanced = bool(run.config["data"]["imbalanced"])
        loss = run.config["loss"]["name"]
        for split in SPLITS:
            for key in ("acc", "acc_macro", "acc_macro_posthoc"):
                value = run.metrics.get(f"{split}/{key}")
                if value is not None:
                    groups[(experiment, imbalanced, split)][loss][key].append(value)
    records = []
    for (experiment, imbalanced, split), by_loss in sorted(groups.items()):
        soft, pc = by_loss.get("softmax", {}), by_loss.get("pc_softmax", {})
        matched = split == ("test_imb" if imbalanced else "test")
        paper = (experiment, imbalanced)
        records.append({
            "dataset": experiment, "training set": "imbalanced" if imbalanced else "balanced", "test split": split,
            "seeds": f"{len(soft.get('acc', []))} / {len(pc.get('acc', []))}",
            "softmax acc": soft.get("acc", []), "PC-softmax acc": pc.get("acc", []),
            "p (acc)": mann_whitney_p(soft.get("acc", []), pc.get("acc", [])),
            "softmax per-class": soft.get("acc_macro", []), "PC-softmax per-class": pc.get("acc_macro", []),
            "p (per-class)": mann_whitney_p(soft.get("acc_macro", []), pc.get("acc_macro", [])),
            "softmax + post-hoc per-class": soft.get("acc_macro_posthoc", []),
            "paper acc": (TABLE3_ACCURACY.get((*paper, "softmax")), TABLE3_ACCURACY.get((*paper, "pc_softmax")))
            if matched else (None, None),
            "paper per-class": (TABLE3_PER_CLASS.get((*paper, "softmax")), TABLE3_PER_CLASS.get((*paper, "pc_softmax")))
            if matched else (None, None),
        })
    return records


def table3_markdown(records: list[dict]) -> str:
    rows = [[
        r["dataset"], r["training set"], r["test split"], r["seeds"],
        percent_mean_std(r["softmax acc"]), percent_mean_std(r["PC-softmax acc"]), p_value(r["p (acc)"]),
        percent_mean_std(r["softmax per-class"]), percent_mean_std(r["PC-softmax per-class"]),
        p_value(r["p (per-class)"]),
        percent_mean_std(r["softmax + post-hoc per-class"]),
        " / ".join(pct(v) for v in r["paper acc"]), " / ".join(pct(v) for v in r["paper per-class"]),
    ] for r in records]
    return markdown_table(COLUMNS, rows)


def csv_records(records: list[dict]) -> list[dict]:
    """One flat row per table row: means and stds as fractions."""
    flat = []
    for r in records:
        row = {k: r[k] for k in ("dataset", "training set", "test split", "seeds", "p (acc)", "p (per-class)")}
        for key in ("softmax acc", "PC-softmax acc", "softmax per-class", "PC-softmax per-class",
                    "softmax + post-hoc per-class"):
            row[f"{key} mean"], row[f"{key} std"] = mean_std(r[key])
        row["paper acc softmax"], row["paper acc PC"] = r["paper acc"]
        row["paper per-class softmax"], row["paper per-class PC"] = r["paper per-class"]
        flat.append(row)
    return flat


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    records = table3_records(runs)
    if not records:
        return None
    markdown = ("### Table 3: softmax versus PC-softmax (accuracy in %, mean ± std over seeds; "
                "p: two-sided Mann-Whitney U)\n\n" + table3_markdown(records))
    return markdown, csv_records(records)

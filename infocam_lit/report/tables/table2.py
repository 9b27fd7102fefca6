"""Table 2 (and Table 1): I(X;Y) estimates on the Gaussian mixture, from MI-experiment runs."""

from __future__ import annotations

import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from infocam_lit.maths import gmm
from infocam_lit.report.configs import config_record, configurations, insert_config_column
from infocam_lit.report.figures import plot_estimates_vs_dim, plot_test_sets_pca
from infocam_lit.report.paper_values import TABLE2_ACCURACY, TABLE2_MI, table2_value
from infocam_lit.report.runs import Run, fmt, markdown_table, mean_std, pct, seconds_text, wall_time
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed


@dataclass
class Table2Row:
    imbalanced: bool
    dim: int
    estimator: str
    mi: list[float] = field(default_factory=list)
    mi_se: list[float] = field(default_factory=list)
    mi_true: float = math.nan
    mi_mc: list[float] = field(default_factory=list)
    acc: list[float] = field(default_factory=list)
    acc_bayes: list[float] = field(default_factory=list)
    mi_prior_corrected: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)  # seconds per run (timing.json)
    config: str = ""  # what sets its configuration apart from the others of its setting and estimator


ESTIMATOR_ORDER = {"softmax": 0, "pc_softmax": 1, "logit_adjusted": 2, "mine": 3, "knn": 4}


def estimator_name(config: dict) -> str:
    target = (config.get("model") or {}).get("_target_", "")
    if target.endswith("MINEModule"):
        return "mine"
    if target.endswith("KNNModule"):
        return "knn"
    return str((config.get("loss") or {}).get("name"))


def is_mi_run(config: dict) -> bool:
    return (config.get("data") or {}).get("_target_", "").endswith("GMMDataModule")


# The paper's sample: no nuisance dimension, every training point (SPEC §7.4's studies vary them; runs
# from before those keys existed are read at their schema's defaults, the same).
PAPER_SAMPLE = {"noise_dims": 0, "size_factor": 1.0}


def sample_value(config: dict, key: str) -> float:
    return config["data"][key]


def paper_sample(config: dict, *keys: str) -> bool:
    """Whether the run's data keys (all of PAPER_SAMPLE by default) are the paper's."""
    return all(sample_value(config, key) == PAPER_SAMPLE[key] for key in keys or PAPER_SAMPLE)


# a row's setting: Table 2's own columns, so left out when the runs of an estimator are told apart
SETTING_KEYS = ("data.dim", "data.imbalanced")


def setting_of(run: Run) -> tuple[bool, int]:
    return bool(run.config["data"]["imbalanced"]), int(run.config["data"]["dim"])


def table2_runs(runs: list[Run]) -> list[Run]:
    """The finished mixture runs of the paper's sample."""
    return [run for run in runs if not run.failed and is_mi_run(run.config) and paper_sample(run.config)]


def table2_rows(runs: list[Run]) -> list[Table2Row]:
    """The rows of `runs` (Table 2's runs, one per seed)."""
    by_estimator: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_estimator[estimator_name(run.config)].append(run)
    rows = []
    for estimator, group in by_estimator.items():
        # configurations across the settings: one label per configuration in every row and in the figure
        for configuration in configurations(group, ignore=SETTING_KEYS):
            rows += [table2_row(Table2Row(*setting, estimator, config=part.label), part.runs)
                     for setting, part in configuration.split_by(setting_of).items()]
    # a stable sort: the configurations of one setting and estimator stay in their order
    return sorted(rows, key=lambda r: (r.imbalanced, r.dim, ESTIMATOR_ORDER.get(r.estimator, 9)))


def table2_row(row: Table2Row, runs: list[Run]) -> Table2Row:
    """The row filled from its runs: the seeds of one configuration of a setting (balanced or not, d) and estimator."""
    for run in runs:
        m = run.metrics
        row.mi.append(m["test/mi"])
        row.mi_se.append(m["test/mi_se"])
        row.mi_true = m["test/mi_true"]
        row.mi_mc.append(m["test/mi_mc"])
        if (seconds := wall_time(run)) is not None:
            row.wall_time.append(seconds)
        if "test/mi_prior_corrected" in m:
            row.mi_prior_corrected.append(m["test/mi_prior_corrected"])
        if "test/acc" in m:
            row.acc.append(m["test/acc"])
            # the rule the loss learns: prior rule for softmax, balanced rule otherwise
            row.acc_bayes.append(m["test/acc_bayes" if row.estimator == "softmax" else "test/acc_bayes_balanced"])
    return row


TABLE2_COLUMNS = ["setting", "d", "estimator", "seeds", "exact I", "MC (ours)", "estimate (mean ± std)", "test SE",
                  "abs. error", "log softmax - log π read-out", "accuracy", "Bayes rule", "paper MI", "paper MC",
                  "paper accuracy", "wall time per run"]


def table2_records(rows: list[Table2Row]) -> list[dict]:
    shown = any(r.config for r in rows)
    records = []
    for r in rows:
        mi, mi_std = mean_std(r.mi)
        acc, _ = mean_std(r.acc)
        bayes, _ = mean_std(r.acc_bayes)
        records.append({
            "setting": "imbalanced" if r.imbalanced else "balanced",
            "d": r.dim,
            "estimator": r.estimator,
            **config_record(r.config, shown),
            "seeds": len(r.mi),
            "exact I": r.mi_true,
            "MC (ours)": mean_std(r.mi_mc)[0],
            "estimate": mi,
            "estimate std": mi_std,
            "test SE": mean_std(r.mi_se)[0],
            "prior-corrected read-out": mean_std(r.mi_prior_corrected)[0],
            "abs. error": abs(mi - r.mi_true),
            "accuracy": acc,
            "Bayes rule": bayes,
            "paper MI": table2_value(TABLE2_MI, r.imbalanced, r.estimator, r.dim),
            "paper MC": table2_value(TABLE2_MI, r.imbalanced, "mc", r.dim),
            "paper accuracy": table2_value(TABLE2_ACCURACY, r.imbalanced, r.estimator, r.dim),
            "wall time per run": mean_std(r.wall_time)[0],
        })
    return records


def table2_markdown(records: list[dict]) -> str:
    rows = [[
        rec["setting"], str(rec["d"]), rec["estimator"], str(rec["seeds"]), fmt(rec["exact I"], 4),
        fmt(rec["MC (ours)"], 4),
        f"{fmt(rec['estimate'], 4)} ± {fmt(rec['estimate std'], 4) if rec['seeds'] > 1 else '—'}",
        fmt(rec["test SE"], 4), fmt(rec["abs. error"], 4), fmt(rec["prior-corrected read-out"], 4),
        pct(rec["accuracy"]), pct(rec["Bayes rule"]),
        fmt(rec["paper MI"], 2), fmt(rec["paper MC"], 2), pct(rec["paper accuracy"]),
        seconds_text(rec["wall time per run"]),
    ] for rec in records]
    return markdown_table(*insert_config_column(TABLE2_COLUMNS, rows, [rec.get("config", "") for rec in records],
                                                after="estimator"))


def table1_markdown() -> str:
    """The paper's Table 1: the mixture's classes, means, train counts and priors."""
    lines = ["| y | μ | balanced: train / val / test | imbalanced: train / val / test | p(y) imbalanced |",
             "|---|---|---|---|---|"]
    balanced, imbalanced = gmm.split_counts(False), gmm.split_counts(True)
    prior = gmm.class_prior(True)
    for k, mu in enumerate(gmm.CLASS_MEANS):
        b = " / ".join(f"{balanced[s][k]:,}" for s in ("train", "val", "test"))
        i = " / ".join(f"{imbalanced[s][k]:,}" for s in ("train", "val", "test"))
        lines.append(f"| {k} | {mu:+g} | {b} | {i} | {prior[k]:.3f} |")
    return "\n".join(lines)


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    """The Markdown section (with its figures written to `out`) and the CSV records, or None."""
    mi_runs, duplicates = one_run_per_seed(table2_runs(runs))
    rows = table2_rows(mi_runs)
    if not rows:
        return None
    records = table2_records(rows)
    # one line per estimator and configuration
    lines = [{**rec, "estimator": f"{rec['estimator']} ({rec['config']})"} if rec.get("config") else rec
             for rec in records]
    figure = plot_estimates_vs_dim(lines, out / "mi_vs_dim.png")
    covered = sorted({(int(run.config["data"]["dim"]), bool(run.config["data"]["imbalanced"])) for run in mi_runs})
    plot_test_sets_pca(covered, min(int(run.config["data"]["seed"]) for run in mi_runs), out / "test_sets_pca.png")
    markdown = ("### Table 2: I(X;Y) estimates (nats, test split)\n\n"
                "The estimate is each estimator's own read-out: the paper's `log softmax + log M` for softmax "
                "(biased up by log M - H(Y) on imbalanced data), the PC form for PC-softmax, the DV bound for "
                "MINE, Ross's k-nearest-neighbour estimate (k = 3, no training) for kNN; the last read-out column "
                "is the prior-corrected one of the softmax runs.\n\n"
                + table2_markdown(records)
                + f"\n\n![estimates vs d]({os.path.relpath(figure, link_from)})")
    if duplicates:
        markdown += "\n\n" + duplicates_markdown(duplicates)
    return markdown, records

"""The MI estimators past the paper (SPEC §7.4): absolute error against the number of nuisance
dimensions D and against the sample size f, one line per estimator (the PC-softmax classifier,
MINE, kNN), from Gaussian-mixture runs at d = 5, imbalanced.

The error of a run is |estimate - exact I(X;Y)|, the estimate being `test/mi`, except for kNN in the
sample-size study: kNN fits nothing, so the sample it is given is the training split and its point is
`train/mi` (SPEC §7.4). Mean ± std over seeds.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from infocam_lit.maths import gmm
from infocam_lit.report.configs import config_record, configurations, insert_config_column
from infocam_lit.report.figures import plot_mean_std_curves
from infocam_lit.report.runs import Run, fmt, markdown_table, mean_std, seconds_text, wall_time
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed
from infocam_lit.report.tables.table2 import (
    ESTIMATOR_ORDER,
    PAPER_SAMPLE,
    estimator_name,
    is_mi_run,
    paper_sample,
    sample_value,
)


@dataclass(frozen=True)
class Study:
    key: str  # data.<key>
    column: str
    title: str
    axis_label: str
    axis_scale: str
    figure: str


NOISE_DIMS = Study("noise_dims", "D", "Nuisance dimensions: d = 5 informative + D independent N(0, 1), imbalanced",
                   "nuisance dimensions D", "symlog", "abs_error_vs_noise_dims.png")
SAMPLE_SIZE = Study("size_factor", "f", "Sample size: a fraction f of each class's train and validation points, "
                    "d = 5, imbalanced (test split unchanged)", "size factor f (train and validation)", "log",
                    "abs_error_vs_size_factor.png")
COLUMNS = ["estimator", "seeds", "read on", "exact I", "estimate (mean ± std)", "abs. error (mean ± std)",
           "wall time per run"]


def read_on(study: Study, estimator: str) -> str:
    return "train/mi" if study is SAMPLE_SIZE and estimator == "knn" else "test/mi"


def study_runs(runs: list[Run], study: Study) -> list[Run]:
    """Finished mixture runs at d = 5, imbalanced, with every other study variable at its default."""
    others = [key for key in PAPER_SAMPLE if key != study.key]
    return [run for run in runs if not run.failed and is_mi_run(run.config) and paper_sample(run.config, *others)
            and int(run.config["data"]["dim"]) == 5 and bool(run.config["data"]["imbalanced"])]


def train_points(size_factor: float) -> int:
    counts = gmm.split_counts(True)["train"]
    return len(gmm.class_prefixes(counts, size_factor))


def study_records(runs: list[Run], study: Study) -> list[dict]:
    by_estimator: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_estimator[estimator_name(run.config)].append(run)
    rows = []  # (value, estimator, configuration): the seeds of one configuration at one value
    for estimator, group in by_estimator.items():
        # configurations across the study's values: one label per line of the figure
        for configuration in configurations(group, ignore=(f"data.{study.key}",)):
            parts = configuration.split_by(lambda run: sample_value(run.config, study.key))
            rows += [(value, estimator, part) for value, part in parts.items()]
    # a stable sort: the configurations of one value and estimator stay in their order
    rows.sort(key=lambda row: (row[0], ESTIMATOR_ORDER.get(row[1], 9)))
    shown = any(configuration.label for *_, configuration in rows)
    records = []
    for value, estimator, configuration in rows:
        group = configuration.runs
        key = read_on(study, estimator)
        estimates = [run.metrics[key] for run in group]
        errors = [abs(run.metrics[key] - run.metrics["test/mi_true"]) for run in group]
        times = [t for run in group if (t := wall_time(run)) is not None]
        records.append({study.column: value, "estimator": estimator, **config_record(configuration.label, shown),
                        "seeds": len(group), "read on": key, "exact I": group[0].metrics["test/mi_true"],
                        **dict(zip(("estimate", "estimate std"), mean_std(estimates), strict=True)),
                        **dict(zip(("abs. error", "abs. error std"), mean_std(errors), strict=True)),
                        "wall time per run": mean_std(times)[0]})
    return records


def curve_name(record: dict) -> str:
    """A figure's line: the estimator, and its configuration where the study has several."""
    return f"{record['estimator']} ({record['config']})" if record.get("config") else record["estimator"]


def study_markdown(records: list[dict], study: Study) -> str:
    lines = []
    for value in sorted({r[study.column] for r in records}):
        heading = f"{study.column} = {value:g}"
        if study is SAMPLE_SIZE:
            heading += f" ({train_points(value):,} training points)"
        chosen = [r for r in records if r[study.column] == value]
        rows = [[r["estimator"], str(r["seeds"]), f"`{r['read on']}`", fmt(r["exact I"], 4),
                 f"{fmt(r['estimate'], 4)} ± {fmt(r['estimate std'], 4)}",
                 f"{fmt(r['abs. error'], 4)} ± {fmt(r['abs. error std'], 4)}",
                 seconds_text(r["wall time per run"])]
                for r in chosen]
        table = insert_config_column(COLUMNS, rows, [r.get("config", "") for r in chosen], after="estimator")
        lines.append(f"**{heading}**\n\n" + markdown_table(*table))
    return "\n\n".join(lines)


def section(runs: list[Run], out: Path, link_from: Path, study: Study) -> tuple[str, list[dict]] | None:
    """The study's table and figure, when its runs vary its variable (else None)."""
    selected, duplicates = one_run_per_seed(study_runs(runs, study))
    if all(paper_sample(run.config, study.key) for run in selected):
        return None
    records = study_records(selected, study)
    curves = {name: [(r[study.column], r["abs. error"], r["abs. error std"]) for r in records if curve_name(r) == name]
              for name in dict.fromkeys(map(curve_name, records))}
    figure = plot_mean_std_curves(curves, out / study.figure, study.axis_label,
                                  "|estimate − exact I(X;Y)| [nats]", study.axis_scale)
    markdown = (f"### {study.title}\n\n" + study_markdown(records, study)
                + f"\n\n![absolute error vs {study.column}]({os.path.relpath(figure, link_from)})")
    if duplicates:
        markdown += "\n\n" + duplicates_markdown(duplicates)
    return markdown, records


def noise_dims_section(runs: list[Run], out: Path, link_from: Path):
    return section(runs, out, link_from, NOISE_DIMS)


def sample_size_section(runs: list[Run], out: Path, link_from: Path):
    return section(runs, out, link_from, SAMPLE_SIZE)

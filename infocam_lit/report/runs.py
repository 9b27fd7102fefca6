"""Finished runs on disk: one folder per job, with its config and metrics.json."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import mannwhitneyu

from infocam_lit.report.schema_defaults import with_schema_defaults
from infocam_lit.run.run_files import TIMING_FILE, failure_summary
from infocam_lit.run.run_record import folder_record

EVALUATE_TASK = "evaluate"  # evaluate.py: a checkpoint measured again
PREDICT_TASK = "predict"  # predict.py: maps of new images, no metrics (predictions.json)


@dataclass
class Run:
    folder: Path
    config: dict  # config.yaml as saved, the keys it lacks at their schemas' defaults (schema_defaults.py)
    metrics: dict | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.metrics is None


def find_runs(root: Path) -> list[Run]:
    """Every job folder under `root`, in sorted order. A predict.py folder is no job of a results table: it
    is left out (it has predictions, never a metrics.json, so it would read as a failed job)."""
    runs = []
    folders = {p.parent.parent for p in root.rglob(".hydra/config.yaml")}
    for folder in sorted(folders):
        record = folder_record(folder)  # config.yaml (resolved, written by the run itself) and metrics.json
        if record.task == PREDICT_TASK:
            continue
        config = with_schema_defaults(record.config)
        if record.metrics is not None:
            runs.append(Run(folder, config, record.metrics))
        else:
            runs.append(Run(folder, config, error=_failure_reason(folder)))
    return runs


def _failure_reason(folder: Path) -> str:
    recorded = failure_summary(folder)
    if recorded:
        return recorded
    logs = sorted(folder.glob("*.log"))
    for log_file in logs:
        lines = [line for line in log_file.read_text(errors="replace").splitlines() if "Error" in line]
        if lines:
            return lines[-1][-200:]
    return "no metrics.json (failed or unfinished)"


def is_evaluate_run(config: dict) -> bool:
    """A re-evaluation of a trained checkpoint by evaluate.py (its config names the task), not a training run."""
    return config.get("task_name") == EVALUATE_TASK


# rho of an imbalanced training set whose data has no ratio: CUB's (half the images of a seeded half of the
# classes) stands in the tables with the paper's imbalanced MNIST, rho = 10
PAPER_IMBALANCE_RATIO = 10.0


def imbalance_ratio(config: dict) -> float:
    """rho of a classification run: 1 for a balanced training set, else data.imbalance_ratio where its data has
    one (MNIST), else PAPER_IMBALANCE_RATIO."""
    data = config.get("data") or {}
    if not data.get("imbalanced"):
        return 1.0
    return float(data["imbalance_ratio"]) if "imbalance_ratio" in data else PAPER_IMBALANCE_RATIO


# the keys rho is read from: a table that shows rho leaves them out when it compares configurations (rho = 1 is
# `data.imbalanced=false` or `data.imbalance_ratio=1`, one training set written two ways)
RATIO_KEYS = ("data.imbalanced", "data.imbalance_ratio")


def wall_time(run: Run) -> float | None:
    """Seconds the run took (timing.json, summed over resumed invocations), or None when not recorded."""
    path = run.folder / TIMING_FILE
    return json.loads(path.read_text())["wall_time_s"] if path.is_file() else None


def seconds_text(value: float | None) -> str:
    """A wall time: tenths below 10 s (where whole seconds read as 0), "—" when not recorded."""
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def percent_mean_std(values: list[float]) -> str:
    """Fractions as "mean ± std" in percent over seeds (just the mean for one run, "—" for none)."""
    if not values:
        return "—"
    mean, std = mean_std(values)
    return f"{100 * mean:.2f} ± {100 * std:.2f}" if len(values) > 1 else f"{100 * mean:.2f}"


def mean_std_cell(values: list[float], digits: int = 3) -> str:
    """Plain values (MI in nats, fractions, thresholds) as "mean ± std" over seeds (just the mean for one
    run, "—" for none)."""
    if not values:
        return "—"
    mean, std = mean_std(values)
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


def mann_whitney_p(a: list[float], b: list[float], method: str = "auto") -> float:
    """Two-sided Mann-Whitney U p-value; NaN with fewer than two runs per arm. `method="exact"` keeps the
    exact distribution of U where ties would switch scipy to its normal approximation."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    return float(mannwhitneyu(a, b, alternative="two-sided", method=method).pvalue)


def p_value(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.3f}"


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)

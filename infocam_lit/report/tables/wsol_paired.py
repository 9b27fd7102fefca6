"""Paired comparisons of WSOL maps (SPEC §7.6), the engine under Table 4's comparisons and the controls table.

Two maps measured on one checkpoint are paired twice: by seed (the same network) and by image (the same test
image). A side of a comparison is a map in a set of runs, keyed by the trained run whose checkpoint made it, so
two sides pair up wherever they share a trained run: the maps of one run, or one map under two evaluation
settings of the same checkpoints. A no-network baseline is one constant per test set (and one hit per image):
it is compared as a constant, never replicated as a sample (report/paired_stats.py).

- over seeds: the exact Wilcoxon signed-rank test and the paired t-test of the per-seed differences (against
  a baseline: one-sample tests of the map's values against the constant);
- over images, where every paired run left per_image.csv.gz: the exact sign test of each image's net hits
  over the seeds (McNemar's exact test when there is one seed), and McNemar's exact test seed by seed;
- the difference with a 95 % interval: the two-level bootstrap (seeds, then images, crossed), or over seeds
  alone where there are no per-image results or the measure has none (MaxBoxAccV2 takes its best τ on the
  whole test set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infocam_lit.report.paired_stats import (
    bootstrap_ci,
    mcnemar_exact,
    one_sample_tests,
    paired_t_p,
    pooled_image_sign_test,
    seed_bootstrap_ci,
    wilcoxon_floor,
    wilcoxon_signed_rank_exact,
)
from infocam_lit.report.runs import Run
from infocam_lit.report.seeds import trained_run_name
from infocam_lit.run.run_files import PER_IMAGE_FILE, read_per_image

RESAMPLES, BOOTSTRAP_SEED = 10_000, 0
HIT = 0.5  # GT-known Loc: IoU >= 0.5
# measure -> the per-image column suffix whose hits make it (None: no per-image form)
PER_IMAGE_COLUMN = {"gt_known_loc": "_iou", "gt_known_loc_val_tau": "_iou_val_tau", "maxboxacc_v2": None}
METHOD_NOTE = (
    "Δ: the mean difference in points (first minus second) with its 95 % interval from a bootstrap of "
    f"{RESAMPLES:,} resamples (fixed seed {BOOTSTRAP_SEED}): seeds, then images, one image draw shared by the "
    "drawn seeds, since every seed scores the same test images (`[seeds]`: seeds alone, where runs lack "
    "per-image results or the measure has none: MaxBoxAccV2 takes its best τ on the whole test set). "
    "Wilcoxon: the exact two-sided signed-rank test of the per-seed differences (its floor with n seeds is "
    "2 / 2^n: 0.0625 for 5, 0.25 for 3); t: the paired t-test. Images: the exact two-sided sign test of each "
    "image's hits minus misses summed over the seeds (McNemar's exact test for one seed); McNemar: the seeds "
    "whose own exact McNemar test gives p < 0.05, and in whose favour. Against the centre baseline, one number "
    "per test set: one-sample tests of the map's per-seed values against it, and image by image against its "
    "own hits."
)


_PER_IMAGE_CACHE: dict[Path, dict] = {}


def per_image(run: Run) -> dict[str, np.ndarray] | None:
    """The run's per_image.csv.gz (read once per report), or None where it has none."""
    path = run.folder / PER_IMAGE_FILE
    if not path.is_file():
        return None
    if path not in _PER_IMAGE_CACHE:
        _PER_IMAGE_CACHE[path] = read_per_image(run.folder)
    return _PER_IMAGE_CACHE[path]


@dataclass
class Side:
    """A map in a set of runs: per trained run, its value of a measure and, where recorded, its per-image hits."""

    values: dict[str, float]
    hits: dict[str, np.ndarray | None]


@dataclass
class Constant:
    """A baseline that needs no network: one value of the measure on the test set, and its per-image hits."""

    value: float
    hits: np.ndarray | None


def map_side(runs: list[Run], name: str, measure: str) -> Side:
    """Map `name` in `runs` (one per trained run; a later run of the same trained run replaces an earlier one)."""
    key, column = f"test/{name}/{measure}", PER_IMAGE_COLUMN[measure]
    values, hits = {}, {}
    for run in runs:
        if run.failed or key not in run.metrics:
            continue
        trained = trained_run_name(run)
        values[trained] = run.metrics[key]
        table = per_image(run) if column else None
        hits[trained] = table[f"{name}{column}"] >= HIT if table is not None and f"{name}{column}" in table else None
    return Side(values, hits)


def constant_side(runs: list[Run], name: str, measure: str) -> Constant | None:
    """A baseline as a constant: its value (the same in every run on one test set) and its per-image hits; None
    where no run reports it or runs disagree (then they were not scored on one test set)."""
    side = map_side(runs, name, measure)
    values = set(side.values.values())
    if len(values) != 1:
        return None
    tables = [hits for hits in side.hits.values() if hits is not None]
    return Constant(values.pop(), tables[0] if tables else None)


@dataclass
class Comparison:
    runs: int
    delta: float  # points
    low: float
    high: float
    seeds_only_ci: bool
    wilcoxon_p: float
    t_p: float
    sign_p: float | None = None  # image level, where every paired run has per-image hits
    a_images: int = 0
    b_images: int = 0
    mcnemar: tuple[int, int, int] | None = None  # seeds with p < 0.05 favouring a, favouring b; seeds tested

    @property
    def at_floor(self) -> bool:
        """The exact Wilcoxon p is the smallest its seeds allow (below 1: one seed allows nothing else)."""
        return self.wilcoxon_p < 1 and math.isclose(self.wilcoxon_p, wilcoxon_floor(self.runs))

    def cells(self) -> list[str]:
        """Δ (95 % CI) | Wilcoxon p (floor) | t p | images: sign test | McNemar per seed."""
        interval = f"{self.delta:+.2f} ({self.low:+.2f} to {self.high:+.2f}){' [seeds]' if self.seeds_only_ci else ''}"
        wilcoxon = f"{_p(self.wilcoxon_p)}{' (floor)' if self.at_floor else ''}"
        if self.sign_p is None:
            return [interval, wilcoxon, _p(self.t_p), "—", "—"]
        images = f"{_p(self.sign_p)} ({self.a_images} vs {self.b_images})"
        a, b, seeds = self.mcnemar
        return [interval, wilcoxon, _p(self.t_p), images, f"{a} + / {b} − of {seeds}"]

    def record(self) -> dict:
        return {"runs": self.runs, "delta (points)": self.delta, "ci low": self.low, "ci high": self.high,
                "ci over seeds only": self.seeds_only_ci, "wilcoxon p (exact)": self.wilcoxon_p,
                "wilcoxon floor": wilcoxon_floor(self.runs), "t p": self.t_p, "images sign test p": self.sign_p,
                "images for first": self.a_images if self.sign_p is not None else None,
                "images for second": self.b_images if self.sign_p is not None else None,
                "mcnemar seeds p<0.05 for first": self.mcnemar[0] if self.mcnemar else None,
                "mcnemar seeds p<0.05 for second": self.mcnemar[1] if self.mcnemar else None}

    def text(self) -> str:
        """"+0.57 points (95 % CI +0.42 to +0.73; Wilcoxon p = 0.0625, its floor for 5 seeds; paired t p = 0.004;
        images p = 0.001)"."""
        floor = f", its floor for {self.runs} seeds" if self.at_floor else ""
        parts = [f"95 % CI {self.low:+.2f} to {self.high:+.2f}", f"Wilcoxon p = {_p(self.wilcoxon_p)}{floor}"]
        if not math.isnan(self.t_p):
            parts.append(f"paired t p = {_p(self.t_p)}")
        if self.sign_p is not None:
            parts.append(f"images p = {_p(self.sign_p)}")
        return f"{self.delta:+.2f} points ({'; '.join(parts)})"


def _p(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:.3g}" if value >= 0.001 else f"{value:.1e}"  # 0.0625, the floor for 5 seeds, in full


def compare(a: Side, b: Side | Constant) -> Comparison | None:
    """a against b over the trained runs both have (None when they share none)."""
    if isinstance(b, Constant):
        shared = sorted(a.values)
        differences = np.array([a.values[t] - b.value for t in shared])
        tests = one_sample_tests([a.values[t] for t in shared], b.value)
        wilcoxon, t_p = tests["wilcoxon_p"], tests["t_p"]
    else:
        shared = sorted(set(a.values) & set(b.values))
        differences = np.array([a.values[t] - b.values[t] for t in shared])
        wilcoxon, t_p = wilcoxon_signed_rank_exact(differences), paired_t_p(differences)
    if not shared:
        return None
    a_hits = [a.hits.get(t) for t in shared]
    b_hits = [b.hits] * len(shared) if isinstance(b, Constant) else [b.hits.get(t) for t in shared]
    if any(h is None for h in (*a_hits, *b_hits)):
        delta, low, high = seed_bootstrap_ci(differences, 0.0, RESAMPLES, BOOTSTRAP_SEED)
        return Comparison(len(shared), 100 * delta, 100 * low, 100 * high, True, wilcoxon, t_p)
    first, second = np.stack(a_hits).astype(float), np.stack(b_hits).astype(float)
    delta, low, high = bootstrap_ci(first, second, RESAMPLES, BOOTSTRAP_SEED)
    pooled = pooled_image_sign_test(first, second)
    per_seed = [mcnemar_exact(x, y) for x, y in zip(first, second, strict=True)]
    significant = [m for m in per_seed if m["p"] < 0.05]
    mcnemar = (sum(m["a_only"] > m["b_only"] for m in significant), sum(m["a_only"] < m["b_only"] for m in significant),
               len(per_seed))
    return Comparison(len(shared), 100 * delta, 100 * low, 100 * high, False, wilcoxon, t_p, pooled["p"],
                      pooled["a_images"], pooled["b_images"], mcnemar)


COMPARISON_COLUMNS = ["Δ points (95 % CI)", "Wilcoxon p", "t p", "images: sign test p (images for / against)",
                      "McNemar p < 0.05: seeds for / against"]

"""Comparisons within a WSOL group, under Table 4: where a group was trained with both softmax and
PC-softmax, the two-sided Mann-Whitney U p-value of GT-known Loc between them; the p-values of infoCAM
and infoCAM+ against CAM and of every map against the centred Gaussian; and one generated sentence per
group."""

from __future__ import annotations

import statistics

from infocam_lit.report.runs import (
    Run,
    mann_whitney_p,
    markdown_table,
    p_value,
    percent_mean_std,
    seconds_text,
    wall_time,
)
from infocam_lit.report.tables.wsol_baselines import BASELINES, CENTRE, baseline_values
from infocam_lit.report.tables.wsol_groups import (
    MAP_NAMES,
    MAPS,
    Key,
    config_field,
    group_label,
    metric_values,
    setting_cells,
    with_config,
)

# the measures the p-values and sentences compare: metric key -> column name
COMPARED = {"gt_known_loc": "GT-known (paper's τ)", "gt_known_loc_val_tau": "GT-known (val τ)",
            "maxboxacc_v2": "MaxBoxAccV2"}
COMPARISONS = (("infocam", "cam"), ("infocam_plus", "cam"), ("cam", CENTRE), ("infocam", CENTRE),
               ("infocam_plus", CENTRE))


def p_vs_softmax(groups: dict[Key, list[dict]], key: Key, metric: str) -> str:
    """p of `metric` between this PC-softmax group and its softmax twin ("" when there is none)."""
    twin = groups.get(key._replace(loss="softmax"))
    if key.loss != "pc_softmax" or twin is None:
        return ""
    # "—" with fewer than two seeds per loss
    return p_value(mann_whitney_p(metric_values(twin, metric), metric_values(groups[key], metric)))


def _sample(metrics: list[dict], name: str, measure: str) -> list[float]:
    """One value per seed of a map, or of a baseline (the same in every run: its per-run values are the sample)."""
    if name in BASELINES:
        return baseline_values(metrics, name, measure)
    return metric_values(metrics, f"test/{name}/{measure}")


def _gain(better: list[float], worse: list[float]) -> float | None:
    """Difference of the means in percentage points (None when either side has no runs)."""
    return 100 * (statistics.fmean(better) - statistics.fmean(worse)) if better and worse else None


def _p(better: list[float], worse: list[float]) -> float:
    """Mann-Whitney U over seeds. A baseline's sample is one value repeated (it needs no network): scipy would
    take the normal approximation for those ties, below the exact floors at these sizes; the exact
    distribution of U is the permutation test's p whenever no map value equals the baseline's."""
    constant = len(set(worse)) == 1 or len(set(better)) == 1
    return mann_whitney_p(better, worse, method="exact" if constant else "auto")


def _gain_cells(better: list[float], worse: list[float]) -> list[str]:
    gain = _gain(better, worse)
    return ["—", "—"] if gain is None else [f"{gain:+.2f}", p_value(_p(better, worse))]


def _gain_text(better: list[float], worse: list[float]) -> str:
    gain = _gain(better, worse)
    return "— (no runs)" if gain is None else f"{gain:+.2f} points (p = {p_value(_p(better, worse))})"


def _comparison_name(name: str) -> str:
    return "the centre baseline" if name == CENTRE else MAP_NAMES[name]


def comparison_table(groups: dict[Key, list[dict]]) -> tuple[str, list[dict]]:
    """The p-value table: per group, infoCAM and infoCAM+ against CAM, and each map against the centred
    Gaussian, for each compared measure."""
    rows, records, keys = [], [], []
    for key, metrics in groups.items():
        for better, worse in COMPARISONS:
            samples = {m: (_sample(metrics, better, m), _sample(metrics, worse, m)) for m in COMPARED}
            if worse in BASELINES and not any(worse_sample for _, worse_sample in samples.values()):
                continue  # runs made before the baselines existed
            name = f"{MAP_NAMES[better]} vs {_comparison_name(worse)}"
            rows.append([*setting_cells(key), name, str(len(metrics)),
                         *(cell for pair in samples.values() for cell in _gain_cells(*pair))])
            keys.append(key)
            records.append({"table": "4 p", "dataset": key.experiment, "architecture": key.arch, "adl": key.adl,
                            "loss": key.loss, **config_field(key, groups), "comparison": name, "runs": len(metrics),
                            **{f"{m} gain (points)": _gain(*pair) for m, pair in samples.items()},
                            **{f"{m} p": _p(*pair) for m, pair in samples.items()}})
    columns = ["dataset", "architecture", "ADL", "loss", "comparison", "runs",
               *(c for measure in COMPARED.values() for c in (f"{measure}: Δ points", "p"))]
    note = ("Within each group: Δ = difference of the means over seeds in percentage points (first minus second), "
            "p = two-sided Mann-Whitney U over seeds (3 against 3 cannot go below 0.100, 5 against 5 below 0.008). "
            "Against the centre baseline its per-run values are the sample (needing no network, they are all equal) "
            "and p is the exact one: all seeds on one side of it give those floors.")
    return "\n\n".join([note, markdown_table(*with_config(columns, rows, keys))]), records


def _best_map(metrics: list[dict]) -> str:
    """The map with the highest mean GT-known Loc at val τ (CAM where none was measured)."""
    means = {name: statistics.fmean(v)
             for name in MAPS if (v := metric_values(metrics, f"test/{name}/gt_known_loc_val_tau"))}
    return max(means, key=means.get) if means else "cam"


def _versus(metrics: list[dict], better: str, worse: str) -> str:
    """"+x.xx points (p = ...), MaxBoxAccV2 +y.yy points (p = ...)": GT-known Loc at val τ, then MaxBoxAccV2."""
    at_val_tau, maxboxacc = ((_sample(metrics, better, m), _sample(metrics, worse, m))
                             for m in ("gt_known_loc_val_tau", "maxboxacc_v2"))
    return f"{_gain_text(*at_val_tau)}, MaxBoxAccV2 {_gain_text(*maxboxacc)}"


def group_statement(key: Key, runs: list[Run]) -> str:
    """One sentence per group: does infoCAM (or infoCAM+) beat CAM on these images, does any map beat a map
    that needs no network, how well the network classifies, and what a run cost."""
    metrics = [run.metrics for run in runs]
    parts = [f"{MAP_NAMES[better]} vs CAM at val τ {_versus(metrics, better, 'cam')}"
             for better in ("infocam", "infocam_plus")]
    if _sample(metrics, CENTRE, "gt_known_loc_val_tau"):
        best = _best_map(metrics)
        parts.append(f"best map at val τ ({MAP_NAMES[best]}) vs the centre baseline {_versus(metrics, best, CENTRE)}")
    else:
        parts.append("no centre baseline in these runs")
    top1 = metric_values(metrics, "test/cls_top1")
    parts.append(f"top-1 classification {percent_mean_std(top1)} %" if top1 else "top-1 classification not recorded")
    times = [t for t in map(wall_time, runs) if t is not None]
    parts.append(f"wall time per run {seconds_text(statistics.fmean(times)) if times else 'not recorded'}")
    seeds = f"{len(runs)} seed{'s' if len(runs) != 1 else ''}"
    return f"- {group_label(key)} ({seeds}): " + "; ".join(parts) + "."

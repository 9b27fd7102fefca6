"""Comparisons within a WSOL group, under Table 4: where a group was trained with both softmax and
PC-softmax, the two-sided Mann-Whitney U p-value of GT-known Loc between them (two sets of networks, unpaired);
infoCAM and infoCAM+ against CAM and every map against the centred Gaussian, paired by seed and by image
(wsol_paired.py); and one generated sentence per group."""

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
from infocam_lit.report.tables.wsol_baselines import CENTRE
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
from infocam_lit.report.tables.wsol_paired import (
    COMPARISON_COLUMNS,
    METHOD_NOTE,
    Comparison,
    compare,
    constant_side,
    map_side,
)

# the measures compared: metric key -> its name in the table
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


def comparison(runs: list[Run], better: str, worse: str, measure: str) -> Comparison | None:
    """`better` against `worse` (a map, or the centre baseline as a constant) in one group's runs."""
    against = constant_side(runs, worse, measure) if worse == CENTRE else map_side(runs, worse, measure)
    return None if against is None else compare(map_side(runs, better, measure), against)


def _comparison_name(name: str) -> str:
    return "the centre baseline" if name == CENTRE else MAP_NAMES[name]


def comparison_table(group_runs: dict[Key, list[Run]], centre_note: str) -> tuple[str, list[dict]]:
    """Per group: infoCAM and infoCAM+ against CAM, and each map against the centred Gaussian, for each measure."""
    rows, records, keys = [], [], []
    for key, runs in group_runs.items():
        for better, worse in COMPARISONS:
            name = f"{MAP_NAMES[better]} vs {_comparison_name(worse)}"
            for measure, label in COMPARED.items():
                result = comparison(runs, better, worse, measure)
                if result is None:
                    continue  # e.g. runs made before the baselines existed
                rows.append([*setting_cells(key), name, label, str(result.runs), *result.cells()])
                keys.append(key)
                records.append({"table": "4 comparisons", "dataset": key.experiment, "architecture": key.arch,
                                "adl": key.adl, "loss": key.loss, **config_field(key, group_runs),
                                "comparison": name, "measure": measure, **result.record()})
    columns = ["dataset", "architecture", "ADL", "loss", "comparison", "measure", "runs", *COMPARISON_COLUMNS]
    note = " ".join(filter(None, [METHOD_NOTE, centre_note]))
    return "\n\n".join([note, markdown_table(*with_config(columns, rows, keys))]), records


def _best_map(metrics: list[dict]) -> str:
    """The map with the highest mean GT-known Loc at val τ (CAM where none was measured)."""
    means = {name: statistics.fmean(v)
             for name in MAPS if (v := metric_values(metrics, f"test/{name}/gt_known_loc_val_tau"))}
    return max(means, key=means.get) if means else "cam"


def _versus(runs: list[Run], better: str, worse: str) -> str:
    """"+x.xx points (95 % CI ...; Wilcoxon p = ...), MaxBoxAccV2 +y.yy points (...)": GT-known Loc at val τ,
    then MaxBoxAccV2."""
    parts = []
    for measure in ("gt_known_loc_val_tau", "maxboxacc_v2"):
        result = comparison(runs, better, worse, measure)
        parts.append("— (no runs)" if result is None else result.text())
    return f"{parts[0]}, MaxBoxAccV2 {parts[1]}"


def group_statement(key: Key, runs: list[Run]) -> str:
    """One sentence per group: does infoCAM (or infoCAM+) beat CAM on these images, does any map beat a map
    that needs no network, how well the network classifies, and what a run cost."""
    metrics = [run.metrics for run in runs]
    parts = [f"{MAP_NAMES[better]} vs CAM at val τ {_versus(runs, better, 'cam')}"
             for better in ("infocam", "infocam_plus")]
    if metric_values(metrics, f"test/{CENTRE}/gt_known_loc_val_tau"):
        best = _best_map(metrics)
        parts.append(f"best map at val τ ({MAP_NAMES[best]}) vs the centre baseline at its own val τ "
                     f"{_versus(runs, best, CENTRE)}")
    else:
        parts.append("no centre baseline in these runs")
    top1 = metric_values(metrics, "test/cls_top1")
    parts.append(f"top-1 classification {percent_mean_std(top1)} %" if top1 else "top-1 classification not recorded")
    times = [t for t in map(wall_time, runs) if t is not None]
    parts.append(f"wall time per run {seconds_text(statistics.fmean(times)) if times else 'not recorded'}")
    seeds = f"{len(runs)} seed{'s' if len(runs) != 1 else ''}"
    return f"- {group_label(key)} ({seeds}): " + "; ".join(parts) + "."

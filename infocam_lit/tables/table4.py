"""Tables 4, 6-7 and 8 from WSOL runs: localisation (GT-known / Top-1 Loc, MaxBoxAccV2) of CAM,
infoCAM and infoCAM+, classification, and the region / subtraction ablation, beside the paper."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from infocam_lit.paper_values import MAXBOXACC_V2_CUB, TABLE4_LOC, TABLE67_CLASSIFICATION
from infocam_lit.runs import Run, markdown_table, mean_std, pct

EXPERIMENTS = {"wsol_cub": "CUB", "wsol_tiny": "Tiny-ImageNet"}
TABLE4_MAPS = ("cam", "infocam", "infocam_plus")
TABLE8_MAPS = {"cam": "neither", "infocam_noregion": "subtraction only", "cam_region": "region only",
               "infocam": "both"}


def _groups(runs: list[Run]) -> dict[tuple, list[dict]]:
    """(experiment, architecture, ADL, loss) -> the metrics of its finished runs (one per seed)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for run in runs:
        experiment = run.config.get("experiment_name")
        if run.failed or experiment not in EXPERIMENTS:
            continue
        net = run.config["model"]["net"]
        groups[(experiment, net["name"], bool(net.get("adl", False)), run.config["loss"]["name"])].append(run.metrics)
    return dict(sorted(groups.items()))


def _cell(values: list[float]) -> str:
    mean, std = mean_std(values)
    if not values:
        return "—"
    return f"{100 * mean:.2f} ± {100 * std:.2f}" if len(values) > 1 else f"{100 * mean:.2f}"


def _paper_pair(pair) -> str:
    return "—" if pair is None else f"{pct(pair[0])} / {pct(pair[1])}"


def table4_rows(groups) -> tuple[list[list[str]], list[dict]]:
    rows, records = [], []
    for (experiment, arch, adl, loss), metrics in groups.items():
        for name in TABLE4_MAPS:
            values = {k: [m[f"test/{name}/{k}"] for m in metrics if f"test/{name}/{k}" in m]
                      for k in ("gt_known_loc", "top1_loc", "maxboxacc_v2")}
            paper = TABLE4_LOC.get((experiment, arch, adl, name)) if loss == "softmax" else None
            paper_maxbox = MAXBOXACC_V2_CUB.get((arch, adl)) if experiment == "wsol_cub" and name == "cam" else None
            rows.append([EXPERIMENTS[experiment], arch, "yes" if adl else "no", loss, name, str(len(metrics)),
                         _cell(values["gt_known_loc"]), _cell(values["top1_loc"]), _cell(values["maxboxacc_v2"]),
                         _paper_pair(paper), pct(paper_maxbox)])
            records.append({"table": "4", "dataset": experiment, "architecture": arch, "adl": adl, "loss": loss,
                            "map": name, "runs": len(metrics),
                            **{f"{k} mean": mean_std(v)[0] for k, v in values.items()},
                            **{f"{k} std": mean_std(v)[1] for k, v in values.items()},
                            "paper gt_known_loc": paper[0] if paper else None,
                            "paper top1_loc": paper[1] if paper else None})
    return rows, records


def table67_rows(groups) -> list[list[str]]:
    rows = []
    for (experiment, arch, adl, loss), metrics in groups.items():
        paper = TABLE67_CLASSIFICATION.get((experiment, arch, adl)) if loss == "softmax" else None
        rows.append([EXPERIMENTS[experiment], arch, "yes" if adl else "no", loss, str(len(metrics)),
                     _cell([m["test/cls_top1"] for m in metrics]), _cell([m["test/cls_top5"] for m in metrics]),
                     _paper_pair(paper)])
    return rows


def table8_rows(groups) -> list[list[str]]:
    rows = []
    for (experiment, arch, adl, loss), metrics in groups.items():
        for name, label in TABLE8_MAPS.items():
            paper = TABLE4_LOC.get((experiment, arch, adl, name)) if loss == "softmax" else None
            rows.append([EXPERIMENTS[experiment], arch, "yes" if adl else "no", loss, label,
                         _cell([m[f"test/{name}/gt_known_loc"] for m in metrics]),
                         _cell([m[f"test/{name}/top1_loc"] for m in metrics]), _paper_pair(paper)])
    return rows


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    groups = _groups(runs)
    if not groups:
        return None
    rows4, records = table4_rows(groups)
    markdown = "\n\n".join([
        "### Table 4: localisation (%, mean ± std over seeds; paper: GT-known / Top-1 Loc)",
        markdown_table(["dataset", "architecture", "ADL", "loss", "map", "runs", "GT-known Loc", "Top-1 Loc",
                        "MaxBoxAccV2", "paper", "paper MaxBoxAccV2 (wsolevaluation)"], rows4),
        "### Tables 6-7: classification (%)",
        markdown_table(["dataset", "architecture", "ADL", "loss", "runs", "top-1", "top-5", "paper top-1 / top-5"],
                       table67_rows(groups)),
        "### Table 8: region and subtraction ablation (%, from the same runs)",
        markdown_table(["dataset", "architecture", "ADL", "loss", "variant", "GT-known Loc", "Top-1 Loc", "paper"],
                       table8_rows(groups)),
    ])
    return markdown, records

"""Table 5: per-digit accuracy of sigmoid versus PC-sigmoid on double-digit MNIST, and the
localisation accuracy of CAM and infoCAM, beside the paper's values."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from infocam_lit.paper_values import DOUBLE_MNIST_LOCALIZATION, TABLE5_DIGIT_ACCURACY
from infocam_lit.runs import Run, mann_whitney_p, markdown_table, mean_std, pct

LOSSES = ("sigmoid", "pc_sigmoid")


def _cell(values: list[float]) -> str:
    if not values:
        return "—"
    mean, std = mean_std(values)
    return f"{mean:.3f} ± {std:.3f}" if len(values) > 1 else f"{mean:.3f}"


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    by_loss: dict[str, list[dict]] = defaultdict(list)
    for run in runs:
        if not run.failed and run.config.get("experiment_name") == "double_mnist":
            by_loss[run.config["loss"]["name"]].append(run.metrics)
    if not by_loss:
        return None
    digit_rows, loc_rows, records = [], [], []
    for loss in LOSSES:
        metrics = by_loss.get(loss, [])
        digits = [[m.get(f"test/acc_digit/{k}") for m in metrics if f"test/acc_digit/{k}" in m] for k in range(10)]
        means = [m["test/acc_digit_mean"] for m in metrics]
        paper = TABLE5_DIGIT_ACCURACY[loss]
        digit_rows.append([loss, str(len(metrics)), *(_cell(d) for d in digits), _cell(means)])
        digit_rows.append([f"{loss} (paper)", "", *(f"{v:.2f}" for v in paper), f"{sum(paper) / 10:.3f}"])
        for name in ("cam", "infocam"):
            values = [m[f"test/{name}/loc_acc"] for m in metrics]
            loc_rows.append([loss, name, str(len(values)), _cell(values), pct(DOUBLE_MNIST_LOCALIZATION[name])])
        records.append({"loss": loss, "runs": len(metrics), "mean per-digit accuracy": mean_std(means)[0],
                        **{f"digit {k}": mean_std(d)[0] for k, d in enumerate(digits)},
                        **{f"{name} loc_acc": mean_std([m[f"test/{name}/loc_acc"] for m in metrics])[0]
                           for name in ("cam", "infocam")}})
    mean_of = {loss: [m["test/acc_digit_mean"] for m in by_loss.get(loss, [])] for loss in LOSSES}
    p_value = mann_whitney_p(mean_of["sigmoid"], mean_of["pc_sigmoid"])
    markdown = "\n\n".join([
        "### Table 5: per-digit accuracy on double-digit MNIST (recall among canvases containing the digit)",
        markdown_table(["loss", "runs", *(str(k) for k in range(10)), "mean"], digit_rows),
        f"Mann-Whitney U on the mean per-digit accuracy, sigmoid vs PC-sigmoid: p = "
        f"{'—' if p_value != p_value else f'{p_value:.3f}'}",
        "### Double-digit MNIST localisation (hit: IoU >= 0.5 with that digit's box)",
        markdown_table(["loss", "map", "runs", "localisation accuracy", "paper"], loc_rows),
    ])
    return markdown, records

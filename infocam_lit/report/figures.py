"""The report's figures (PNG, matplotlib's Agg backend so no display is needed).

Each figure is laid out by matplotlib's constrained layout, and its legend lies below its panels with lines
no wider than a panel: a legend names curves by their configuration (`pc_softmax (model.optimizer.lr=0.01,
...)`), which inside a panel could be wider than the figure and leave no room to lay it out. The figure grows
by the legend's height, so its panels keep their size however many curves there are.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from infocam_lit.data.gmm import GMMDataModule  # noqa: E402
from infocam_lit.maths import gmm  # noqa: E402

ESTIMATOR_STYLE = {"softmax": ("tab:blue", "o"), "pc_softmax": ("tab:orange", "s"),
                   "logit_adjusted": ("tab:purple", "v"), "mine": ("tab:green", "^")}
LEGEND_FONT_SIZE = 8
LEGEND_CHARACTERS = 60  # a legend line at 8 pt: narrower than the narrowest panel (5.5 inches)
LEGEND_LINE_INCHES = 0.17  # a legend line's height at 8 pt, spacing included
LEGEND_PADDING_INCHES = 0.3  # the legend's frame and its gap to the panels
# no "Software" entry: a file then depends on the runs only, not on the matplotlib version stamped in it
PNG_METADATA = {"Software": None}


def legend_label(name: str) -> str:
    """`name` broken between words into lines of at most LEGEND_CHARACTERS (a single longer word stays whole)."""
    return textwrap.fill(name, LEGEND_CHARACTERS, break_long_words=False, break_on_hyphens=False)


def legend_inches(labels: list[str]) -> float:
    """The height a one-column legend of these (broken) labels takes below the panels."""
    return LEGEND_PADDING_INCHES + LEGEND_LINE_INCHES * sum(label.count("\n") + 1 for label in labels)


def legend_below(fig, axes) -> None:
    """One legend for the figure, below its panels: each label once, in the order the panels first draw it."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    fig.legend(entries.values(), entries.keys(), loc="outside lower center", fontsize=LEGEND_FONT_SIZE)


def curve_labels(axes_labels: list[str]) -> list[str]:
    """The distinct labels of a figure's curves, broken for its legend."""
    return [legend_label(label) for label in dict.fromkeys(axes_labels)]


def plot_estimates_vs_dim(records: list[dict], path: Path) -> Path:
    """Table 2 as a plot: each estimator's mean ± std over seeds against d, with the exact I(X;Y)."""
    settings = [s for s in ("balanced", "imbalanced") if any(r["setting"] == s for r in records)]
    labels = curve_labels(["exact I(X;Y)", *sorted({r["estimator"] for r in records})])
    fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 4 + legend_inches(labels)),
                             squeeze=False, layout="constrained")
    for ax, setting in zip(axes[0], settings, strict=True):
        rows = [r for r in records if r["setting"] == setting]
        dims = sorted({r["d"] for r in rows})
        truth = {r["d"]: r["exact I"] for r in rows}
        ax.plot(dims, [truth[d] for d in dims], "k-", lw=2, label=legend_label("exact I(X;Y)"))
        for estimator in sorted({r["estimator"] for r in rows}):
            mine = sorted((r for r in rows if r["estimator"] == estimator), key=lambda r: r["d"])
            color, marker = ESTIMATOR_STYLE.get(estimator, ("gray", "x"))
            ax.errorbar([r["d"] for r in mine], [r["estimate"] for r in mine],
                        yerr=[0 if math.isnan(r["estimate std"]) else r["estimate std"] for r in mine],
                        color=color, marker=marker, ls="--", capsize=3, label=legend_label(estimator))
        ax.set_title(f"{setting} mixture")
        ax.set_xlabel("dimension d")
        ax.set_ylabel("I(X;Y) [nats]")
        ax.set_xticks(dims)
        ax.grid(alpha=0.3)
    legend_below(fig, axes[0])
    fig.savefig(path, dpi=120, metadata=PNG_METADATA)
    plt.close(fig)
    return path


def plot_test_sets_pca(settings: list[tuple[int, bool]], seed: int, path: Path, max_points: int = 3000) -> Path:
    """The paper's Appendix B figure: each test set projected on its first two principal
    components (d = 1: the value against a per-class offset), coloured by class.
    A stratified subsample keeps the class proportions of the test set."""
    dims = sorted({dim for dim, _ in settings})
    rows = sorted({imbalanced for _, imbalanced in settings})
    fig, axes = plt.subplots(len(rows), len(dims), figsize=(3.6 * len(dims), 3.4 * len(rows)), squeeze=False,
                             layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for dim, imbalanced in settings:
        ax = axes[rows.index(imbalanced)][dims.index(dim)]
        ax.axis("on")
        dm = GMMDataModule(dim=dim, imbalanced=imbalanced, seed=seed, batch_size=1, eval_batch_size=1,
                           noise_dims=0, size_factor=1.0)  # no loaders
        dm.setup()
        x, y = dm.splits["test"]
        generator = torch.Generator().manual_seed(seed)  # the same figure at every rendering
        keep = torch.randperm(len(y), generator=generator)[:max_points]
        x, y = x[keep], y[keep]
        if dim == 1:
            points = torch.stack([x[:, 0], y.float() * 0.2 + 0.05 * torch.randn(len(y), generator=generator)], dim=1)
        else:
            centred = x - x.mean(0)
            _, _, v = torch.linalg.svd(centred, full_matrices=False)
            points = centred @ v[:2].T
        for k in range(gmm.NUM_CLASSES):
            sel = y == k
            ax.scatter(points[sel, 0], points[sel, 1], s=2, alpha=0.5, label=f"y={k} (μ={gmm.CLASS_MEANS[k]:+g})")
        title = "x, classes offset vertically" if dim == 1 else "first two principal components"
        ax.set_title(f"d={dim}, {'imbalanced' if imbalanced else 'balanced'}\n{title}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][-1].legend(markerscale=4, fontsize=7, loc="upper right")
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return path


def plot_mean_std_curves(curves: dict[str, list[tuple[float, float, float]]], path: Path, xlabel: str, ylabel: str,
                         xscale: str = "log") -> Path:
    """One line per method through its (x, mean, std) points, ± 1 std as error bars; "symlog" puts x = 0
    beside 10 and 200 on one axis."""
    labels = curve_labels([method for method, points in curves.items() if points])
    fig, ax = plt.subplots(figsize=(6, 4 + legend_inches(labels)), layout="constrained")
    for method, points in curves.items():
        if points:
            xs, means, stds = zip(*points, strict=True)
            ax.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=legend_label(method))
    if xscale == "symlog":
        ax.set_xscale("symlog", linthresh=10)
    else:
        ax.set_xscale(xscale)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    legend_below(fig, [ax])
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, metadata=PNG_METADATA)
    plt.close(fig)
    return path

"""Figures of the reports (PNG, matplotlib's Agg backend so no display is needed)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from infocam_lit.maths import gmm  # noqa: E402

ESTIMATOR_STYLE = {"softmax": ("tab:blue", "o"), "pc_softmax": ("tab:orange", "s"),
                   "logit_adjusted": ("tab:purple", "v"), "mine": ("tab:green", "^")}


def plot_estimates_vs_dim(records: list[dict], path: Path) -> Path:
    """Table 2 as a plot: each estimator's mean ± std over seeds against d, with the exact I(X;Y)."""
    settings = [s for s in ("balanced", "imbalanced") if any(r["setting"] == s for r in records)]
    fig, axes = plt.subplots(1, len(settings), figsize=(5.5 * len(settings), 4), squeeze=False)
    for ax, setting in zip(axes[0], settings, strict=True):
        rows = [r for r in records if r["setting"] == setting]
        dims = sorted({r["d"] for r in rows})
        truth = {r["d"]: r["exact I"] for r in rows}
        ax.plot(dims, [truth[d] for d in dims], "k-", lw=2, label="exact I(X;Y)")
        for estimator in sorted({r["estimator"] for r in rows}):
            mine = sorted((r for r in rows if r["estimator"] == estimator), key=lambda r: r["d"])
            color, marker = ESTIMATOR_STYLE.get(estimator, ("gray", "x"))
            ax.errorbar([r["d"] for r in mine], [r["estimate"] for r in mine],
                        yerr=[0 if math.isnan(r["estimate std"]) else r["estimate std"] for r in mine],
                        color=color, marker=marker, ls="--", capsize=3, label=estimator)
        ax.set_title(f"{setting} mixture")
        ax.set_xlabel("dimension d")
        ax.set_ylabel("I(X;Y) [nats]")
        ax.set_xticks(dims)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_test_sets_pca(settings: list[tuple[int, bool]], seed: int, path: Path, max_points: int = 3000) -> Path:
    """The paper's Appendix B figure: each test set projected on its first two principal
    components (d = 1: the value against a per-class offset), coloured by class.
    A stratified subsample keeps the class proportions of the test set."""
    from infocam_lit.data.gmm import GMMDataModule

    dims = sorted({dim for dim, _ in settings})
    rows = sorted({imbalanced for _, imbalanced in settings})
    fig, axes = plt.subplots(len(rows), len(dims), figsize=(3.6 * len(dims), 3.4 * len(rows)), squeeze=False)
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_mean_std_curves(curves: dict[str, list[tuple[float, float, float]]], path: Path, xlabel: str, ylabel: str,
                         xscale: str = "log") -> Path:
    """One line per method through its (x, mean, std) points, ± 1 std as error bars; "symlog" puts x = 0
    beside 10 and 200 on one axis."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for method, points in curves.items():
        if points:
            xs, means, stds = zip(*points, strict=True)
            ax.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=method)
    if xscale == "symlog":
        ax.set_xscale("symlog", linthresh=10)
    else:
        ax.set_xscale(xscale)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_mi_curve(epochs: list[int], val_mi: list[float], metrics: dict[str, float], path: Path) -> Path:
    """One run's validation estimate of I(X;Y) per epoch, with the exact value and the final test estimate."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(epochs, val_mi, marker=".", label="validation estimate")
    if "test/mi_true" in metrics:
        ax.axhline(metrics["test/mi_true"], color="black", linestyle="--", label="exact I(X;Y)")
    if "test/mi" in metrics:
        se = metrics.get("test/mi_se") or 0.0
        ax.errorbar([epochs[-1]], [metrics["test/mi"]], yerr=[2 * se], color="tab:red", marker="s", capsize=3,
                    label="test estimate ± 2 SE (best checkpoint)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats")
    ax.set_title("I(X;Y) estimate during training")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_confusion(confusion, path: Path, title: str, class_names: list[str] | None = None) -> Path:
    """Row-normalised confusion matrix (rows: true class, columns: predicted), as a PNG."""
    matrix = torch.as_tensor(confusion, dtype=torch.float64)
    rows = matrix.sum(1, keepdim=True).clamp_min(1)
    normalised = (matrix / rows).numpy()
    count = matrix.shape[0]
    side = min(12.0, 3.0 + 0.35 * count)
    fig, ax = plt.subplots(figsize=(side, side))
    image = ax.imshow(normalised, vmin=0, vmax=1, cmap="viridis")
    if count <= 20:
        labels = class_names or [str(k) for k in range(count)]
        ax.set_xticks(range(count), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(count), labels, fontsize=7)
        for i in range(count):
            for j in range(count):
                if matrix[i, j] > 0:
                    ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", fontsize=6,
                            color="white" if normalised[i, j] < 0.5 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="fraction of the true class")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _denormalise(images: torch.Tensor) -> torch.Tensor:
    from infocam_lit.data.image_items import IMAGENET_MEAN, IMAGENET_STD

    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images.float() * std + mean).clamp(0, 1)


def _draw_box(ax, box, colour: str) -> None:
    x0, y0, x1, y1 = (float(v) for v in box)
    ax.add_patch(matplotlib.patches.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False,
                                              edgecolor=colour, linewidth=1.5))


def plot_localization_grid(examples: dict[str, torch.Tensor], folder: Path) -> list[Path]:
    """cams_<map>.png per map variant (the paper's Figures 2-3): each image with its ground-truth
    box (red) and predicted box (green), and below it the map over the image."""
    import matplotlib.patches  # noqa: F401  (used through matplotlib.patches in _draw_box)

    from infocam_lit.maths.boxes import normalize_maps

    # a module may hand over display-ready images (B, 3, H, W) in [0, 1]; else ImageNet-normalised ones
    shown = examples["display"] if "display" in examples else _denormalise(examples["image"])
    images = shown.permute(0, 2, 3, 1).numpy()
    variants = [key for key in examples if f"{key}_boxes" in examples]
    paths = []
    for variant in variants:
        heat = normalize_maps(examples[variant].float()).numpy()
        count = len(images)
        fig, axes = plt.subplots(2, count, figsize=(2.0 * count, 4.2), squeeze=False)
        for i in range(count):
            top, bottom = axes[0][i], axes[1][i]
            top.imshow(images[i])
            for k in range(int(examples["gt_count"][i])):
                if examples["gt_boxes"][i, k, 2] >= 0:  # padding rows are -1
                    _draw_box(top, examples["gt_boxes"][i, k], "red")
            _draw_box(top, examples[f"{variant}_boxes"][i], "lime")
            bottom.imshow(images[i])
            bottom.imshow(heat[i], cmap="jet", alpha=0.5)
            for ax in (top, bottom):
                ax.set_xticks([])
                ax.set_yticks([])
        fig.suptitle(f"{variant}: ground truth (red), predicted box (green)")
        fig.tight_layout()
        path = folder / f"cams_{variant}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def plot_prediction(image: torch.Tensor, map_: torch.Tensor, box, title: str, path: Path) -> Path:
    """One new image (ImageNet-normalised, 3 x H x W): the image with the predicted box (green), and the
    map over it."""
    import matplotlib.patches  # noqa: F401  (used through matplotlib.patches in _draw_box)

    from infocam_lit.maths.boxes import normalize_maps

    shown = _denormalise(image[None])[0].permute(1, 2, 0).numpy()
    heat = normalize_maps(map_[None].float())[0].numpy()
    fig, (left, right) = plt.subplots(1, 2, figsize=(6, 3.3))
    left.imshow(shown)
    _draw_box(left, box, "lime")
    right.imshow(shown)
    right.imshow(heat, cmap="jet", alpha=0.5)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

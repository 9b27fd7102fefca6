"""Figures of a run (PNG, matplotlib's Agg backend so no display is needed): its MI curve, confusion matrices,
localisation grid and predictions. The report's own figures are in report/figures.py."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402


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

"""The final reductions of the metrics, as plain functions on their summed states: what each Metric's
compute() returns is one of these applied to its sums (sums reduce exactly across DDP ranks; the
reduction runs once, on the totals)."""

from __future__ import annotations

import math

import torch


def mean_and_std_error(total: torch.Tensor, total_sq: torch.Tensor, count: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Mean of N values and its standard error std / sqrt(N), from their sum and sum of squares.

    Example:
        >>> mean, se = mean_and_std_error(torch.tensor(6.0), torch.tensor(14.0), torch.tensor(3.0))
        >>> mean.item(), round(se.item(), 4)
        (2.0, 0.5774)
    """
    mean = total / count
    variance = (total_sq / count - mean**2).clamp_min(0) * count / (count - 1).clamp_min(1)
    return mean, (variance / count).sqrt()


def threshold_grid(step: float, device: torch.device | None = None) -> torch.Tensor:
    """The thresholds 0, step, 2 step, ... below 1 (float64): 0, 0.01, ..., 0.99 by default; as many as
    numpy's arange(0, 1, step) (wsolevaluation's grid), so 0.3 gives 0, 0.3, 0.6, 0.9.

    Example:
        >>> threshold_grid(0.3)
        tensor([0.0000, 0.3000, 0.6000, 0.9000], dtype=torch.float64)
    """
    return torch.arange(math.ceil(1 / step), dtype=torch.float64, device=device) * step


def first_best(hits: torch.Tensor) -> int:
    """The index of the largest value of a 1-D tensor, ties to the first (on an ascending grid: the
    smallest threshold), whatever argmax does on a device.

    Example:
        >>> first_best(torch.tensor([1.0, 3.0, 2.0, 3.0]))
        1
    """
    index = torch.arange(len(hits), device=hits.device)
    return int(torch.where(hits == hits.max(), index, len(hits)).min())


def maxboxacc(component_hits: torch.Tensor, count: torch.Tensor, thresholds: torch.Tensor,
              iou_thresholds: tuple[float, ...]) -> dict[str, torch.Tensor]:
    """MaxBoxAccV2 (Choe et al., CVPR 2020) from the hits of the best component's box.

    Args:
        component_hits: (D, T) images whose best component's box reaches IoU >= delta, per IoU level
            delta and threshold.
        count: the number of images.
        thresholds: (T,) the threshold grid.
        iou_thresholds: the D IoU levels, e.g. (0.3, 0.5, 0.7).

    Returns:
        maxboxacc_iou<100 delta> (the best threshold for the whole set, ties to the smallest), its
        threshold best_tau_iou<100 delta>, and maxboxacc_v2, their mean.

    Example:
        >>> hits = torch.tensor([[2.0, 4.0], [1.0, 3.0], [0.0, 1.0]])
        >>> values = maxboxacc(hits, torch.tensor(4.0), torch.tensor([0.0, 0.5]), (0.3, 0.5, 0.7))
        >>> values["maxboxacc_iou50"].item(), values["best_tau_iou50"].item(), values["maxboxacc_v2"].item()
        (0.75, 0.5, 0.6666666865348816)
    """
    result = {}
    for delta, hits in zip(iou_thresholds, component_hits, strict=True):
        index = first_best(hits)  # on the counts, so an empty set (count 0) still has a threshold
        result[f"maxboxacc_iou{round(100 * delta)}"] = hits[index] / count
        result[f"best_tau_iou{round(100 * delta)}"] = thresholds[index]
    result["maxboxacc_v2"] = torch.stack([result[f"maxboxacc_iou{round(100 * d)}"] for d in iou_thresholds]).mean()
    return result


def held_out_threshold(val_hits: torch.Tensor, hits: torch.Tensor, top1_hits: torch.Tensor, count: torch.Tensor,
                       thresholds: torch.Tensor) -> dict[str, torch.Tensor]:
    """Choose tau on one split and apply it to another (SPEC §7.2; Choe et al., CVPR 2020).

    Args:
        val_hits: (L, T) the fixed-threshold rule's hits on the split that chooses, per label and threshold.
        hits, top1_hits: (L, T) the same on the scored split, and those with a correct top-1 class.
        count: (L,) the scored split's images (or image-label pairs) per label.
        thresholds: (T,) the threshold grid.

    Returns:
        val_tau, the threshold with the most hits in `val_hits` over all labels (ties to the smallest), and
        the scored split's accuracy there: gt_known_loc_val_tau and top1_loc_val_tau overall, and
        gt_known_loc_val_tau_per_label (L,).

    Example:
        >>> values = held_out_threshold(torch.tensor([[1.0, 3.0, 3.0]]), torch.tensor([[4.0, 2.0, 1.0]]),
        ...                             torch.tensor([[3.0, 1.0, 1.0]]), torch.tensor([4.0]),
        ...                             threshold_grid(0.1))
        >>> values["val_tau"].item(), values["gt_known_loc_val_tau"].item(), values["top1_loc_val_tau"].item()
        (0.1, 0.5, 0.25)
    """
    index = first_best(val_hits.sum(0))
    return {"val_tau": thresholds[index], "gt_known_loc_val_tau": hits[:, index].sum() / count.sum(),
            "top1_loc_val_tau": top1_hits[:, index].sum() / count.sum(),
            "gt_known_loc_val_tau_per_label": hits[:, index] / count}

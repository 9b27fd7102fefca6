"""Localisation metrics (SPEC §4.2) as torchmetrics Metrics whose states are sums and
counts, so they reduce exactly across DDP ranks (never an average of averages).

- LocalizationAccuracy: GT-known Loc (IoU >= 0.5 with a ground-truth box) and
  Top-1 Loc (that, and the top-1 class is correct), from one predicted box per image.
- MaxBoxAccV2 (Choe et al., CVPR 2020): for every threshold tau of a grid, every
  connected component's box is a candidate and an image scores at delta if its
  best candidate reaches IoU >= delta; MaxBoxAcc(delta) is the best tau for the
  whole dataset, and V2 the mean over delta in {0.3, 0.5, 0.7}.
- ThresholdSweep: the same sweep, per label, also counting the fixed-threshold rule's hits (the
  largest component's box) at every threshold, so a threshold chosen on the validation split can
  be applied to the test split (held-out tau, SPEC §7.2; Choe et al.'s protocol).
- FixedBoxAccuracy: one given box per image (the whole-image baseline) at IoU 0.3, 0.5 and 0.7.
- pointing_hits: the pointing game (Zhang et al., ECCV 2016).

Example:
    >>> metric = LocalizationAccuracy()
    >>> metric.update(pred_boxes, gt_boxes, gt_count, top1_correct)
    >>> metric.compute()["gt_known_loc"]
"""

from __future__ import annotations

import math

import torch
from torchmetrics import Metric

from infocam_lit.maths.boxes import best_iou
from infocam_lit.maths.threshold_sweep import threshold_sweep
from infocam_lit.metrics.wsolevaluation import require_cv2, wsolevaluation_hits


class LocalizationAccuracy(Metric):
    full_state_update = False

    def __init__(self, iou_threshold: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.iou_threshold = iou_threshold
        for name in ("gt_known_hits", "top1_hits", "count"):
            self.add_state(name, torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, pred_boxes: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor,
               top1_correct: torch.Tensor) -> None:
        hit = best_iou(pred_boxes, gt_boxes, gt_count) >= self.iou_threshold
        self.gt_known_hits += hit.sum()
        self.top1_hits += (hit & top1_correct.bool()).sum()
        self.count += len(hit)

    def compute(self) -> dict[str, torch.Tensor]:
        return {"gt_known_loc": self.gt_known_hits / self.count, "top1_loc": self.top1_hits / self.count}


class FixedBoxAccuracy(Metric):
    """One given box per image, e.g. the whole image (maths/baselines.py), scored at several IoU
    levels: gt_known_loc (IoU >= 0.5) and maxboxacc_v2, the mean of the hit rates at IoU 0.3, 0.5 and
    0.7 (MaxBoxAccV2 with no threshold to choose)."""

    full_state_update = False

    def __init__(self, iou_thresholds: tuple[float, ...] = (0.3, 0.5, 0.7), **kwargs):
        super().__init__(**kwargs)
        if 0.5 not in iou_thresholds:
            raise ValueError(f"iou_thresholds must include 0.5 (GT-known Loc), got {iou_thresholds}")
        self.iou_thresholds = tuple(iou_thresholds)
        self.add_state("hits", torch.zeros(len(self.iou_thresholds), dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, boxes: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor) -> None:
        iou = best_iou(boxes, gt_boxes, gt_count)
        deltas = torch.tensor(self.iou_thresholds, dtype=torch.float64, device=iou.device)
        self.hits += (iou[:, None] >= deltas[None, :]).sum(0)
        self.count += len(iou)

    def compute(self) -> dict[str, torch.Tensor]:
        rates = self.hits / self.count
        return {"gt_known_loc": rates[self.iou_thresholds.index(0.5)], "maxboxacc_v2": rates.mean()}


def threshold_grid(step: float, device: torch.device | None = None) -> torch.Tensor:
    """The thresholds 0, step, 2 step, ... below 1 (float64): 0, 0.01, ..., 0.99 by default; as many as
    numpy's arange(0, 1, step) (wsolevaluation's grid), so 0.3 gives 0, 0.3, 0.6, 0.9."""
    return torch.arange(math.ceil(1 / step), dtype=torch.float64, device=device) * step


def first_best(hits: torch.Tensor) -> int:
    """The index of the largest value of a 1-D tensor, ties to the first (on an ascending grid: the
    smallest threshold), whatever argmax does on a device."""
    index = torch.arange(len(hits), device=hits.device)
    return int(torch.where(hits == hits.max(), index, len(hits)).min())


def maxboxacc(component_hits: torch.Tensor, count: torch.Tensor, thresholds: torch.Tensor,
              iou_thresholds: tuple[float, ...]) -> dict[str, torch.Tensor]:
    """MaxBoxAcc(delta) (best threshold for the whole set, ties to the smallest), its threshold, and
    V2 = their mean, from the hits (D, T) of the best component's box at each delta and threshold."""
    result = {}
    for delta, hits in zip(iou_thresholds, component_hits, strict=True):
        index = first_best(hits)  # on the counts, so an empty set (count 0) still has a threshold
        result[f"maxboxacc_iou{round(100 * delta)}"] = hits[index] / count
        result[f"best_tau_iou{round(100 * delta)}"] = thresholds[index]
    result["maxboxacc_v2"] = torch.stack([result[f"maxboxacc_iou{round(100 * d)}"] for d in iou_thresholds]).mean()
    return result


def held_out_threshold(val: dict[str, torch.Tensor], test: dict[str, torch.Tensor],
                       thresholds: torch.Tensor) -> dict[str, torch.Tensor] | None:
    """Choose tau on one split and apply it to another (SPEC §7.2; Choe et al., CVPR 2020): from two
    ThresholdSweep results, the threshold with the most fixed-rule hits on `val` over all labels (ties
    to the smallest), and `test`'s accuracy there: overall (box_acc, box_top1_acc) and per label
    (box_acc_per_label). None when `val` saw nothing."""
    if val["count"].sum() == 0:
        return None
    index = first_best(val["box_hits"].sum(0))
    count = test["count"]
    return {"val_tau": thresholds[index], "box_acc": test["box_hits"][:, index].sum() / count.sum(),
            "box_top1_acc": test["box_top1_hits"][:, index].sum() / count.sum(),
            "box_acc_per_label": test["box_hits"][:, index] / count}


class ThresholdSweep(Metric):
    """Localisation at every threshold of a grid, per label, as sums (SPEC §4.2 and §7.2).

    States, L labels (1 for single-label data), T thresholds, D IoU levels:
    - box_hits (L, T): the fixed-threshold rule at each threshold (the largest component's box,
      IoU >= `iou_threshold` with a GT box), and box_top1_hits: that and a correct top-1 class. A
      threshold chosen on one split's box_hits is applied to another's (held-out tau).
    - component_hits (L, D, T): MaxBoxAcc's, the best of every component's box at IoU >= delta.
    - count (L,): the images (or image-label pairs) seen.
    compute() returns these sums (torchmetrics squeezes a one-element state, so sum over labels rather
    than index them); `maxboxacc` and `held_out_threshold` turn them into scores.
    """

    full_state_update = False

    def __init__(self, threshold_step: float = 0.01, iou_thresholds: tuple[float, ...] = (0.3, 0.5, 0.7),
                 num_labels: int = 1, largest_box: bool = True, every_component: bool = True,
                 iou_threshold: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.register_buffer("thresholds", threshold_grid(threshold_step), persistent=False)
        self.iou_thresholds, self.iou_threshold = tuple(iou_thresholds), iou_threshold
        self.num_labels, self.largest_box, self.every_component = num_labels, largest_box, every_component
        count = len(self.thresholds)
        self.add_state("box_hits", torch.zeros(num_labels, count, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("box_top1_hits", torch.zeros(num_labels, count, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("component_hits", torch.zeros(num_labels, len(self.iou_thresholds), count,
                                                     dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.zeros(num_labels, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, maps: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor,
               labels: torch.Tensor | None = None, top1_correct: torch.Tensor | None = None) -> None:
        """maps (B, H, W) at image size, GT boxes (B, K, 4) with gt_count (B,) real ones, the label of
        each map (B,) when num_labels > 1, and whether its top-1 class is correct (B,) if known."""
        if len(maps) == 0:
            return
        labels = torch.zeros(len(maps), dtype=torch.long, device=maps.device) if labels is None else labels
        best, boxes = threshold_sweep(maps, self.thresholds.to(maps.device), gt_boxes, gt_count,
                                      self.every_component, self.largest_box)
        if best is not None:
            deltas = torch.tensor(self.iou_thresholds, dtype=torch.float64, device=best.device)
            hit = (best[:, None, :] >= deltas[None, :, None]).double()  # (B, D, T)
            self.component_hits.index_add_(0, labels, hit)
        if boxes is not None:
            n, t = boxes.shape[:2]
            repeated = gt_boxes.repeat_interleave(t, 0)
            hit = (best_iou(boxes.reshape(-1, 4), repeated, gt_count.repeat_interleave(t)) >= self.iou_threshold)
            hit = hit.view(n, t).double()
            self.box_hits.index_add_(0, labels, hit)
            if top1_correct is not None:
                self.box_top1_hits.index_add_(0, labels, hit * top1_correct.double()[:, None])
        self.count += torch.bincount(labels, minlength=self.num_labels).double()

    def compute(self) -> dict[str, torch.Tensor]:
        states = ("box_hits", "box_top1_hits", "component_hits", "count")
        return {name: getattr(self, name).clone() for name in states}


BOX_CONVENTIONS = ("infocam_lit", "wsolevaluation")


class MaxBoxAccV2(ThresholdSweep):
    """MaxBoxAccV2 (Choe et al., CVPR 2020) over a set of maps: maxboxacc_iou{30,50,70}, their best
    thresholds best_tau_iou{30,50,70}, and maxboxacc_v2.

    box_convention="infocam_lit" (SPEC §4.2): any maps at image size and inclusive GT corners.
    box_convention="wsolevaluation": wsolevaluation's computation exactly (metrics/wsolevaluation.py),
    for maps in [0, 1] at image size and GT boxes already in its convention; needs OpenCV."""

    def __init__(self, threshold_step: float = 0.01, iou_thresholds: tuple[float, ...] = (0.3, 0.5, 0.7),
                 box_convention: str = "infocam_lit", **kwargs):
        if box_convention not in BOX_CONVENTIONS:
            raise ValueError(f"box_convention={box_convention!r}; valid: {', '.join(BOX_CONVENTIONS)}")
        if box_convention == "wsolevaluation":
            require_cv2()  # say so now, not at the first batch
        super().__init__(threshold_step, iou_thresholds, largest_box=False, **kwargs)
        self.box_convention = box_convention

    def update(self, maps: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor) -> None:
        if self.box_convention == "infocam_lit":
            super().update(maps, gt_boxes, gt_count)
            return
        hits = wsolevaluation_hits(maps, gt_boxes, gt_count, self.thresholds, self.iou_thresholds)
        self.component_hits[0] += hits.sum(0)
        self.count[0] += len(maps)

    def compute(self) -> dict[str, torch.Tensor]:
        return maxboxacc(self.component_hits[0], self.count[0], self.thresholds, self.iou_thresholds)


def pointing_hits(maps: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor) -> torch.Tensor:
    """The pointing game (Zhang et al., ECCV 2016), (B,) bool: the map's maximum (ties to the first
    pixel in raster order) lies inside one of the image's real GT boxes (inclusive corners)."""
    batch, height, width = maps.shape
    flat = maps.reshape(batch, -1)
    index = torch.arange(height * width, device=maps.device).expand(batch, -1)
    peak = torch.where(flat == flat.amax(1, keepdim=True), index, height * width).amin(1)
    y, x = (peak // width)[:, None], (peak % width)[:, None]
    inside = (gt_boxes[..., 0] <= x) & (x <= gt_boxes[..., 2]) & (gt_boxes[..., 1] <= y) & (y <= gt_boxes[..., 3])
    real = torch.arange(gt_boxes.shape[1], device=maps.device)[None, :] < gt_count[:, None]
    return (inside & real).any(1)

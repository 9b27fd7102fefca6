"""Localisation metrics (SPEC §4.2) as torchmetrics Metrics whose states are sums and
counts, so they reduce exactly across DDP ranks (never an average of averages).

- LocalizationAccuracy: GT-known Loc (IoU >= 0.5 with a ground-truth box) and
  Top-1 Loc (that, and the top-1 class is correct), from one predicted box per image.
- MaxBoxAccV2 (Choe et al., CVPR 2020): for every threshold tau of a grid, every
  connected component's box is a candidate and an image scores at delta if its
  best candidate reaches IoU >= delta; MaxBoxAcc(delta) is the best tau for the
  whole dataset, and V2 the mean over delta in {0.3, 0.5, 0.7}.

Example:
    >>> metric = LocalizationAccuracy()
    >>> metric.update(pred_boxes, gt_boxes, gt_count, top1_correct)
    >>> metric.compute()["gt_known_loc"]
"""

from __future__ import annotations

import torch
from torchmetrics import Metric

from infocam_lit.boxes import best_iou, box_iou, component_boxes, connected_components, normalize_maps


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


def best_iou_per_threshold(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor,
                           gt_count: torch.Tensor) -> torch.Tensor:
    """(B, T): per image and threshold, the best IoU of any component's box with any real GT box.

    Thresholds run from high to low: the foreground only grows, so each labelling
    starts from the previous one and converges in a few rounds.
    """
    normalised = normalize_maps(maps)
    batch, height, width = normalised.shape
    k = gt_boxes.shape[1]
    real = torch.arange(k, device=maps.device)[None, :] < gt_count[:, None]
    best = torch.zeros(batch, len(thresholds), dtype=torch.float64, device=maps.device)
    labels = None
    for t in torch.argsort(thresholds, descending=True).tolist():
        mask = normalised > thresholds[t]
        labels = connected_components(mask, initial=labels)
        roots, boxes = component_boxes(labels)
        if len(roots) == 0:
            continue
        image = roots // (height * width)
        ious = box_iou(boxes[:, None, :].expand(-1, k, -1).reshape(-1, 4),
                       gt_boxes[image].reshape(-1, 4)).view(-1, k)
        ious = torch.where(real[image], ious, torch.zeros_like(ious)).max(1).values
        best[:, t] = torch.zeros(batch, dtype=torch.float64, device=maps.device).scatter_reduce(
            0, image, ious, reduce="amax")
    return best


class MaxBoxAccV2(Metric):
    full_state_update = False

    def __init__(self, threshold_step: float = 0.01, iou_thresholds: tuple[float, ...] = (0.3, 0.5, 0.7), **kwargs):
        super().__init__(**kwargs)
        count = round(1 / threshold_step)
        self.register_buffer("thresholds", torch.arange(count, dtype=torch.float64) * threshold_step,
                             persistent=False)
        self.iou_thresholds = tuple(iou_thresholds)
        self.add_state("hits", torch.zeros(len(iou_thresholds), count, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, maps: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor) -> None:
        best = best_iou_per_threshold(maps, self.thresholds.to(maps.device), gt_boxes, gt_count)
        deltas = torch.tensor(self.iou_thresholds, dtype=torch.float64, device=best.device)
        self.hits += (best[None, :, :] >= deltas[:, None, None]).sum(1)
        self.count += best.shape[0]

    def compute(self) -> dict[str, torch.Tensor]:
        accuracy = self.hits / self.count  # (D, T)
        best_accuracy, best_index = accuracy.max(1)
        result = {"maxboxacc_v2": best_accuracy.mean()}
        for delta, value, index in zip(self.iou_thresholds, best_accuracy, best_index, strict=True):
            result[f"maxboxacc_iou{round(100 * delta)}"] = value
            result[f"best_tau_iou{round(100 * delta)}"] = self.thresholds[index]
        return result

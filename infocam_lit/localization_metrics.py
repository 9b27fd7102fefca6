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

    Two algorithms with identical results: on a GPU, every threshold's mask is
    labelled for the whole batch (warm-started from the previous threshold); on
    a CPU, where that is too many passes over every pixel, one pass adds the
    pixels in decreasing order of value and merges components with a union-find
    (a component tree), touching at each threshold only the pixels that join.
    """
    if maps.is_cuda:
        return _best_iou_by_labelling(maps, thresholds, gt_boxes, gt_count)
    return _best_iou_by_component_tree(maps, thresholds, gt_boxes, gt_count)


def _best_component_iou(boxes: torch.Tensor, image: torch.Tensor, gt_boxes: torch.Tensor,
                        real: torch.Tensor) -> torch.Tensor:
    """Best IoU of each box (R, 4) of image `image` (R,) with that image's real GT boxes."""
    k = gt_boxes.shape[1]
    ious = box_iou(boxes[:, None, :].expand(-1, k, -1).reshape(-1, 4), gt_boxes[image].reshape(-1, 4)).view(-1, k)
    return torch.where(real[image], ious, torch.zeros_like(ious)).amax(1)


def _best_iou_by_labelling(maps, thresholds, gt_boxes, gt_count) -> torch.Tensor:
    normalised = normalize_maps(maps)
    batch, height, width = normalised.shape
    real = torch.arange(gt_boxes.shape[1], device=maps.device)[None, :] < gt_count[:, None]
    best = torch.zeros(batch, len(thresholds), dtype=torch.float64, device=maps.device)
    labels = None
    for t in torch.argsort(thresholds, descending=True).tolist():  # the mask only grows: warm starts
        labels = connected_components(normalised > thresholds[t], initial=labels)
        roots, boxes = component_boxes(labels)
        if len(roots) == 0:
            continue
        image = roots // (height * width)
        ious = _best_component_iou(boxes, image, gt_boxes, real)
        best[:, t] = torch.zeros(batch, dtype=torch.float64, device=maps.device).scatter_reduce(
            0, image, ious, reduce="amax")
    return best


def _find_roots(parent: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
    while True:
        up = parent.index_select(0, nodes)
        upup = parent.index_select(0, up)
        if torch.equal(up, upup):
            return up
        nodes = upup


def _best_iou_by_component_tree(maps, thresholds, gt_boxes, gt_count) -> torch.Tensor:
    normalised = normalize_maps(maps)
    batch, height, width = normalised.shape
    device = maps.device
    # Pixels live on a grid padded by one never-present cell, so every neighbour index is valid.
    padded_h, padded_w = height + 2, width + 2
    order = torch.argsort(thresholds)
    level = torch.full((batch, padded_h, padded_w), -1, dtype=torch.long, device=device)
    # a pixel is in the mask at (sorted) threshold k iff k < level, i.e. value > threshold
    level[:, 1:-1, 1:-1] = torch.searchsorted(thresholds[order].to(normalised.dtype), normalised.contiguous())
    level = level.reshape(-1)
    size = level.numel()
    ids = torch.arange(size, device=device)
    x, y = ids % padded_w - 1, (ids // padded_w) % padded_h - 1
    image_of = ids // (padded_h * padded_w)
    parent = ids.clone()
    boxes = torch.stack([x, y, x, y], 1)  # valid at roots
    root_iou = torch.zeros(size, dtype=torch.float64, device=device)  # zero except at current roots
    present = torch.zeros(size, dtype=torch.bool, device=device)
    offsets = torch.tensor([dy * padded_w + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx],
                           device=device)
    real = torch.arange(gt_boxes.shape[1], device=device)[None, :] < gt_count[:, None]
    gt = gt_boxes.double()
    by_level = torch.argsort(level, stable=True)
    ends = torch.cumsum(torch.bincount(level + 1, minlength=len(thresholds) + 2), 0)
    best = torch.zeros(batch, len(thresholds), dtype=torch.float64, device=device)
    for k in range(len(thresholds) - 1, -1, -1):
        joining = by_level[int(ends[k + 1]) : int(ends[k + 2])]  # the pixels of level k + 1
        if len(joining):
            present[joining] = True
            neighbours = joining[:, None] + offsets[None, :]
            touching = present[neighbours]
            u, v = joining[:, None].expand_as(neighbours)[touching], neighbours[touching]
            rv = _find_roots(parent, v)  # joining pixels are still their own roots
            pairs = (u * size + rv)[u != rv].unique()
            ru, rv = pairs // size, pairs % size
            involved = torch.cat([ru, rv]).unique()
            while len(ru):  # link the larger root under the smaller, then flatten the chains
                parent.scatter_reduce_(0, torch.maximum(ru, rv), torch.minimum(ru, rv), reduce="amin")
                while True:
                    up = parent.index_select(0, involved)
                    upup = parent.index_select(0, up)
                    if torch.equal(up, upup):
                        break
                    parent.index_copy_(0, involved, upup)
                ru, rv = parent.index_select(0, ru), parent.index_select(0, rv)
                apart = ru != rv
                ru, rv = ru[apart], rv[apart]
            touched = torch.cat([involved, joining])
            final = parent.index_select(0, touched)
            parent.index_copy_(0, touched, final)
            merged = boxes.index_select(0, touched)
            boxes[:, :2].scatter_reduce_(0, final[:, None].expand(-1, 2), merged[:, :2], reduce="amin")
            boxes[:, 2:].scatter_reduce_(0, final[:, None].expand(-1, 2), merged[:, 2:], reduce="amax")
            root_iou[touched] = 0.0
            # repeated roots just write the same value twice, cheaper than deduplicating them
            root_iou[final] = _best_component_iou(boxes[final], image_of[final], gt, real)
        best[:, order[k]] = root_iou.view(batch, -1).amax(1)
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

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
- pointing_hits: the pointing game (Zhang et al., ECCV 2016).

Example:
    >>> metric = LocalizationAccuracy()
    >>> metric.update(pred_boxes, gt_boxes, gt_count, top1_correct)
    >>> metric.compute()["gt_known_loc"]
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as graph_components
from torchmetrics import Metric

from infocam_lit.maths.boxes import best_iou, box_iou, normalize_maps
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


def best_iou_per_threshold(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor,
                           gt_count: torch.Tensor) -> torch.Tensor:
    """(B, T): per image and threshold, the best IoU of any component's box with any real GT box.

    Labelling every threshold's mask would pass over every pixel once per
    threshold. Instead, one pass splits each map into basins (steepest ascent to
    a peak), and the components at each threshold come from the small graph of
    basins joined above it (an edge per pair of touching basins, weighted by
    their saddle). On any device; measured 4-6x a per-threshold scipy loop on a
    CPU, and 2.5-3x a batched labelling of every threshold on a GPU.
    """
    best, _ = threshold_sweep(maps, thresholds, gt_boxes, gt_count, largest=False)
    return best


def largest_component_boxes_per_threshold(maps: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """(B, T, 4): boxes_from_maps(maps, tau) for every tau of `thresholds`, from one pass over the pixels."""
    _, boxes = threshold_sweep(maps, thresholds, every_component=False)
    return boxes


def threshold_sweep(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor | None = None,
                    gt_count: torch.Tensor | None = None, every_component: bool = True,
                    largest: bool = True) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Both threshold sweeps of SPEC §4.2 / §7.2 from one set of basins:
    (best IoU of any component's box per image and threshold (B, T), needs the GT; or None) and
    (the box of the largest component per image and threshold (B, T, 4), exactly boxes_from_maps':
    among equally large components the one whose first pixel comes first in raster order; or None)."""
    return _sweep_by_basins(maps, thresholds, gt_boxes, gt_count, every_component, largest)


def _best_component_iou(boxes: torch.Tensor, image: torch.Tensor, gt_boxes: torch.Tensor,
                        real: torch.Tensor) -> torch.Tensor:
    """Best IoU of each box (R, 4) of image `image` (R,) with that image's real GT boxes."""
    k = gt_boxes.shape[1]
    ious = box_iou(boxes[:, None, :].expand(-1, k, -1).reshape(-1, 4), gt_boxes[image].reshape(-1, 4)).view(-1, k)
    return torch.where(real[image], ious, torch.zeros_like(ious)).amax(1)


NEIGHBOURS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
FORWARD_NEIGHBOURS = ((0, 1), (1, -1), (1, 0), (1, 1))  # each 8-neighbour pair once


def _interior(grid: torch.Tensor, dy: int = 0, dx: int = 0) -> torch.Tensor:
    """The interior of a (B, H + 2, W + 2) grid padded by one cell, moved by (dy, dx)."""
    _, padded_h, padded_w = grid.shape
    return grid[:, 1 + dy : padded_h - 1 + dy, 1 + dx : padded_w - 1 + dx]


def _basins(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pixel's basin: the peak that steepest ascent in the strict order (value, index) reaches.

    `values` is padded with -inf. Returns the basin of every padded cell (B, H + 2, W + 2), -1 on
    the padding, and the flat index of each basin's peak. The ascent never steps down, so the pixels
    of a basin above any threshold stay connected to its peak."""
    batch, padded_h, padded_w = values.shape
    index = torch.arange(values.numel(), device=values.device).view_as(values)
    best_value, best_index = _interior(values).clone(), _interior(index).clone()
    for dy, dx in NEIGHBOURS:
        value, neighbour = _interior(values, dy, dx), _interior(index, dy, dx)
        better = (value > best_value) | ((value == best_value) & (neighbour > best_index))
        best_value = torch.where(better, value, best_value)
        best_index = torch.where(better, neighbour, best_index)
    peak = index.clone()
    _interior(peak).copy_(best_index)
    peak = peak.view(-1)
    while True:  # pointer jumping: every pixel ends at its peak
        next_peak = peak.index_select(0, peak)
        if torch.equal(next_peak, peak):
            break
        peak = next_peak
    real = torch.zeros_like(values, dtype=torch.bool)
    _interior(real).fill_(True)
    peaks = index.view(-1)[real.view(-1) & (peak == index.view(-1))]
    basin_of_peak = torch.full_like(peak, -1)
    basin_of_peak[peaks] = torch.arange(len(peaks), device=values.device)
    basin = torch.where(real.view(-1), basin_of_peak[peak], -1).view(batch, padded_h, padded_w)
    return basin, peaks


def _sweep_by_basins(maps, thresholds, gt_boxes, gt_count, every_component: bool, largest: bool):
    normalised = normalize_maps(maps)
    batch, height, width = normalised.shape
    pixels = height * width
    device = maps.device
    order = torch.argsort(thresholds)
    n_thresholds = len(thresholds)
    values = torch.full((batch, height + 2, width + 2), -math.inf, dtype=normalised.dtype, device=device)
    _interior(values).copy_(normalised)
    # a pixel is in the mask at (sorted) threshold k iff k < level, i.e. value > threshold
    level = torch.full(values.shape, -1, dtype=torch.long, device=device)
    _interior(level).copy_(torch.searchsorted(thresholds[order].to(normalised.dtype), normalised.contiguous()))
    basin, peaks = _basins(values)
    n_basins = len(peaks)
    image_of_basin = peaks // values[0].numel()

    # The box of each basin's pixels at each level, then (a cumulative min / max from the top) of
    # its pixels above each threshold: above[:, k + 1] is the basin's part of the mask at threshold k.
    # For the largest component, the same for the pixel count (a cumulative sum) and the first pixel
    # in raster order (a cumulative min).
    n_levels = n_thresholds + 1
    flat_key = (_interior(basin) * n_levels + _interior(level)).reshape(-1)
    key = flat_key[:, None].expand(-1, 2)
    ys, xs = torch.meshgrid(torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij")
    coords = torch.stack([xs, ys], -1).view(1, -1, 2).expand(batch, -1, -1).reshape(-1, 2)
    empty = height + width  # larger than any coordinate: a basin with no pixel above the threshold
    low = torch.full((n_basins * n_levels, 2), empty, dtype=torch.long, device=device)
    high = torch.full((n_basins * n_levels, 2), -1, dtype=torch.long, device=device)
    low.scatter_reduce_(0, key, coords, reduce="amin")
    high.scatter_reduce_(0, key, coords, reduce="amax")
    low = low.view(n_basins, n_levels, 2).flip(1).cummin(1).values.flip(1)
    high = high.view(n_basins, n_levels, 2).flip(1).cummax(1).values.flip(1)
    if largest:
        raster = torch.arange(pixels, device=device).repeat(batch)
        size = torch.bincount(flat_key, minlength=n_basins * n_levels)
        size = size.view(n_basins, n_levels).flip(1).cumsum(1).flip(1)
        first = torch.full((n_basins * n_levels,), pixels, dtype=torch.long, device=device).scatter_reduce_(
            0, flat_key, raster, reduce="amin")
        first = first.view(n_basins, n_levels).flip(1).cummin(1).values.flip(1)

    # Two basins are joined in the mask at threshold k when two adjacent pixels of theirs are both
    # above it: their saddle (the best such pair's lower level) is > k.
    first_basin, second_basin, saddles = [], [], []
    for dy, dx in FORWARD_NEIGHBOURS:
        a, b = _interior(basin), _interior(basin, dy, dx)
        saddle = torch.minimum(_interior(level), _interior(level, dy, dx))
        keep = ((a != b) & (saddle >= 1)).view(-1).nonzero().squeeze(1)  # b = -1 (padding) has level -1
        a, b = a.reshape(-1).index_select(0, keep), b.reshape(-1).index_select(0, keep)
        first_basin.append(torch.minimum(a, b))
        second_basin.append(torch.maximum(a, b))
        saddles.append(saddle.reshape(-1).index_select(0, keep))
    pairs, inverse = torch.unique(torch.cat(first_basin) * n_basins + torch.cat(second_basin), return_inverse=True)
    saddle = torch.zeros(len(pairs), dtype=torch.long, device=device).scatter_reduce_(
        0, inverse, torch.cat(saddles), reduce="amax").cpu().numpy()
    first_basin, second_basin = (pairs // n_basins).cpu().numpy(), (pairs % n_basins).cpu().numpy()

    if every_component:
        real = torch.arange(gt_boxes.shape[1], device=device)[None, :] < gt_count[:, None]
        gt = gt_boxes.double()
        best = torch.zeros(batch, n_thresholds, dtype=torch.float64, device=device)
    largest_boxes = torch.zeros(batch, n_thresholds, 4, dtype=torch.long, device=device) if largest else None
    for k in range(n_thresholds):
        present = low[:, k + 1, 0] < empty
        if not present.any():
            continue
        joined = saddle > k
        graph = coo_matrix((np.ones(joined.sum()), (first_basin[joined], second_basin[joined])),
                           shape=(n_basins, n_basins))
        component = torch.from_numpy(graph_components(graph, directed=False)[1]).long().to(device)[present]
        index = component[:, None].expand(-1, 2)
        box_low = torch.full((n_basins, 2), empty, dtype=torch.long, device=device).scatter_reduce_(
            0, index, low[present, k + 1], reduce="amin")
        box_high = torch.full((n_basins, 2), -1, dtype=torch.long, device=device).scatter_reduce_(
            0, index, high[present, k + 1], reduce="amax")
        components = component.unique()
        image = torch.zeros(n_basins, dtype=torch.long, device=device).index_copy_(
            0, component, image_of_basin[present])[components]
        boxes = torch.cat([box_low, box_high], 1)[components]
        if every_component:
            ious = _best_component_iou(boxes, image, gt, real)
            best[:, order[k]] = torch.zeros(batch, dtype=torch.float64, device=device).scatter_reduce(
                0, image, ious, reduce="amax")
        if largest:
            # the largest component, ties to the first pixel in raster order: the largest rank
            # size * pixels - first, unique within an image
            component_size = torch.zeros(n_basins, dtype=torch.long, device=device).scatter_add_(
                0, component, size[present, k + 1])[components]
            component_first = torch.full((n_basins,), pixels, dtype=torch.long, device=device).scatter_reduce_(
                0, component, first[present, k + 1], reduce="amin")[components]
            rank = component_size * pixels - component_first
            best_rank = torch.full((batch,), -pixels, dtype=torch.long, device=device).scatter_reduce(
                0, image, rank, reduce="amax")
            chosen = rank == best_rank[image]
            largest_boxes[image[chosen], order[k]] = boxes[chosen]
    return (best if every_component else None), largest_boxes


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

"""Localisation metrics (SPEC §4.2) as torchmetrics Metrics whose states are sums and
counts, so they reduce exactly across DDP ranks (never an average of averages).

- LocalizationAccuracy: GT-known Loc (IoU >= 0.5 with a ground-truth box) and
  Top-1 Loc (that, and the top-1 class is correct), from one predicted box per image.
- MaxBoxAccV2 (Choe et al., CVPR 2020): for every threshold tau of a grid, every
  connected component's box is a candidate and an image scores at delta if its
  best candidate reaches IoU >= delta; MaxBoxAcc(delta) is the best tau for the
  whole dataset, and V2 the mean over delta in {0.3, 0.5, 0.7}.
- ThresholdSweep: the same sweep, per label, also counting the fixed-threshold rule's hits (the
  largest component's box) at every threshold on a validation split and a test split, so that the
  threshold chosen on the first is applied to the second (held-out tau, SPEC §7.2; Choe et al.'s protocol).
- FixedBoxAccuracy: one given box per image (the whole-image baseline) at IoU 0.3, 0.5 and 0.7.
- pointing_hits: the pointing game (Zhang et al., ECCV 2016).

Each compute() returns finished scores; the reductions are the plain functions of metrics/functional.py.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from infocam_lit.maths.boxes import best_iou
from infocam_lit.maths.threshold_sweep import threshold_sweep
from infocam_lit.metrics.functional import first_best, held_out_threshold, maxboxacc, threshold_grid
from infocam_lit.metrics.per_image import in_index_order
from infocam_lit.metrics.wsolevaluation import require_cv2, wsolevaluation_hits


class LocalizationAccuracy(Metric):
    """GT-known Loc and Top-1 Loc from one predicted box per image.

    Args:
        iou_threshold: the IoU with a ground-truth box that counts as localised (0.5).

    update(pred_boxes (B, 4), gt_boxes (B, K, 4), gt_count (B,) real GT boxes, top1_correct (B,)).

    Returns:
        compute(): {"gt_known_loc": IoU >= iou_threshold with a GT box, "top1_loc": that and the top-1 class
        correct}, each a 0-d tensor, the fraction of the images seen.

    Example:
        >>> metric = LocalizationAccuracy()
        >>> gt = torch.tensor([[[0.0, 0.0, 9.0, 9.0]], [[0.0, 0.0, 9.0, 9.0]]])
        >>> metric.update(torch.tensor([[0, 0, 9, 9], [0, 0, 3, 3]]), gt, torch.tensor([1, 1]),
        ...               torch.tensor([False, True]))
        >>> {key: value.item() for key, value in metric.compute().items()}
        {'gt_known_loc': 0.5, 'top1_loc': 0.0}
    """

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


class ThresholdSweep(Metric):
    """Localisation at every threshold of a grid, per label, on a test split and on a validation split
    that chooses the threshold (SPEC §4.2 and §7.2).

    update(..., split="test") counts, L labels (1 for single-label data), T thresholds, D IoU levels:
    - box_hits (L, T): the fixed-threshold rule at each threshold (the largest component's box,
      IoU >= `iou_threshold` with a GT box), and box_top1_hits: that and a correct top-1 class;
    - component_hits (L, D, T): MaxBoxAcc's, the best of every component's box at IoU >= delta;
    - count (L,): the images (or image-label pairs) seen.
    update(..., split="val") counts the fixed-threshold rule only (val_box_hits, val_count).

    compute() returns MaxBoxAccV2 of the test split (with `every_component`; per label too when L > 1:
    `<key>_per_label`) and, once a validation split was seen (with `largest_box`), the held-out tau and
    the test split's GT-known and Top-1 Loc there (metrics/functional.py: maxboxacc, held_out_threshold),
    beside `gt_known_loc_best_tau`, the best of the test split's own taus (an oracle, to label a number at a
    fixed tau that happens to be the best on test). With `per_image` (and `largest_box`), test updates also
    give each image's index in its split, and compute() adds `per_image_index` (N,) and
    `per_image_iou_val_tau` (N,): the IoU of each test image's box at the held-out tau, in index order, the
    very values whose hits make gt_known_loc_val_tau.

    Example:
        >>> maps = torch.zeros(1, 8, 8)
        >>> maps[0, 2:6, 2:6] = 1.0
        >>> gt = torch.tensor([[[2.0, 2.0, 5.0, 5.0]]])
        >>> sweep = ThresholdSweep(threshold_step=0.5)
        >>> sweep.update(maps, gt, torch.tensor([1]), split="val")
        >>> sweep.update(maps, gt, torch.tensor([1]), top1_correct=torch.tensor([True]))
        >>> values = sweep.compute()
        >>> values["maxboxacc_v2"].item(), values["val_tau"].item(), values["gt_known_loc_val_tau"].item()
        (1.0, 0.0, 1.0)
    """

    full_state_update = False

    def __init__(self, threshold_step: float = 0.01, iou_thresholds: tuple[float, ...] = (0.3, 0.5, 0.7),
                 num_labels: int = 1, largest_box: bool = True, every_component: bool = True,
                 iou_threshold: float = 0.5, per_image: bool = False, **kwargs):
        super().__init__(**kwargs)
        if per_image and not largest_box:
            raise ValueError("per_image keeps the largest box's IoU: it needs largest_box=True")
        self.register_buffer("thresholds", threshold_grid(threshold_step), persistent=False)
        self.iou_thresholds, self.iou_threshold = tuple(iou_thresholds), iou_threshold
        self.num_labels, self.largest_box, self.every_component = num_labels, largest_box, every_component
        count = len(self.thresholds)
        for name in ("box_hits", "box_top1_hits", "val_box_hits"):
            self.add_state(name, torch.zeros(num_labels, count, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("component_hits", torch.zeros(num_labels, len(self.iou_thresholds), count,
                                                     dtype=torch.float64), dist_reduce_fx="sum")
        for name in ("count", "val_count"):
            self.add_state(name, torch.zeros(num_labels, dtype=torch.float64), dist_reduce_fx="sum")
        self.per_image = per_image
        if per_image:  # (N,) indices and (N, T) IoUs of the test split, gathered across ranks
            self.add_state("image_index", default=[], dist_reduce_fx="cat")
            self.add_state("image_iou", default=[], dist_reduce_fx="cat")

    def update(self, maps: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor,
               labels: torch.Tensor | None = None, top1_correct: torch.Tensor | None = None,
               split: str = "test", index: torch.Tensor | None = None) -> None:
        """Args:
            maps: (B, H, W) at image size.
            gt_boxes, gt_count: GT boxes (B, K, 4), of which gt_count (B,) are real.
            labels: (B,) the label of each map when num_labels > 1.
            top1_correct: (B,) whether its top-1 class is correct, if known.
            split: "test" (scored) or "val" (chooses the threshold).
            index: (B,) each image's index in its split: with `per_image`, the test split's per-image IoUs
                are kept for the batches that give it.
        """
        if split not in ("test", "val"):
            raise ValueError(f"split={split!r}; valid: test, val")
        if len(maps) == 0:
            return
        labels = torch.zeros(len(maps), dtype=torch.long, device=maps.device) if labels is None else labels
        test = split == "test"
        best, boxes = threshold_sweep(maps, self.thresholds.to(maps.device), gt_boxes, gt_count,
                                      self.every_component and test, self.largest_box)
        if best is not None:
            deltas = torch.tensor(self.iou_thresholds, dtype=torch.float64, device=best.device)
            hit = (best[:, None, :] >= deltas[None, :, None]).double()  # (B, D, T)
            self.component_hits.index_add_(0, labels, hit)
        if boxes is not None:
            n, t = boxes.shape[:2]
            repeated = gt_boxes.repeat_interleave(t, 0)
            iou = best_iou(boxes.reshape(-1, 4), repeated, gt_count.repeat_interleave(t)).view(n, t)
            hit = (iou >= self.iou_threshold).double()
            if self.per_image and test and index is not None:
                self.image_index.append(index.detach().long())
                self.image_iou.append(iou)
            (self.box_hits if test else self.val_box_hits).index_add_(0, labels, hit)
            if top1_correct is not None and test:
                self.box_top1_hits.index_add_(0, labels, hit * top1_correct.double()[:, None])
        (self.count if test else self.val_count).add_(torch.bincount(labels, minlength=self.num_labels).double())

    def compute(self) -> dict[str, torch.Tensor]:
        values = {}
        if self.every_component:
            values |= maxboxacc(self.component_hits.sum(0), self.count.sum(), self.thresholds, self.iou_thresholds)
            if self.num_labels > 1:
                labels = [maxboxacc(hits, count, self.thresholds, self.iou_thresholds)
                          for hits, count in zip(self.component_hits, self.count, strict=True)]
                values |= {f"{key}_per_label": torch.stack([label[key] for label in labels])
                           for key in labels[0] if key.startswith("maxboxacc")}
        if self.largest_box and self.val_count.sum() > 0:
            values |= held_out_threshold(self.val_box_hits, self.box_hits, self.box_top1_hits, self.count,
                                         self.thresholds)
            if self.num_labels == 1:
                del values["gt_known_loc_val_tau_per_label"]
            # the fixed-threshold rule at the best tau on the test split itself: an oracle, to tell when a
            # number at a fixed tau happens to be the test split's best (never a result to report as such)
            values["gt_known_loc_best_tau"] = self.box_hits.sum(0).max() / self.count.sum()
            if self.per_image and len(self.image_index) > 0:
                index, iou = in_index_order(dim_zero_cat(self.image_index), dim_zero_cat(self.image_iou))
                values |= {"per_image_index": index,
                           "per_image_iou_val_tau": iou[:, first_best(self.val_box_hits.sum(0))]}
        return values


BOX_CONVENTIONS = ("infocam_lit", "wsolevaluation")


class MaxBoxAccV2(ThresholdSweep):
    """MaxBoxAccV2 (Choe et al., CVPR 2020) over a set of maps: maxboxacc_iou{30,50,70}, their best
    thresholds best_tau_iou{30,50,70}, and maxboxacc_v2.

    box_convention="infocam_lit" (SPEC §4.2): any maps at image size and inclusive GT corners.
    box_convention="wsolevaluation": wsolevaluation's computation exactly (metrics/wsolevaluation.py),
    for maps in [0, 1] at image size and GT boxes already in its convention; needs OpenCV.

    Args:
        threshold_step: the spacing of the threshold grid 0, step, ... below 1.
        iou_thresholds: the IoU levels delta averaged into maxboxacc_v2.
        box_convention: "infocam_lit" or "wsolevaluation".

    Returns:
        compute(): {"maxboxacc_iou30", "maxboxacc_iou50", "maxboxacc_iou70": the best box accuracy over the
        thresholds at each IoU level; "best_tau_iou30", ...: the threshold that gave it; "maxboxacc_v2": their
        mean}, 0-d tensors, accuracies as fractions of the maps seen.

    Example:
        >>> maps = torch.zeros(1, 8, 8)
        >>> maps[0, 2:6, 2:6] = 1.0
        >>> metric = MaxBoxAccV2(threshold_step=0.1)
        >>> metric.update(maps, torch.tensor([[[2.0, 2.0, 7.0, 5.0]]]), torch.tensor([1]))
        >>> {key: round(value.item(), 4) for key, value in metric.compute().items() if key.startswith("maxbox")}
        {'maxboxacc_iou30': 1.0, 'maxboxacc_iou50': 1.0, 'maxboxacc_iou70': 0.0, 'maxboxacc_v2': 0.6667}
    """

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

"""Straightforward per-image, per-threshold reference implementations (scipy.ndimage), the way
wsolevaluation organises the computation: the slow, obvious version our batched code must equal."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

EIGHT = np.ones((3, 3), dtype=bool)


def normalise(map_: np.ndarray) -> np.ndarray:
    low, high = map_.min(), map_.max()
    return (map_ - low) / (high - low) if high > low else np.zeros_like(map_)


def iou(a, b) -> float:
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = width * height
    union = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter
    return inter / union if union > 0 else 0.0


def component_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    labels, _ = ndimage.label(mask, structure=EIGHT)
    return [(s[1].start, s[0].start, s[1].stop - 1, s[0].stop - 1) for s in ndimage.find_objects(labels)]


def largest_component_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    labels, count = ndimage.label(mask, structure=EIGHT)
    if count == 0:
        return (0, 0, 0, 0)
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
    ys, xs = np.nonzero(labels == 1 + int(np.argmax(sizes)))  # scipy numbers components in raster order
    return (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))


def best_iou_per_threshold(maps: np.ndarray, thresholds: np.ndarray, gt_boxes: list[list]) -> np.ndarray:
    best = np.zeros((len(maps), len(thresholds)))
    for i, map_ in enumerate(maps):
        normalised = normalise(map_)
        for t, tau in enumerate(thresholds):
            for box in component_boxes(normalised > tau):
                best[i, t] = max([best[i, t]] + [iou(box, gt) for gt in gt_boxes[i]])
    return best

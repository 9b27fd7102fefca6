"""MaxBoxAccV2 exactly as clovaai/wsolevaluation computes it (Choe et al., CVPR 2020 / TPAMI), for
numbers that sit beside the published ones (`MaxBoxAccV2(box_convention="wsolevaluation")`).

Its convention differs from the project's (SPEC §4.2) in every step, so it is reproduced as written:
- a map in [0, 1] becomes uint8 by truncation, `(map * 255).astype(uint8)`;
- at threshold tau a pixel is foreground when its value is above `int(tau * max)` (strictly), with
  tau on `arange(0, 1, step)`;
- every contour OpenCV's `findContours(RETR_TREE)` returns is a candidate, holes included, and a
  contour's box is `[x, y, min(x + w, W - 1), min(y + h, H - 1)]` from `boundingRect`, one pixel wider
  than the inclusive box where it does not touch the border; no contour gives the box [0, 0, 0, 0];
- IoU with +1 areas, the best over (candidate, ground-truth box) pairs, a hit when >= delta;
- ground-truth boxes are its (x0, y0, x1, y1) in the 224 x 224 frame: CUB's (x, y, x + w, y + h)
  scaled with `int(v * 224 / size)` (`wsolevaluation_boxes`).
Maps are min-max normalised as its `normalize_scoremap` does (NaN or constant maps become zeros).
OpenCV is needed only here: the `[wsolevaluation]` extra (`[dev]` includes it).
"""

from __future__ import annotations

import numpy as np
import torch

FRAME = 224  # its evaluator compares maps and boxes in a 224 x 224 frame and resizes nothing
EXTRA_HINT = 'pip install "infocam_lit[wsolevaluation]" (make install includes it)'


def require_cv2():
    try:
        import cv2
    except ImportError as error:
        raise ImportError(f"box_convention='wsolevaluation' needs OpenCV, not installed: {EXTRA_HINT}") from error
    return cv2


def normalize_scoremap(scoremap: np.ndarray) -> np.ndarray:
    """Its min-max normalisation: NaN anywhere or a constant map gives zeros."""
    if np.isnan(scoremap).any() or scoremap.min() == scoremap.max():
        return np.zeros_like(scoremap)
    scoremap = scoremap - scoremap.min()
    return scoremap / scoremap.max()


def candidate_boxes(image: np.ndarray, threshold: float, cv2) -> np.ndarray:
    """(N, 4) boxes of every contour of the uint8 map `image` above `int(threshold * max)`."""
    height, width = image.shape
    _, binary = cv2.threshold(image, int(threshold * np.max(image)), 255, cv2.THRESH_BINARY)
    contours = cv2.findContours(binary, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[-2]  # OpenCV 3: 3 values
    if len(contours) == 0:
        return np.zeros((1, 4), dtype=np.int64)
    boxes = np.array([cv2.boundingRect(c) for c in contours], dtype=np.int64)  # x, y, w, h
    x1 = np.minimum(boxes[:, 0] + boxes[:, 2], width - 1)
    y1 = np.minimum(boxes[:, 1] + boxes[:, 3], height - 1)
    return np.stack([boxes[:, 0], boxes[:, 1], x1, y1], 1)


def inclusive_ious(boxes: np.ndarray, gt_boxes: np.ndarray) -> np.ndarray:
    """(N, K) IoU with +1 areas; a pair whose union is not positive has IoU 0."""
    a, b = boxes[:, None, :].astype(np.float64), gt_boxes[None, :, :].astype(np.float64)
    inter_w = np.maximum(0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1)
    inter_h = np.maximum(0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1)
    inter = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def best_ious(scoremap: np.ndarray, thresholds: np.ndarray, gt_boxes: np.ndarray) -> np.ndarray:
    """(T,) the best IoU at each threshold of one normalised map (H, W) against its GT boxes (K, 4)."""
    cv2 = require_cv2()
    image = (scoremap * 255).astype(np.uint8)
    return np.array([inclusive_ious(candidate_boxes(image, float(t), cv2), gt_boxes).max() for t in thresholds])


def wsolevaluation_hits(maps: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor,
                        thresholds: torch.Tensor, iou_thresholds: tuple[float, ...]) -> torch.Tensor:
    """(B, D, T) whether each map's best candidate reaches each delta at each threshold."""
    maps_np = maps.detach().double().cpu().numpy()
    boxes_np, counts = gt_boxes.detach().cpu().numpy(), gt_count.tolist()
    tau = thresholds.cpu().numpy()
    hits = np.zeros((len(maps_np), len(iou_thresholds), len(tau)))
    for i, scoremap in enumerate(maps_np):
        if counts[i] == 0:
            continue  # no ground truth: no hit
        best = best_ious(normalize_scoremap(scoremap), tau, boxes_np[i, : counts[i]])
        hits[i] = best[None, :] >= np.array(iou_thresholds)[:, None]
    return torch.from_numpy(hits).to(maps.device)


def wsolevaluation_boxes(boxes: torch.Tensor, image_size: tuple[int, int],
                         resize_size: tuple[int, int]) -> torch.Tensor:
    """Its ground truth after resizing an image of `image_size` (W, H) to `resize_size` (W', H'):
    `int(v * W' / W)` (x) and `int(v * H' / H)` (y) of boxes (K, 4) already in its convention
    (x0, y0, x1, y1), in float64 and in its order of operations."""
    (width, height), (new_width, new_height) = image_size, resize_size
    new = torch.tensor([new_width, new_height, new_width, new_height], dtype=torch.float64)
    old = torch.tensor([width, height, width, height], dtype=torch.float64)
    return torch.trunc(boxes.double() * new / old)

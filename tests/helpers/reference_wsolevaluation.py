"""A literal reading of clovaai/wsolevaluation's BoxEvaluator (compute_bboxes_from_scoremaps,
calculate_multiple_iou, accumulate, compute) and of evaluate_wsol's reading of score maps and metadata
files: the slow, obvious version MaxBoxAccV2(box_convention="wsolevaluation") and export=scoremaps must
agree with. Written from reading its code; OpenCV as it uses it."""

from __future__ import annotations

import numpy as np


def reference_boxes(scoremap: np.ndarray, thresholds) -> tuple[np.ndarray, list[int]]:
    """Its compute_bboxes_from_scoremaps(multi_contour_eval=True): boxes of all thresholds, stacked."""
    import cv2

    height, width = scoremap.shape
    image = np.expand_dims((scoremap * 255).astype(np.uint8), 2)
    all_boxes, counts = [], []
    for threshold in thresholds:
        _, gray = cv2.threshold(src=image, thresh=int(threshold * np.max(image)), maxval=255,
                                type=cv2.THRESH_BINARY)
        contours = cv2.findContours(image=gray, mode=cv2.RETR_TREE, method=cv2.CHAIN_APPROX_SIMPLE)[-2]
        if len(contours) == 0:
            all_boxes.append(np.asarray([[0, 0, 0, 0]]))
            counts.append(1)
            continue
        boxes = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            boxes.append([x, y, min(x + w, width - 1), min(y + h, height - 1)])
        all_boxes.append(np.asarray(boxes))
        counts.append(len(contours))
    return np.concatenate(all_boxes), counts


def reference_iou(box_a: np.ndarray, box_b: np.ndarray) -> np.ndarray:
    """Its calculate_multiple_iou: (N, 4) x (M, 4) -> (N, M), +1 areas."""
    a, b = box_a[:, None, :].astype(float), box_b[None, :, :].astype(float)
    inter = (np.maximum(0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1)
             * np.maximum(0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1))
    area_a = (a[..., 2] - a[..., 0] + 1) * (a[..., 3] - a[..., 1] + 1)
    area_b = (b[..., 2] - b[..., 0] + 1) * (b[..., 3] - b[..., 1] + 1)
    denominator = area_a + area_b - inter
    degenerate = denominator <= 0
    denominator[degenerate] = 1
    ious = inter / denominator
    ious[degenerate] = 0
    return ious


def reference_maxboxacc_v2(scoremaps, gt_boxes, step: float) -> dict:
    """Its BoxEvaluator.accumulate over every map, then compute(), in percent."""
    thresholds = np.arange(0, 1, step)
    deltas = (30, 50, 70)
    correct = {delta: np.zeros(len(thresholds)) for delta in deltas}
    for scoremap, gt in zip(scoremaps, gt_boxes, strict=True):
        boxes, counts = reference_boxes(scoremap, thresholds)
        ious = reference_iou(boxes, np.asarray(gt))
        start, best = 0, []
        for count in counts:
            best.append(max(ious.max(1)[start : start + count]))
            start += count
        for delta in deltas:
            correct[delta][np.where(np.asarray(best) >= delta / 100)[0]] += 1
    per_delta = [correct[delta].max() * 100 / len(scoremaps) for delta in deltas]
    return {"iou30": per_delta[0], "iou50": per_delta[1], "iou70": per_delta[2], "v2": float(np.mean(per_delta))}


def reference_evaluate_wsol(scoremap_root, metadata_root, dataset_name: str, step: float) -> dict:
    """Its evaluate_wsol(split="test", multi_contour_eval=True, multi_iou_eval=True) as we read it: the
    metadata files, GT boxes resized to 224 with int(), one <image_id>.npy per image, its validity check."""
    folder = metadata_root / dataset_name / "test"
    ids = (folder / "image_ids.txt").read_text().split()
    sizes = {line.split(",")[0]: tuple(map(int, line.split(",")[1:])) for line in
             (folder / "image_sizes.txt").read_text().split()}
    boxes: dict[str, list] = {}
    for line in (folder / "localization.txt").read_text().split():
        image_id, *coordinates = line.split(",")
        boxes.setdefault(image_id, []).append(tuple(map(int, coordinates)))
    scoremaps, gt = [], []
    for image_id in ids:
        scoremap = np.load(scoremap_root / f"{image_id}.npy")
        assert scoremap.dtype == np.float64 and scoremap.ndim == 2 and not np.isnan(scoremap).any()
        assert scoremap.min() >= 0 and scoremap.max() <= 1
        scoremaps.append(scoremap)
        width, height = sizes[image_id]
        gt.append([[int(float(x0) * 224.0 / width), int(float(y0) * 224.0 / height),
                    int(float(x1) * 224.0 / width), int(float(y1) * 224.0 / height)]
                   for x0, y0, x1, y1 in boxes[image_id]])
    return reference_maxboxacc_v2(scoremaps, gt, step)

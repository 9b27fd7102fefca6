"""The box of the largest component at one threshold (what a test pass computes for every map at cam.threshold),
side by side on the same CAM-like 224 x 224 maps (bicubic-upsampled 14 x 14 noise), one thread, per map:
- ours: infocam_lit.boxes_from_maps, the compiled CPU path (infocam_lit/maths/box_kernel.py);
- ours, torch path: the whole-tensor label propagation a GPU runs (boxes.boxes_by_propagation), on the CPU;
- scipy: min-max normalisation, scipy.ndimage.label (8-connected), the largest label by bincount and its
  slice from find_objects: the same boxes as ours;
- the cv2 loop: wsolevaluation's evaluator at one threshold, per map cv2.threshold (to zero below
  threshold x max), cv2.findContours and the boundingRect of the contour of largest area (its own
  convention: largest by contour area, so its boxes may differ where two components are close in size).
The paths take turns (benchmarks/timing.py); each figure is the best turn. Ours must equal scipy's boxes.

    python benchmarks/boxes_one_threshold.py [--maps 64] [--repeats 7] [--threshold 0.2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.timing import best_of_turns  # noqa: E402
from infocam_lit.maths.boxes import boxes_by_propagation, boxes_from_maps, normalize_maps  # noqa: E402
from infocam_lit.metrics.wsolevaluation import require_cv2  # noqa: E402

GOAL_MS = 0.25  # ours, a 224 x 224 map on one thread
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def cam_like_maps(count: int, seed: int = 0) -> torch.Tensor:
    noise = torch.rand(count, 1, 14, 14, generator=torch.Generator().manual_seed(seed))
    return F.interpolate(noise, size=(224, 224), mode="bicubic", align_corners=False)[:, 0].contiguous()


def scipy_boxes(maps: torch.Tensor, threshold: float) -> torch.Tensor:
    boxes = torch.zeros(len(maps), 4, dtype=torch.long)
    for i, normalised in enumerate(normalize_maps(maps).numpy()):
        labels, count = ndimage.label(normalised > np.float32(threshold), structure=EIGHT_CONNECTED)
        if count == 0:
            continue
        largest = int(np.bincount(labels.ravel())[1:].argmax())  # the first of equal sizes: raster order
        rows, cols = ndimage.find_objects(labels, max_label=largest + 1)[largest]
        boxes[i] = torch.tensor([cols.start, rows.start, cols.stop - 1, rows.stop - 1])
    return boxes


def cv2_loop(cv2, maps: np.ndarray, threshold: float) -> list[tuple[int, int, int, int]]:
    boxes = []
    for scoremap in maps:
        scoremap = (scoremap - scoremap.min()) / (scoremap.max() - scoremap.min())  # wsolevaluation's normalize
        _, thresholded = cv2.threshold(src=(scoremap * 255).astype(np.uint8), thresh=int(threshold * 255),
                                       maxval=255, type=cv2.THRESH_TOZERO)
        contours = cv2.findContours(thresholded, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[0]
        if not contours:
            boxes.append((0, 0, 0, 0))
            continue
        x, y, w, h = cv2.boundingRect(max(contours, key=cv2.contourArea))
        boxes.append((x, y, x + w - 1, y + h - 1))
    return boxes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--maps", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.2)
    args = parser.parse_args()
    cv2 = require_cv2()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    maps, tau = cam_like_maps(args.maps), args.threshold
    as_numpy = maps.numpy()
    ours = boxes_from_maps(maps, tau)  # also compiles the kernel (or loads it from the cache)
    assert torch.equal(ours, scipy_boxes(maps, tau)), "ours and scipy's boxes differ"
    assert torch.equal(ours, boxes_by_propagation(maps, tau)), "the compiled and the torch path differ"
    runs = {"ours (compiled)": lambda: boxes_from_maps(maps, tau),
            "ours, torch path": lambda: boxes_by_propagation(maps, tau),
            "scipy label": lambda: scipy_boxes(maps, tau),
            "cv2 loop (wsolevaluation)": lambda: cv2_loop(cv2, as_numpy, tau)}
    seconds = dict(zip(runs, best_of_turns(args.repeats, list(runs.values())), strict=True))
    print(f"boxes at tau = {tau}, {args.maps} CAM-like 224 x 224 maps, one thread, best of {args.repeats} turns; "
          f"torch {torch.__version__}, OpenCV {cv2.__version__}")
    ours_ms = seconds["ours (compiled)"] / args.maps * 1e3
    for name, time_ in seconds.items():
        per_map = time_ / args.maps * 1e3
        print(f"  {name:27s} {per_map:7.3f} ms a map   {per_map / ours_ms:6.2f}x ours")
    print(f"goal: ours <= {GOAL_MS} ms a map: {'met' if ours_ms <= GOAL_MS else 'NOT met'} ({ours_ms:.3f} ms)")


if __name__ == "__main__":
    main()

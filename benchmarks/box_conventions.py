"""MaxBoxAccV2 in the project's convention (SPEC §4.2) and in wsolevaluation's, side by side on the same
realistic CAM-like maps: the values (how far apart the two conventions put one model) and the time per map.

Each image has a CUB-like original size and box; the map is what a GAP network gives at 14 x 14 (a blob
on the object, off by a little, a distractor blob, noise), upsampled bicubically to 224 x 224. The ground
truth goes to the 224 frame by each convention's rule: the project's inclusive span rule, and
wsolevaluation's (x, y, x + w, y + h) scaled with int().

    python benchmarks/box_conventions.py [--maps 300] [--step 0.01]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.data.image_items import inclusive_to_span, span_to_inclusive  # noqa: E402
from infocam_lit.metrics.localization import MaxBoxAccV2  # noqa: E402
from infocam_lit.metrics.wsolevaluation import wsolevaluation_boxes  # noqa: E402

FRAME = 224


def scene(rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One image: its map (224, 224), the project's GT box and wsolevaluation's, both in the 224 frame."""
    width, height = int(rng.integers(300, 501)), int(rng.integers(250, 501))
    w, h = int(rng.integers(width // 5, int(width * 0.8))), int(rng.integers(height // 5, int(height * 0.8)))
    x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
    inclusive = torch.tensor([[x, y, x + w - 1, y + h - 1]], dtype=torch.float32)
    scale = torch.tensor([FRAME / width, FRAME / height] * 2)
    ours = span_to_inclusive(inclusive_to_span(inclusive) * scale, FRAME, FRAME)
    theirs = wsolevaluation_boxes(torch.tensor([[x, y, x + w, y + h]], dtype=torch.float64), (width, height),
                                  (FRAME, FRAME)).float()
    grid = 14
    ys, xs = np.meshgrid(np.arange(grid) + 0.5, np.arange(grid) + 0.5, indexing="ij")
    centre = np.array([(x + w / 2) / width, (y + h / 2) / height]) * grid + rng.normal(0, 0.8, 2)
    spread = np.array([w / width, h / height]) * grid / 2.5
    cam = np.exp(-0.5 * (((xs - centre[0]) / spread[0]) ** 2 + ((ys - centre[1]) / spread[1]) ** 2))
    other = rng.uniform(0, grid, 2)
    cam += rng.uniform(0.2, 0.7) * np.exp(-0.5 * ((xs - other[0]) ** 2 + (ys - other[1]) ** 2) / rng.uniform(1, 4))
    cam += rng.normal(0, 0.08, cam.shape)
    up = F.interpolate(torch.from_numpy(cam)[None, None].float(), size=(FRAME, FRAME), mode="bicubic",
                       align_corners=False)[0, 0]
    up = (up - up.min()) / (up.max() - up.min())
    return up, ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--maps", type=int, default=300)
    parser.add_argument("--step", type=float, default=0.01)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    scenes = [scene(rng) for _ in range(args.maps)]
    maps = torch.stack([s[0] for s in scenes])
    ours_gt, theirs_gt = torch.stack([s[1] for s in scenes]), torch.stack([s[2] for s in scenes])
    count = torch.ones(args.maps, dtype=torch.long)
    results = {}
    for convention, gt in (("infocam_lit", ours_gt), ("wsolevaluation", theirs_gt)):
        metric = MaxBoxAccV2(threshold_step=args.step, box_convention=convention)
        start = time.perf_counter()
        for rows in torch.arange(args.maps).split(32):
            metric.update(maps[rows], gt[rows], count[rows])
        seconds = time.perf_counter() - start
        results[convention] = ({k: 100 * v.item() for k, v in metric.compute().items() if "maxboxacc" in k},
                               1000 * seconds / args.maps)
    print(f"{args.maps} maps at {FRAME}x{FRAME}, threshold step {args.step}, {torch.get_num_threads()} thread(s)")
    print(f"{'convention':16} {'IoU 30':>8} {'IoU 50':>8} {'IoU 70':>8} {'V2':>8} {'ms/map':>8}")
    for convention, (values, ms) in results.items():
        print(f"{convention:16} {values['maxboxacc_iou30']:8.2f} {values['maxboxacc_iou50']:8.2f} "
              f"{values['maxboxacc_iou70']:8.2f} {values['maxboxacc_v2']:8.2f} {ms:8.2f}")
    ours, theirs = results["infocam_lit"][0], results["wsolevaluation"][0]
    print("wsolevaluation - infocam_lit (points): " + ", ".join(
        f"{k.removeprefix('maxboxacc_')} {theirs[k] - ours[k]:+.2f}" for k in ours))


if __name__ == "__main__":
    main()

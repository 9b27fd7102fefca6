"""MaxBoxAccV2 over 100 thresholds for one batch (32 maps at 224x224): ours on tensors (basins by
steepest ascent and, per threshold, the components of the small graph of basins joined above it)
versus a per-image, per-threshold loop with scipy.ndimage (label, boxes, IoU; the way wsolevaluation
organises it). Both must give the same best IoU per image and threshold.

    python benchmarks/maxboxacc.py [--device cuda] [--batch 32]
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
from infocam_lit.metrics.localization import best_iou_per_threshold  # noqa: E402
from tests import reference_wsol  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.manual_seed(0)
    maps = F.interpolate(torch.randn(args.batch, 1, 14, 14), size=224, mode="bicubic", align_corners=False)[:, 0]
    gt = torch.tensor([[40.0, 50.0, 180.0, 200.0]]).expand(args.batch, 1, 4).contiguous()
    count = torch.ones(args.batch, dtype=torch.long)
    thresholds = torch.arange(100, dtype=torch.float64) / 100

    device_maps = maps.to(args.device)
    warm_up = (device_maps[:2], thresholds.to(args.device), gt[:2].to(args.device), count[:2].to(args.device))
    best_iou_per_threshold(*warm_up)
    if args.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    ours = best_iou_per_threshold(device_maps, thresholds.to(args.device), gt.to(args.device), count.to(args.device))
    if args.device == "cuda":
        torch.cuda.synchronize()
    t_ours = time.perf_counter() - start

    start = time.perf_counter()
    reference = reference_wsol.best_iou_per_threshold(maps.double().numpy(), thresholds.numpy(),
                                                      [[box.tolist()] for box in gt[:, 0]])
    t_reference = time.perf_counter() - start
    same = np.allclose(ours.cpu().numpy(), reference, atol=1e-9)
    print(f"MaxBoxAccV2, {args.batch} maps at 224x224, 100 thresholds")
    print(f"ours on tensors ({args.device:4s})                 {t_ours:8.3f} s")
    print(f"per-image per-threshold scipy loop (cpu) {t_reference:8.3f} s")
    print(f"ratio {t_reference / t_ours:.2f}x, same result: {same}")


if __name__ == "__main__":
    main()

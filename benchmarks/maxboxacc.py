"""MaxBoxAccV2's sweep over 100 thresholds, side by side on the same realistic CAM-like maps (224 x 224,
batches of 32; benchmarks/box_conventions.py's scenes), per map:
- ours: the project's MaxBoxAccV2 (every threshold at once, infocam_lit/maths/threshold_sweep.py);
- the cv2 loop: wsolevaluation's evaluator as it runs, per image and threshold cv2.threshold,
  cv2.findContours and boundingRect, then the IoU of every box (infocam_lit/metrics/wsolevaluation.py),
  the loop the WSOL field uses and the anchor of the speed goal;
- the scipy loop: per image and threshold scipy.ndimage.label and find_objects (tests/helpers/reference_wsol.py),
  the obvious version in the project's convention, which ours must equal.
Ours and the scipy loop share the box convention, so their best IoU per image and threshold must be the
same; the cv2 loop uses wsolevaluation's convention (its MaxBoxAccV2 is printed beside, not compared).
Times are the best of --repeats (ours and the cv2 loop taking turns), with torch and OpenCV on 1 thread,
then on 2.

    python benchmarks/maxboxacc.py [--maps 256] [--reference-maps 64] [--device cuda]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from box_conventions import scene  # noqa: E402
from timing import best_of_turns  # noqa: E402

from infocam_lit.maths.boxes import normalize_maps  # noqa: E402
from infocam_lit.maths.threshold_sweep import best_iou_per_threshold  # noqa: E402
from infocam_lit.metrics.functional import threshold_grid  # noqa: E402
from infocam_lit.metrics.localization import MaxBoxAccV2  # noqa: E402
from infocam_lit.metrics.wsolevaluation import require_cv2  # noqa: E402
from tests import reference_wsol  # noqa: E402

BATCH = 32
GOAL = 2.0  # ours at least this many times faster per map than the cv2 loop, on CPU


def score(convention: str, maps: torch.Tensor, gt: torch.Tensor, device: str) -> MaxBoxAccV2:
    metric = MaxBoxAccV2(threshold_step=0.01, box_convention=convention).to(device)
    count = torch.ones(len(maps), dtype=torch.long, device=device)
    for rows in torch.arange(len(maps)).split(BATCH):
        metric.update(maps[rows], gt[rows], count[rows])
    if device == "cuda":
        torch.cuda.synchronize()
    return metric


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maps", type=int, default=256)
    parser.add_argument("--reference-maps", type=int, default=64, help="maps the (slow) scipy loop also scores")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    cv2 = require_cv2()
    rng = np.random.default_rng(0)
    scenes = [scene(rng) for _ in range(args.maps)]
    maps = torch.stack([s[0] for s in scenes])
    ours_gt, theirs_gt = torch.stack([s[1] for s in scenes]), torch.stack([s[2] for s in scenes])
    thresholds = threshold_grid(0.01)

    # the same result as the scipy loop (given our float32 normalisation, as the tests do)
    n = min(args.reference_maps, args.maps)
    ours = best_iou_per_threshold(maps[:n].to(args.device), thresholds.to(args.device), ours_gt[:n].to(args.device),
                                  torch.ones(n, dtype=torch.long, device=args.device)).cpu().numpy()
    start = time.perf_counter()
    reference = reference_wsol.best_iou_per_threshold(normalize_maps(maps[:n]).double().numpy(), thresholds.numpy(),
                                                      [[box.tolist()] for box in ours_gt[:n, 0]])
    scipy_ms = 1000 * (time.perf_counter() - start) / n
    same = bool(np.array_equal(ours, reference))

    print(f"MaxBoxAccV2, {args.maps} realistic maps at 224x224 in batches of {BATCH}, 100 thresholds, "
          f"ms per map (best of {args.repeats})")
    print(f"same best IoU per image and threshold as the scipy loop ({n} maps): {same}")
    print(f"{'threads':>7s} {'ours (' + args.device + ')':>12s} {'cv2 loop':>10s} {'scipy loop':>11s} "
          f"{'cv2 / ours':>11s}  goal >= {GOAL:g}x")
    device_maps, device_gt = maps.to(args.device), ours_gt.to(args.device)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        cv2.setNumThreads(threads)
        score("infocam_lit", device_maps[:BATCH], device_gt[:BATCH], args.device)  # warm-up
        ours_s, cv2_s = best_of_turns(args.repeats, [lambda: score("infocam_lit", device_maps, device_gt, args.device),
                                               lambda: score("wsolevaluation", maps, theirs_gt, "cpu")])
        ours_ms, cv2_ms = 1000 * ours_s / args.maps, 1000 * cv2_s / args.maps
        met = "met" if cv2_ms / ours_ms >= GOAL else "NOT met"
        print(f"{threads:7d} {ours_ms:12.2f} {cv2_ms:10.2f} {scipy_ms if threads == 1 else float('nan'):11.2f} "
              f"{cv2_ms / ours_ms:10.2f}x  {met}", flush=True)
    values = {convention: 100 * score(convention, maps, gt, "cpu").compute()["maxboxacc_v2"].item()
              for convention, gt in (("infocam_lit", ours_gt), ("wsolevaluation", theirs_gt))}
    print(f"MaxBoxAccV2 of these maps: ours {values['infocam_lit']:.2f}, wsolevaluation's convention "
          f"{values['wsolevaluation']:.2f}")


if __name__ == "__main__":
    main()

"""MaxBoxAccV2's sweep over 100 thresholds, side by side on the same maps (224 x 224, batches of 32), per map:
- ours: the project's MaxBoxAccV2 (every threshold at once, infocam_lit/maths/threshold_sweep.py);
- the cv2 loop: wsolevaluation's evaluator as it runs, per image and threshold cv2.threshold,
  cv2.findContours and boundingRect, then the IoU of every box (infocam_lit/metrics/wsolevaluation.py),
  the loop the WSOL field uses and the anchor of the speed goal;
- the scipy loop: per image and threshold scipy.ndimage.label and find_objects (tests/helpers/reference_wsol.py),
  the obvious version in the project's convention, which ours must equal.
Three families of maps, each timed on its own, since the cost of a sweep depends on how many basins a map has:
- scenes: realistic CAM-like maps (benchmarks/box_conventions.py's: a blob on the object, a distractor, noise);
- cam-like noise: bicubic-upsampled 14 x 14 uniform noise (a few dozen local maxima);
- many maxima: the sum of 20-60 Gaussian blobs of random widths on a 14 x 14 or 28 x 28 grid, bicubic-upsampled.
Ours and the scipy loop share the box convention, so their best IoU per image and threshold must be the
same; the cv2 loop uses wsolevaluation's convention (its MaxBoxAccV2 is printed beside, not compared).
Times are the best of --repeats (ours and the cv2 loop taking turns), with torch and OpenCV on 1 thread
(and on 2 for the scenes).

    python benchmarks/maxboxacc.py [--maps 256] [--reference-maps 64] [--device cuda]
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from box_conventions import FRAME, scene  # noqa: E402
from timing import best_of_turns  # noqa: E402

from infocam_lit.maths.boxes import normalize_maps  # noqa: E402
from infocam_lit.maths.threshold_sweep import best_iou_per_threshold  # noqa: E402
from infocam_lit.metrics.functional import threshold_grid  # noqa: E402
from infocam_lit.metrics.localization import MaxBoxAccV2  # noqa: E402
from infocam_lit.metrics.wsolevaluation import require_cv2  # noqa: E402
from tests.helpers import reference_wsol  # noqa: E402

BATCH = 32
GOAL = 3.0  # ours at least this many times faster per map than the cv2 loop, on CPU, on every family


def score(convention: str, maps: torch.Tensor, gt: torch.Tensor, device: str) -> MaxBoxAccV2:
    metric = MaxBoxAccV2(threshold_step=0.01, box_convention=convention).to(device)
    count = torch.ones(len(maps), dtype=torch.long, device=device)
    for rows in torch.arange(len(maps)).split(BATCH):
        metric.update(maps[rows], gt[rows], count[rows])
    if device == "cuda":
        torch.cuda.synchronize()
    return metric


def cam_like_noise(count: int, rng: np.random.Generator) -> torch.Tensor:
    noise = torch.from_numpy(rng.uniform(size=(count, 1, 14, 14))).float()
    return F.interpolate(noise, size=(FRAME, FRAME), mode="bicubic", align_corners=False)[:, 0].contiguous()


def many_maxima(count: int, rng: np.random.Generator) -> torch.Tensor:
    """Sums of 20-60 Gaussian blobs of random widths on a 14 x 14 or 28 x 28 grid, bicubic-upsampled."""
    maps = []
    for _ in range(count):
        grid = int(rng.choice([14, 28]))
        ys, xs = np.meshgrid(np.arange(grid) + 0.5, np.arange(grid) + 0.5, indexing="ij")
        blobs = int(rng.integers(20, 61))
        centres, widths = rng.uniform(0, grid, (blobs, 2)), rng.uniform(0.3, grid / 6, blobs)
        weights = rng.uniform(0.2, 1.0, blobs)
        cam = sum(w * np.exp(-0.5 * ((xs - cx) ** 2 + (ys - cy) ** 2) / s ** 2)
                  for (cx, cy), s, w in zip(centres, widths, weights, strict=True))
        maps.append(F.interpolate(torch.from_numpy(cam)[None, None].float(), size=(FRAME, FRAME), mode="bicubic",
                                  align_corners=False)[0, 0])
    return torch.stack(maps)


def local_maxima(maps: torch.Tensor) -> float:
    """The mean number of strict 3 x 3 local maxima of a map (plateaus count once per pixel): its basins."""
    padded = F.pad(maps[:, None], (1, 1, 1, 1), value=-float("inf"))
    neighbours = F.max_pool2d(padded, 3, stride=1)[:, 0]
    return float((maps >= neighbours).flatten(1).sum(1).double().mean())


def families(count: int) -> dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """name -> (maps, the project's GT boxes, wsolevaluation's), all 224 x 224."""
    rng = np.random.default_rng(0)
    scenes = [scene(rng) for _ in range(count)]
    found = {"scenes": (torch.stack([s[0] for s in scenes]), torch.stack([s[1] for s in scenes]),
                        torch.stack([s[2] for s in scenes]))}
    for name, make in (("cam-like noise", cam_like_noise), ("many maxima", many_maxima)):
        gt = found["scenes"][1]  # the scenes' boxes: any box will do for the timing
        found[name] = (make(count, rng), gt, gt)
    return found


def same_as_scipy(maps, gt, n: int, device: str) -> tuple[bool, float]:
    """Whether ours equals the scipy loop on the first n maps (given our float32 normalisation, as the tests
    do), and the scipy loop's ms a map."""
    thresholds = threshold_grid(0.01)
    ours = best_iou_per_threshold(maps[:n].to(device), thresholds.to(device), gt[:n].to(device),
                                  torch.ones(n, dtype=torch.long, device=device)).cpu().numpy()
    start = time.perf_counter()
    reference = reference_wsol.best_iou_per_threshold(normalize_maps(maps[:n]).double().numpy(), thresholds.numpy(),
                                                      [[box.tolist()] for box in gt[:n, 0]])
    return bool(np.array_equal(ours, reference)), 1000 * (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maps", type=int, default=256)
    parser.add_argument("--reference-maps", type=int, default=64, help="maps the (slow) scipy loop also scores")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    cv2 = require_cv2()
    print(f"MaxBoxAccV2, {args.maps} maps a family at 224x224 in batches of {BATCH}, 100 thresholds, "
          f"ms per map (best of {args.repeats}); torch {torch.__version__}, OpenCV {cv2.__version__}")
    print(f"{'family':>15s} {'maxima':>7s} {'threads':>7s} {'ours (' + args.device + ')':>12s} {'cv2 loop':>9s} "
          f"{'scipy loop':>10s} {'cv2 / ours':>10s}  same as scipy  goal >= {GOAL:g}x")
    for name, (maps, ours_gt, theirs_gt) in families(args.maps).items():
        same, scipy_ms = same_as_scipy(maps, ours_gt, min(args.reference_maps, args.maps), args.device)
        device_maps, device_gt = maps.to(args.device), ours_gt.to(args.device)
        for threads in (1, 2) if name == "scenes" else (1,):
            torch.set_num_threads(threads)
            cv2.setNumThreads(threads)
            score("infocam_lit", device_maps[:BATCH], device_gt[:BATCH], args.device)  # warm-up (and compiling)
            ours_s, cv2_s = best_of_turns(args.repeats, [
                lambda m=device_maps, g=device_gt: score("infocam_lit", m, g, args.device),
                lambda m=maps, g=theirs_gt: score("wsolevaluation", m, g, "cpu")])
            ours_ms, cv2_ms = 1000 * ours_s / args.maps, 1000 * cv2_s / args.maps
            met = "met" if cv2_ms / ours_ms >= GOAL else "NOT met"
            print(f"{name:>15s} {local_maxima(maps):7.1f} {threads:7d} {ours_ms:12.2f} {cv2_ms:9.2f} "
                  f"{scipy_ms if threads == 1 else float('nan'):10.2f} {cv2_ms / ours_ms:9.2f}x  {same!s:>13s}  "
                  f"{met}", flush=True)
    maps, ours_gt, theirs_gt = families(args.maps)["scenes"]
    values = {convention: 100 * score(convention, maps, gt, "cpu").compute()["maxboxacc_v2"].item()
              for convention, gt in (("infocam_lit", ours_gt), ("wsolevaluation", theirs_gt))}
    print(f"MaxBoxAccV2 of the scenes: ours {values['infocam_lit']:.2f}, wsolevaluation's convention "
          f"{values['wsolevaluation']:.2f}")


if __name__ == "__main__":
    main()

"""The kNN MI estimator's two neighbour searches side by side: scipy's cKDTree and the blocked
brute force, on the mixture's imbalanced test split (15,000 points, d = 5) with D nuisance
dimensions appended. Both must give the same estimate; the times say where "auto" should switch
(BRUTE_FORCE_DIM in infocam_lit/maths/knn_mi.py).

    OMP_NUM_THREADS=1 python benchmarks/knn_mi.py [--max-tree-dims 55]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.maths import gmm  # noqa: E402
from infocam_lit.maths.knn_mi import BRUTE_FORCE_DIM, knn_mi  # noqa: E402

NOISE_DIMS = (0, 5, 7, 10, 15, 45, 195)


def timed(x, y, method: str) -> tuple[float, float]:
    start = time.perf_counter()
    estimate, _ = knn_mi(x, y, 3, method)
    return estimate, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-tree-dims", type=int, default=55, help="skip the tree above this many dimensions")
    args = parser.parse_args()
    x5, y = gmm.sample(gmm.split_counts(True)["test"], 5, torch.Generator().manual_seed(0))
    print(f"{len(y):,} points, k = 3, {torch.get_num_threads()} thread(s); auto uses the tree up to "
          f"{BRUTE_FORCE_DIM} dimensions")
    print(f"{'dims':>5s} {'cKDTree':>10s} {'brute force':>12s} {'tree / brute':>13s}  estimates")
    for noise_dims in NOISE_DIMS:
        noise = torch.randn(len(y), noise_dims, generator=torch.Generator().manual_seed(1))
        x = torch.cat([x5, noise], dim=1).double().numpy()
        brute, brute_s = timed(x, y.numpy(), "brute")
        if x.shape[1] > args.max_tree_dims:
            print(f"{x.shape[1]:5d} {'—':>10s} {brute_s:11.2f}s {'—':>13s}  {brute:.6f}")
            continue
        tree, tree_s = timed(x, y.numpy(), "kdtree")
        same = "same" if abs(tree - brute) < 1e-12 else "DIFFERENT"
        print(f"{x.shape[1]:5d} {tree_s:9.2f}s {brute_s:11.2f}s {tree_s / brute_s:12.2f}x  {tree:.6f} ({same})")


if __name__ == "__main__":
    main()

"""Building 60,000 double-digit MNIST canvases (vectorised) versus a per-canvas Python loop,
side by side on the same MNIST-format source images (the loop on 2,000 canvases, scaled).

    python benchmarks/double_mnist_canvases.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.data.double_mnist import build_canvases  # noqa: E402
from tests.helpers.fixture_data import mnist_like  # noqa: E402


def loop_canvases(images: np.ndarray, digits: np.ndarray, count: int, rng: np.random.Generator) -> list:
    canvases = []
    while len(canvases) < count:
        present = rng.random(2) < 0.7
        if not present.any():
            continue
        canvas, boxes, labels = np.zeros((28, 56), dtype=np.uint8), [], np.zeros(10)
        for slot in range(2):
            if present[slot]:
                i = rng.integers(len(images))
                canvas[:, 28 * slot : 28 * slot + 28] = images[i]
                ys, xs = np.nonzero(images[i])
                boxes.append((xs.min() + 28 * slot, ys.min(), xs.max() + 28 * slot, ys.max()))
                labels[digits[i]] = 1
        canvases.append((canvas, boxes, labels))
    return canvases


def main() -> None:
    images, digits = mnist_like(60_000, np.random.default_rng(0))
    start = time.perf_counter()
    build_canvases(torch.from_numpy(images), torch.from_numpy(digits).long(), 60_000, 0.7,
                   torch.Generator().manual_seed(0))
    vectorised = time.perf_counter() - start
    start = time.perf_counter()
    loop_canvases(images, digits, 2_000, np.random.default_rng(0))
    loop = (time.perf_counter() - start) * 30
    print(f"60,000 canvases: vectorised {vectorised:.2f} s, per-canvas loop {loop:.1f} s (scaled from 2,000), "
          f"ratio {loop / vectorised:.0f}x")


if __name__ == "__main__":
    main()

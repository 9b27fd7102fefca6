"""Epoch time of the in-memory GMM loader versus TensorDataset + DataLoader, side by side.

Same data (d=5, imbalanced train split, 75,000 points), same batch size, both
shuffled. Measured twice: iterating the batches alone, and with the MLP's
training step, which is what an epoch really costs.

    python benchmarks/gmm_loader.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.data.gmm import GMMDataModule  # noqa: E402
from infocam_lit.maths.losses import ClassificationLoss  # noqa: E402
from infocam_lit.nets.mlp import mlp  # noqa: E402

REPEATS = 3


def epoch_seconds(loader, step=None) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for x, y in loader:
            if step is not None:
                step(x, y)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    torch.manual_seed(0)
    dm = GMMDataModule(dim=5, imbalanced=True, seed=0, batch_size=512, eval_batch_size=8192, noise_dims=0,
                       size_factor=1.0)
    dm.setup()
    ours = dm.train_dataloader()
    plain = DataLoader(TensorDataset(*dm.splits["train"]), batch_size=512, shuffle=True)

    net = mlp(5, 5, [100, 100, 100])
    loss = ClassificationLoss("pc_softmax", dm.class_prior)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    def train_step(x, y):
        optimizer.zero_grad()
        loss(net(x), y).backward()
        optimizer.step()

    print(f"{'epoch of 75,000 points, batch 512':40s} {'TensorBatchLoader':>18s} {'DataLoader':>12s} {'ratio':>7s}")
    for label, step in (("batches only", None), ("with the MLP training step", train_step)):
        t_ours, t_plain = epoch_seconds(ours, step), epoch_seconds(plain, step)
        print(f"{label:40s} {t_ours:17.3f}s {t_plain:11.3f}s {t_plain / t_ours:6.1f}x")


if __name__ == "__main__":
    main()

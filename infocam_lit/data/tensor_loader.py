"""Batches straight out of in-memory tensors: one index per batch, no per-item Python.

torch's DataLoader over a TensorDataset with a batch size fetches items one by
one and collates them; this loader slices a random permutation instead, as the
DataLoader idiom of a BatchSampler with batch_size=None also does. Iterating
alone it is 8x that idiom and 47x the per-item loader; with the MLP's training
step the idiom and this loader cost the same, the per-item loader 1.6x
(benchmarks/gmm_loader.py). It needs no worker processes and no collate. Under DDP each rank takes its own share of the
permutation (equal shares while training, so every rank runs the same number
of steps; all of it, without padding, in evaluation, so no sample counts twice).
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist


class _EpochSeed:
    """Lightning calls `loader.sampler.set_epoch(epoch)` before each epoch (resumes too)."""

    def __init__(self) -> None:
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch


class TensorBatchLoader:
    def __init__(self, tensors: tuple[torch.Tensor, ...], batch_size: int, shuffle: bool, seed: int = 0):
        if len({len(t) for t in tensors}) != 1:
            raise ValueError(f"tensors must have the same length, got {[len(t) for t in tensors]}")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.sampler = _EpochSeed()
        self.batch_sampler = None  # Lightning inspects both attributes

    def _indices(self) -> torch.Tensor:
        n = len(self.tensors[0])
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + self.sampler.epoch)
            order = torch.randperm(n, generator=generator)
        else:
            order = torch.arange(n)
        rank, world = _rank_and_world()
        if world == 1:
            return order
        if self.shuffle:  # training: equal shares so that DDP ranks stay in step
            order = order[: n - n % world]
        return order[rank::world]

    def __len__(self) -> int:
        rank, world = _rank_and_world()
        n = len(self.tensors[0])
        share = n // world if self.shuffle else len(range(rank, n, world))
        return math.ceil(share / self.batch_size)

    def __iter__(self):
        indices = self._indices()
        for start in range(0, len(indices), self.batch_size):
            batch = indices[start : start + self.batch_size]
            yield tuple(t[batch] for t in self.tensors)


def _rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1

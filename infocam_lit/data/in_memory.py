"""The loaders of a DataModule whose splits are tensors in memory (MI mixture, MNIST, double MNIST)."""

from __future__ import annotations

import torch

from infocam_lit.data.base import ExperimentDataModule
from infocam_lit.data.tensor_loader import TensorBatchLoader


class InMemoryDataModule(ExperimentDataModule):
    """Subclasses fill `self.splits` (name -> tensors) in setup and set `seed`, `batch_size` and
    `eval_batch_size`. Training batches are shuffled by the seed and the epoch; validation and test
    see every sample once. Several `test_split_names` give one test loader each."""

    def split_tensors(self, name: str) -> tuple[torch.Tensor, ...]:
        return self.splits[name]

    def train_dataloader(self) -> TensorBatchLoader:
        return TensorBatchLoader(self.split_tensors("train"), self.batch_size, shuffle=True, seed=self.seed)

    def val_dataloader(self) -> TensorBatchLoader:
        return TensorBatchLoader(self.split_tensors("val"), self.eval_batch_size, shuffle=False)

    def test_dataloader(self) -> TensorBatchLoader | list[TensorBatchLoader]:
        loaders = [TensorBatchLoader(self.split_tensors(name), self.eval_batch_size, shuffle=False)
                   for name in self.test_split_names]
        return loaders[0] if len(loaders) == 1 else loaders

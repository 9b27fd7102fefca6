"""What the run layer reads from a task family's module: the base of every LightningModule."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from lightning_utilities.core.apply_func import apply_to_collection

from infocam_lit.data.base import ExperimentDataModule


class ExperimentModule(pl.LightningModule):
    """A LightningModule that also declares what a run collects after `trainer.test`."""

    # Kinds of the DataModule's reference_metrics() reported beside this module's own test metrics.
    reference_kinds: tuple[str, ...] = ()
    # False for an estimator without parameters (kNN): train.py tests it without fitting
    needs_training: bool = True

    def __init__(self):
        super().__init__()
        self.channels_last = False  # image models: model.channels_last (use_channels_last)
        self.test_results: dict[str, float] = {}  # the final test metrics, set when a test epoch ends
        self.test_confusion: dict[str, torch.Tensor] = {}  # split -> confusion matrix, where it has one
        self.test_examples: dict[str, torch.Tensor] = {}  # images, maps and boxes the figures draw
        # column -> (N,) values, one row per image of the scored test split in its order, the first column
        # "image_index"; None for a family (or a run) without per-image results
        self.test_per_image: dict[str, torch.Tensor] | None = None
        self.per_image_split = "test"  # the split whose items the rows are (the DataModule names them)

    def use_channels_last(self, enabled: bool) -> None:
        """model.channels_last: weights and image batches in NHWC memory, the layout GPU tensor cores
        prefer under mixed precision (a module's tensors of other ranks keep theirs)."""
        self.channels_last = enabled
        if enabled:
            self.to(memory_format=torch.channels_last)

    def use_compiled_network(self, enabled: bool) -> None:
        """model.compile: the network's forward through torch.compile, in place (nn.Module.compile), so a
        checkpoint has the keys of an eager run and loads either way. The first batches pay the compilation."""
        if enabled:
            self.net.compile()

    def on_after_batch_transfer(self, batch, dataloader_idx: int):
        """The DataModule's own step on the device (ExperimentDataModule.batch_on_device), then the layout."""
        datamodule = self._trainer.datamodule if self._trainer is not None else None
        if isinstance(datamodule, ExperimentDataModule):
            batch = datamodule.batch_on_device(batch)
        if self.channels_last:
            batch = apply_to_collection(batch, torch.Tensor, _nhwc)
        return batch

    def test_split_name(self, dataloader_idx: int) -> str:
        """The name of the split a test dataloader serves ("test" without a DataModule of ours)."""
        datamodule = self._trainer.datamodule if self._trainer is not None else None
        names = datamodule.test_split_names if isinstance(datamodule, ExperimentDataModule) else ("test",)
        return names[dataloader_idx]

    def summary_line(self, metrics: dict[str, float]) -> str:
        """The one readable line a run ends with (every test metric, unless a family says better)."""
        return " | ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()) if k.startswith("test/"))


def _nhwc(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.contiguous(memory_format=torch.channels_last) if tensor.ndim == 4 else tensor

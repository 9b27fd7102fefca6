"""What the run layer and the modules read from a task family's data: the base of every DataModule."""

from __future__ import annotations

import pytorch_lightning as pl


class ExperimentDataModule(pl.LightningDataModule):
    """A LightningDataModule that also declares the facts a run needs about its data."""

    # One test loader per name, in this order; modules name their test metrics after them.
    test_split_names: tuple[str, ...] = ("test",)

    @property
    def label_prior(self) -> list[float]:
        """The training split's label frequencies: one per class, or for multi-label data the
        fraction of training samples holding each label."""
        raise NotImplementedError(f"{type(self).__name__} must define label_prior")

    def is_prepared(self) -> bool:
        """Whether `prepare_data` (downloads, caches) has nothing left to do. The run layer calls
        `prepare_data` on each node's local rank 0 only; the node's other ranks wait until this holds."""
        return True

    def model_kwargs(self) -> dict:
        """What a module's constructor needs to know about this data, as plain values (its hparams)."""
        return {}

    def reference_metrics(self) -> dict[str, dict[str, float]]:
        """Ground truth on the test split, grouped by kind (e.g. "mi", "accuracy"); a module reports
        the kinds in its `reference_kinds` beside its own test metrics."""
        return {}

    def batch_on_device(self, batch):
        """What a batch needs once on its device (uint8 images made float and normalised there, fields
        named); the module applies it before its own layout (channels last). As it came by default.
        Not Lightning's `on_after_batch_transfer`: a DataModule's hook would replace the module's."""
        return batch

    def item_names(self, split: str) -> list[str] | None:
        """The name of each item of a test split (an image's path in the dataset), by its index in the
        split: the `image` column of per-image results. None where items have no names."""
        return None

"""The Gaussian-mixture DataModule of the MI experiment (paper §4.1, Table 1)."""

from __future__ import annotations

import torch

from infocam_lit.data.in_memory import InMemoryDataModule
from infocam_lit.data.prior import label_frequencies
from infocam_lit.maths import gmm

# Each split draws from its own stream, so changing one split's size leaves the others alone; the
# nuisance coordinates have streams of their own, so adding them leaves the informative ones alone.
_SPLIT_STREAM = {"train": 0, "val": 1, "test": 2}
_NOISE_STREAM = {"train": 5, "val": 6, "test": 7}


class GMMDataModule(InMemoryDataModule):
    """Train / val / test points of the 5-class mixture, generated once from the seed.

    `test_dataloader` returns the test split and the train split, named by
    `test_split_names`, so a test pass also reports the train-split MI.

    Past the paper (SPEC §7.4): `noise_dims` appends that many independent N(0, 1) coordinates to x
    (I(X;Y) unchanged), and `size_factor` keeps a per-class prefix of that fraction of the train and
    validation points (the test split is never scaled).
    """

    test_split_names = ("test", "train")

    def __init__(self, dim: int, imbalanced: bool, seed: int,
                 batch_size: int, eval_batch_size: int, noise_dims: int, size_factor: float):
        super().__init__()
        self.dim = dim
        self.imbalanced = imbalanced
        self.noise_dims = noise_dims
        self.size_factor = size_factor
        self.seed = seed
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        for split, counts in gmm.split_counts(self.imbalanced).items():
            generator = torch.Generator().manual_seed(self.seed * 10 + _SPLIT_STREAM[split])
            x, y = gmm.sample(counts, self.dim, generator)
            if self.noise_dims:
                generator = torch.Generator().manual_seed(self.seed * 10 + _NOISE_STREAM[split])
                x = torch.cat([x, torch.randn(len(x), self.noise_dims, generator=generator)], dim=1)
            if split != "test":
                keep = gmm.class_prefixes(counts, self.size_factor)
                x, y = x[keep], y[keep]
            self.splits[split] = (x, y)

    @property
    def num_classes(self) -> int:
        return gmm.NUM_CLASSES

    @property
    def label_prior(self) -> list[float]:
        """Empirical label frequencies of the train split."""
        self.setup()
        return label_frequencies(self.splits["train"][1], self.num_classes)

    def model_kwargs(self) -> dict:
        """What a model needs to know about this data (plain values for its hparams)."""
        return {"input_dim": self.dim + self.noise_dims, "num_classes": self.num_classes,
                "class_prior": self.label_prior}

    def reference_metrics(self) -> dict[str, dict[str, float]]:
        """Ground truth on the test split, grouped by kind ("mi", "accuracy")."""
        self.setup()
        x, y = self.splits["test"]
        x = x[:, :self.dim]  # the nuisance coordinates carry no information
        prior = torch.tensor(self.label_prior, dtype=torch.float64)
        mi = {
            "test/mi_true": gmm.exact_mi(self.dim, prior),
            "test/mi_mc": gmm.pointwise_mi(x, y, prior).mean().item(),
        }
        accuracy = {}
        for rule, suffix in (("prior", ""), ("balanced", "_balanced")):
            predicted = gmm.bayes_predictions(x, prior, rule)
            accuracy[f"test/acc_bayes{suffix}"] = (predicted == y).double().mean().item()
            recall = [(predicted[y == k] == k).double().mean().item() for k in range(self.num_classes)]
            accuracy[f"test/acc_bayes{suffix}_macro"] = sum(recall) / len(recall)
            # the same rule's exact accuracy on the mixture (no sampling noise), for the record
            accuracy[f"test/acc_bayes_exact{suffix}"] = gmm.bayes_accuracy(self.dim, prior, rule, "micro")
            accuracy[f"test/acc_bayes_exact{suffix}_macro"] = gmm.bayes_accuracy(self.dim, prior, rule, "macro")
        return {"mi": mi, "accuracy": accuracy}

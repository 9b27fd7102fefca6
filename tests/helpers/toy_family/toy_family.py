"""A task family defined outside the package: two Gaussian blobs and a logistic regression.
It shows (and tests) what a new family needs: a DataModule and a LightningModule derived from
the two bases, and three YAML files on Hydra's search path. No package file knows about it."""

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from infocam_lit.data.base import ExperimentDataModule
from infocam_lit.modules.base import ExperimentModule


class BlobsDataModule(ExperimentDataModule):
    def __init__(self, samples: int, separation: float, seed: int, batch_size: int):
        super().__init__()
        self.samples, self.separation, self.seed, self.batch_size = samples, separation, seed, batch_size

    def setup(self, stage=None):
        generator = torch.Generator().manual_seed(self.seed)
        labels = torch.arange(3 * self.samples) % 2
        points = torch.randn(3 * self.samples, 2, generator=generator) + self.separation * labels[:, None]
        self.splits = {name: TensorDataset(points[i::3], labels[i::3]) for i, name in enumerate(("fit", "val", "test"))}

    @property
    def label_prior(self):
        return [0.5, 0.5]

    def model_kwargs(self):
        return {"input_dim": 2}

    def reference_metrics(self):
        # the Bayes accuracy of two unit Gaussians `separation` apart along the diagonal
        distance = self.separation * 2**0.5
        return {"accuracy": {"test/bayes_acc": float(torch.distributions.Normal(0, 1).cdf(torch.tensor(distance / 2)))}}

    def train_dataloader(self):
        return DataLoader(self.splits["fit"], batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.splits["val"], batch_size=len(self.splits["val"]))

    def test_dataloader(self):
        return DataLoader(self.splits["test"], batch_size=len(self.splits["test"]))


class LogisticModule(ExperimentModule):
    reference_kinds = ("accuracy",)

    def __init__(self, input_dim: int, lr: float):
        super().__init__()
        self.save_hyperparameters()
        self.linear = torch.nn.Linear(input_dim, 2)

    def _loss_and_acc(self, batch):
        x, y = batch
        logits = self.linear(x)
        return torch.nn.functional.cross_entropy(logits, y), (logits.argmax(1) == y).float().mean()

    def training_step(self, batch, batch_idx):
        return self._loss_and_acc(batch)[0]

    def validation_step(self, batch, batch_idx):
        loss, acc = self._loss_and_acc(batch)
        self.log_dict({"val/loss": loss, "val/acc": acc})

    def test_step(self, batch, batch_idx):
        loss, acc = self._loss_and_acc(batch)
        self.log_dict({"test/loss": loss, "test/acc": acc})

    def on_test_epoch_end(self):
        self.test_results = {k: float(v) for k, v in self.trainer.callback_metrics.items() if k.startswith("test/")}

    def summary_line(self, metrics):
        return f"blobs: accuracy {metrics['test/acc']:.3f} (Bayes {metrics['test/bayes_acc']:.3f})"

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


__all__ = ["BlobsDataModule", "LogisticModule", "pl"]

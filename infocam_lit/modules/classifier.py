"""A classifier trained with softmax, PC-softmax or the logit-adjusted loss, read out
as a mutual-information estimator (paper §3, Eq. 5, 9, 10)."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torchmetrics import MeanMetric

from infocam_lit.config import to_plain
from infocam_lit.losses import ClassificationLoss, LossName
from infocam_lit.metrics import ClassAccuracy, MeanWithStdError
from infocam_lit.mi_readout import pmi_for_loss, pmi_prior_corrected
from infocam_lit.modules.optim import build_optimizer
from infocam_lit.nets.build import build_net


class ClassifierModule(pl.LightningModule):
    """Hyper-parameters are plain values, so checkpoints load with weights_only=True.

    Test metrics, per evaluated split (the DataModule names its test loaders
    through `test_split_names`, default ("test",)):
    `<split>/mi`, `<split>/mi_se` (the loss's own read-out), for softmax also
    `<split>/mi_prior_corrected`, and `<split>/acc`, `<split>/acc_macro`,
    `<split>/acc_class/<k>`. Prediction is argmax n(x) for every loss.
    """

    reference_kinds = ("mi", "accuracy")

    def __init__(self, net: dict, optimizer: dict, loss: dict, num_classes: int,
                 class_prior: list[float], input_dim: int | None = None):
        super().__init__()
        # plain values whatever the caller passed (e.g. instantiate(cfg.model, ...) hands over DictConfigs)
        net, optimizer, loss, class_prior = to_plain(net), to_plain(optimizer), to_plain(loss), to_plain(class_prior)
        self.save_hyperparameters()
        self.net = build_net(net, input_dim, num_classes)
        self.loss_name = LossName(loss["name"]).value
        self.tau = float(loss.get("tau", 1.0))
        self.criterion = ClassificationLoss(self.loss_name, class_prior, self.tau)
        self.register_buffer("log_prior", torch.tensor(class_prior, dtype=torch.float64).log(), persistent=False)
        self.val_loss = MeanMetric()
        self.val_mi = MeanWithStdError()
        self.val_accuracy = ClassAccuracy(num_classes)
        self._eval_metrics: dict[str, dict] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = self.criterion(self(x), y)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(y))
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.val_loss.update(self.criterion(logits, y), weight=len(y))
        self.val_mi.update(pmi_for_loss(self.loss_name, logits, y, self.log_prior, self.tau))
        self.val_accuracy.update(logits.argmax(1), y)

    def on_validation_epoch_end(self) -> None:
        mi, _ = self.val_mi.compute()
        self.log_dict({"val/loss": self.val_loss.compute(), "val/mi": mi,
                       "val/acc": self.val_accuracy.compute()["acc"]}, prog_bar=True)
        for metric in (self.val_loss, self.val_mi, self.val_accuracy):
            metric.reset()

    # ------------------------------------------------------------------ test
    def on_test_epoch_start(self) -> None:
        self._eval_metrics = {}

    def _split_metrics(self, dataloader_idx: int) -> tuple[str, dict]:
        names = getattr(self.trainer.datamodule, "test_split_names", ("test",))
        split = names[dataloader_idx] if self.trainer.datamodule is not None else "test"
        if split not in self._eval_metrics:
            metrics = {"mi": MeanWithStdError(), "accuracy": ClassAccuracy(self.hparams.num_classes)}
            if self.loss_name == LossName.softmax:
                metrics["mi_prior_corrected"] = MeanWithStdError()
            self._eval_metrics[split] = {k: m.to(self.device) for k, m in metrics.items()}
        return split, self._eval_metrics[split]

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        x, y = batch
        logits = self(x)
        _, metrics = self._split_metrics(dataloader_idx)
        metrics["mi"].update(pmi_for_loss(self.loss_name, logits, y, self.log_prior, self.tau))
        if "mi_prior_corrected" in metrics:
            metrics["mi_prior_corrected"].update(pmi_prior_corrected(logits.double(), y, self.log_prior))
        metrics["accuracy"].update(logits.argmax(1), y)

    def on_test_epoch_end(self) -> None:
        values = {}
        for split, metrics in self._eval_metrics.items():
            values[f"{split}/mi"], values[f"{split}/mi_se"] = metrics["mi"].compute()
            if "mi_prior_corrected" in metrics:
                values[f"{split}/mi_prior_corrected"], _ = metrics["mi_prior_corrected"].compute()
            if split == "train":
                continue  # the train split is evaluated for its MI only
            accuracy = metrics["accuracy"].compute()
            values[f"{split}/acc"] = accuracy["acc"]
            values[f"{split}/acc_macro"] = accuracy["acc_macro"]
            for k, value in enumerate(accuracy["per_class"].tolist()):
                if value == value:  # skip classes absent from the split (NaN)
                    values[f"{split}/acc_class/{k}"] = value
        self.log_dict({k: torch.as_tensor(v, dtype=torch.float64).float() for k, v in values.items()},
                      add_dataloader_idx=False)
        self.test_results = {k: float(v) for k, v in values.items()}

    def configure_optimizers(self):
        return build_optimizer(self.parameters(), self.hparams.optimizer)

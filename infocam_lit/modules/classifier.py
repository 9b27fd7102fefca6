"""A classifier trained with softmax, PC-softmax or the logit-adjusted loss, read out
as a mutual-information estimator (paper §3, Eq. 5, 9, 10)."""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics import MeanMetric

from infocam_lit.maths.losses import ClassificationLoss, LossName
from infocam_lit.maths.mi_readout import pmi_softmax_log_m, prior_free_scores
from infocam_lit.metrics.counts import ClassAccuracy, MeanWithStdError
from infocam_lit.metrics.mi import SplitPriorMI
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.modules.components import build_net, build_optimizer
from infocam_lit.modules.epoch_values import log_epoch_values
from infocam_lit.modules.hparams import to_plain
from infocam_lit.modules.summary import mi_line


def unpack(batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels) from a tuple batch or an image-dataset dict batch."""
    if isinstance(batch, dict):
        return batch["image"], batch["label"]
    return batch[0], batch[1]


class ClassifierModule(ExperimentModule):
    """Hyper-parameters are plain values, so checkpoints load with weights_only=True.

    Test metrics, per evaluated split (the DataModule names its test loaders
    through `test_split_names`, default ("test",)):
    `<split>/mi`, `<split>/mi_se` (the loss's own read-out), `<split>/label_entropy`
    (H(Y) of the split), `<split>/acc`, `<split>/acc_macro`, `<split>/acc_class/<k>`;
    for softmax also `<split>/mi_prior_corrected` and the post-hoc logit-adjusted
    accuracies `<split>/acc_posthoc`, `<split>/acc_macro_posthoc` (predict
    argmax n - posthoc_tau log pi, `loss.posthoc_tau` = 1 by default: the control PC-softmax must
    beat). A "train" split reports MI only.
    Every read-out but softmax's "+ log M" one uses the split's own label frequencies
    (SPEC §7.5). Prediction is argmax n(x) for every loss.
    """

    reference_kinds = ("mi", "accuracy")

    def __init__(self, net: dict, optimizer: dict, scheduler: dict | None, loss: dict, channels_last: bool,
                 compile: bool, num_classes: int, class_prior: list[float], input_dim: int | None = None):
        super().__init__()
        # plain values whatever the caller passed (e.g. instantiate(cfg.model, ...) hands over DictConfigs)
        net, optimizer, scheduler, loss, class_prior = (to_plain(v) for v in (net, optimizer, scheduler, loss,
                                                                                class_prior))
        self.save_hyperparameters()
        sizes = {"num_classes": num_classes, **({} if input_dim is None else {"input_dim": input_dim})}
        self.net = build_net(net, **sizes)
        self.loss_name = LossName(loss["name"]).value
        self.tau, self.posthoc_tau = float(loss["tau"]), float(loss["posthoc_tau"])
        self.criterion = ClassificationLoss(self.loss_name, class_prior, self.tau)
        self.register_buffer("log_prior", torch.tensor(class_prior, dtype=torch.float64).log(), persistent=False)
        self.val_loss = MeanMetric()
        self.val_readouts = nn.ModuleDict(self._readout_metrics())
        self.val_accuracy = ClassAccuracy(num_classes)
        self._eval_metrics: dict[str, dict] = {}
        self.use_channels_last(channels_last)
        self.use_compiled_network(compile)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    # ------------------------------------------------------------------ MI read-out
    @property
    def reads_out_log_m(self) -> bool:
        """softmax's own read-out is the paper's "+ log M"; the others read out under the split's prior."""
        return self.loss_name == LossName.softmax

    def _readout_metrics(self) -> dict:
        """The MI read-outs of one split: under its own prior, and for softmax also "+ log M"."""
        metrics = {"split_mi": SplitPriorMI(self.hparams.num_classes)}
        if self.reads_out_log_m:
            metrics["mi_log_m"] = MeanWithStdError()
        return metrics

    def _update_readouts(self, metrics, logits: torch.Tensor, y: torch.Tensor) -> None:
        metrics["split_mi"].update(prior_free_scores(self.loss_name, logits, self.log_prior, self.tau), y)
        if self.reads_out_log_m:
            metrics["mi_log_m"].update(pmi_softmax_log_m(logits.double(), y))

    def _readout_values(self, metrics) -> dict[str, torch.Tensor]:
        """mi and mi_se (the loss's own read-out), label_entropy, and softmax's mi_prior_corrected."""
        split = metrics["split_mi"].compute()
        values = {"label_entropy": split["label_entropy"]}
        if self.reads_out_log_m:
            values["mi"], values["mi_se"] = metrics["mi_log_m"].compute()
            values["mi_prior_corrected"] = split["mi"]
        else:
            values["mi"], values["mi_se"] = split["mi"], split["mi_se"]
        return values

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = unpack(batch)
        out = self(x)
        if isinstance(out, tuple):  # (logits, auxiliary logits), e.g. Inception-V3 in training
            logits, aux_logits = out
            loss = self.criterion(logits, y) + self.net.aux_loss_weight * self.criterion(aux_logits, y)
        else:
            loss = self.criterion(out, y)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(y))
        return loss

    def validation_step(self, batch, batch_idx: int) -> None:
        x, y = unpack(batch)
        logits = self(x)
        self.val_loss.update(self.criterion(logits, y), weight=len(y))
        self._update_readouts(self.val_readouts, logits, y)
        self.val_accuracy.update(logits.argmax(1), y)

    def on_validation_epoch_end(self) -> None:
        mi = self._readout_values(self.val_readouts)["mi"]
        accuracy = self.val_accuracy.compute()
        log_epoch_values(self, {"val/loss": self.val_loss.compute(), "val/mi": mi, "val/acc": accuracy["acc"],
                                "val/acc_macro": accuracy["acc_macro"]}, prog_bar=True)
        for metric in (self.val_loss, *self.val_readouts.values(), self.val_accuracy):
            metric.reset()

    # ------------------------------------------------------------------ test
    def on_test_epoch_start(self) -> None:
        self._eval_metrics = {}

    def _split_metrics(self, dataloader_idx: int) -> dict:
        split = self.test_split_name(dataloader_idx)
        if split not in self._eval_metrics:
            metrics = {**self._readout_metrics(), "accuracy": ClassAccuracy(self.hparams.num_classes)}
            if self.reads_out_log_m:
                metrics["accuracy_posthoc"] = ClassAccuracy(self.hparams.num_classes)
            self._eval_metrics[split] = {k: m.to(self.device) for k, m in metrics.items()}
        return self._eval_metrics[split]

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        x, y = unpack(batch)
        logits = self(x)
        metrics = self._split_metrics(dataloader_idx)
        self._update_readouts(metrics, logits, y)
        metrics["accuracy"].update(logits.argmax(1), y)
        if self.reads_out_log_m:
            metrics["accuracy_posthoc"].update((logits.double() - self.posthoc_tau * self.log_prior).argmax(1), y)

    def on_test_epoch_end(self) -> None:
        values = {}
        self.test_confusion = {}
        for split, metrics in self._eval_metrics.items():
            values.update({f"{split}/{key}": value for key, value in self._readout_values(metrics).items()})
            if split == "train":
                continue  # the train split is evaluated for its MI only
            accuracy = metrics["accuracy"].compute()
            values[f"{split}/acc"] = accuracy["acc"]
            values[f"{split}/acc_macro"] = accuracy["acc_macro"]
            for k, value in enumerate(accuracy["per_class"].tolist()):
                if value == value:  # skip classes absent from the split (NaN)
                    values[f"{split}/acc_class/{k}"] = value
            self.test_confusion[split] = accuracy["confusion"].cpu()
            if "accuracy_posthoc" in metrics:
                posthoc = metrics["accuracy_posthoc"].compute()
                values[f"{split}/acc_posthoc"] = posthoc["acc"]
                values[f"{split}/acc_macro_posthoc"] = posthoc["acc_macro"]
        self.test_results = log_epoch_values(self, values, add_dataloader_idx=False)

    def summary_line(self, metrics: dict[str, float]) -> str:
        return mi_line(metrics, self.loss_name)

    def configure_optimizers(self):
        params = [p for p in self.parameters() if p.requires_grad]
        return build_optimizer(params, self.hparams.optimizer, self.hparams.scheduler)

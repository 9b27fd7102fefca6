"""MINE (Belghazi et al. 2018), the estimator the paper compares against (Table 2).

A statistics network T(x, onehot(y)) maximises the Donsker-Varadhan bound
    I(X;Y) >= E_p(x,y)[T] - log E_p(x)p(y)[exp T].
Training draws marginal pairs by shuffling y within the batch. The gradient of
the log term, grad E[e^T] / E[e^T], is biased on a mini-batch; as in the MINE
paper the denominator is replaced by an exponential moving average of E[e^T]
(rate `ema_rate`). Validation and test use the exact-marginal form
E_x sum_y pi_y exp(T(x, y)) over the whole split (see DonskerVaradhanBound).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from infocam_lit.metrics.counts import DonskerVaradhanBound
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.modules.components import build_optimizer
from infocam_lit.modules.epoch_values import log_epoch_values
from infocam_lit.modules.hparams import to_plain
from infocam_lit.modules.summary import mi_line
from infocam_lit.nets.mlp import mlp


class MINEModule(ExperimentModule):
    reference_kinds = ("mi",)

    def __init__(self, hidden_sizes: list[int], ema_rate: float, optimizer: dict, scheduler: dict | None,
                 num_classes: int, class_prior: list[float], input_dim: int):
        super().__init__()
        hidden_sizes, optimizer, scheduler, class_prior = (to_plain(v) for v in (hidden_sizes, optimizer, scheduler,
                                                                                 class_prior))
        self.save_hyperparameters()
        self.statistics = mlp(input_dim + num_classes, 1, hidden_sizes)
        self.register_buffer("log_prior", torch.tensor(class_prior, dtype=torch.float32).log(), persistent=False)
        self.register_buffer("log_ema", torch.tensor(float("nan")))  # log of the moving average of E[e^T]
        self.val_bound = DonskerVaradhanBound()
        self._eval_metrics: dict[str, DonskerVaradhanBound] = {}

    def statistic(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        onehot = F.one_hot(y, self.hparams.num_classes).to(x.dtype)
        return self.statistics(torch.cat([x, onehot], dim=1)).squeeze(1)

    def all_label_statistics(self, x: torch.Tensor) -> torch.Tensor:
        """T(x, y) for every label y, shape (N, M), in one pass."""
        n, m = len(x), self.hparams.num_classes
        labels = torch.arange(m, device=x.device).repeat(n)
        return self.statistic(x.repeat_interleave(m, dim=0), labels).view(n, m)

    def training_step(self, batch, batch_idx: int) -> torch.Tensor:
        x, y = batch
        t_joint = self.statistic(x, y)
        t_marginal = self.statistic(x, y[torch.randperm(len(y), device=y.device)])
        log_mean_exp = torch.logsumexp(t_marginal, 0) - math.log(len(y))
        with torch.no_grad():
            rate = self.hparams.ema_rate
            if torch.isnan(self.log_ema):
                self.log_ema.copy_(log_mean_exp)
            else:  # log((1 - rate) * ema + rate * batch) in the log domain
                self.log_ema.copy_(torch.logaddexp(self.log_ema + math.log1p(-rate), log_mean_exp + math.log(rate))
                                   if rate < 1 else log_mean_exp)
        # Gradient of the surrogate = grad E[T] - grad E[e^T] / EMA(E[e^T]).
        surrogate = t_joint.mean() - torch.exp(log_mean_exp - self.log_ema)
        bound = t_joint.mean() - log_mean_exp
        self.log("train/dv_bound", bound, prog_bar=True, batch_size=len(y))
        return -surrogate

    def _update_bound(self, metric: DonskerVaradhanBound, x: torch.Tensor, y: torch.Tensor) -> None:
        t_all = self.all_label_statistics(x).double()
        log_marginal_mass = torch.logsumexp(t_all + self.log_prior.double(), 1)
        metric.update(t_all.gather(1, y[:, None]).squeeze(1), log_marginal_mass)

    def validation_step(self, batch, batch_idx: int) -> None:
        self._update_bound(self.val_bound, *batch)

    def on_validation_epoch_end(self) -> None:
        bound, _ = self.val_bound.compute()
        log_epoch_values(self, {"val/loss": -bound, "val/mi": bound}, prog_bar=True)
        self.val_bound.reset()

    def on_test_epoch_start(self) -> None:
        self._eval_metrics = {}

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        split = self.test_split_name(dataloader_idx)
        if split not in self._eval_metrics:
            self._eval_metrics[split] = DonskerVaradhanBound().to(self.device)
        self._update_bound(self._eval_metrics[split], *batch)

    def on_test_epoch_end(self) -> None:
        values = {}
        for split, metric in self._eval_metrics.items():
            values[f"{split}/mi"], values[f"{split}/mi_se"] = metric.compute()
        self.test_results = log_epoch_values(self, values, add_dataloader_idx=False)

    def summary_line(self, metrics: dict[str, float]) -> str:
        return mi_line(metrics, None)

    def configure_optimizers(self):
        return build_optimizer(self.parameters(), self.hparams.optimizer, self.hparams.scheduler)

"""Metrics as sums and counts (torchmetrics), so they reduce exactly across DDP ranks."""

from __future__ import annotations

import math

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat


class MeanWithStdError(Metric):
    """Mean of per-sample values and its standard error std / sqrt(N).

    Used for the MI estimate: the mean of pointwise MI over a split (Eq. 11 form).
    """

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("total_sq", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, values: torch.Tensor) -> None:
        values = values.detach().double()
        self.total += values.sum()
        self.total_sq += (values**2).sum()
        self.count += values.numel()

    def compute(self) -> tuple[torch.Tensor, torch.Tensor]:
        mean = self.total / self.count
        variance = (self.total_sq / self.count - mean**2).clamp_min(0) * self.count / (self.count - 1).clamp_min(1)
        return mean, (variance / self.count).sqrt()


class ClassAccuracy(Metric):
    """Confusion counts; micro, macro and per-class accuracy (recall) follow from them.

    Classes absent from the evaluated split are left out of the macro mean
    (their per-class accuracy is NaN), so a split without a class is not
    penalised for it.
    """

    full_state_update = False

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.add_state("confusion", torch.zeros(num_classes, num_classes, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, predicted: torch.Tensor, target: torch.Tensor) -> None:
        cells = target * self.num_classes + predicted
        self.confusion += torch.bincount(cells, minlength=self.num_classes**2).view(
            self.num_classes, self.num_classes).double()

    def compute(self) -> dict[str, torch.Tensor]:
        """acc, acc_macro, per_class (NaN for absent classes) and confusion[true, predicted]."""
        total = self.confusion.sum(1)
        correct = self.confusion.diagonal()
        per_class = correct / total
        present = total > 0
        return {
            "acc": correct.sum() / total.sum(),
            "acc_macro": per_class[present].mean(),
            "per_class": per_class,
            "confusion": self.confusion.clone(),
        }


class DonskerVaradhanBound(Metric):
    """The DV bound E_joint[T] - log E_x sum_y pi_y exp(T(x, y)) over a whole split.

    The marginal expectation is taken exactly over the label prior (every x
    with every y), not over one shuffle. The standard error comes from the
    delta method: the influence of sample i is T_i - m_i / mean(m), with
    m_i = sum_y pi_y exp(T(x_i, y)). The metric keeps T_i and log m_i per sample
    and takes every sum in log space, so a critic of any size never overflows.
    """

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("t", [], dist_reduce_fx="cat")
        self.add_state("log_m", [], dist_reduce_fx="cat")

    def update(self, t_joint: torch.Tensor, log_marginal_mass: torch.Tensor) -> None:
        self.t.append(t_joint.detach().double().flatten())
        self.log_m.append(log_marginal_mass.detach().double().flatten())

    def compute(self) -> tuple[torch.Tensor, torch.Tensor]:
        t, log_m = dim_zero_cat(self.t), dim_zero_cat(self.log_m)
        n = len(t)
        log_mean_m = torch.logsumexp(log_m, 0) - math.log(n)
        bound = t.mean() - log_mean_m
        influence = t - torch.exp(log_m - log_mean_m)  # m_i / mean(m) <= n: no overflow
        variance = influence.var(correction=1) if n > 1 else torch.zeros((), dtype=t.dtype, device=t.device)
        return bound, (variance / n).sqrt()


class TopKAccuracy(Metric):
    """Top-1 and top-5 classification accuracy as hit counts."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for name in ("top1", "top5", "count"):
            self.add_state(name, torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, logits: torch.Tensor, target: torch.Tensor) -> None:
        top = logits.topk(min(5, logits.shape[1]), dim=1).indices
        self.top1 += (top[:, 0] == target).sum()
        self.top5 += (top == target[:, None]).any(1).sum()
        self.count += len(target)

    def compute(self) -> dict[str, torch.Tensor]:
        return {"cls_top1": self.top1 / self.count, "cls_top5": self.top5 / self.count}


class MultiLabelCounts(Metric):
    """Per-label confusion counts of multi-label predictions, and what follows from them.

    acc_digit (recall among images containing the label: the paper's Table 5
    "accuracy", SPEC §5), precision, balanced accuracy, F1 per label; exact-match
    accuracy over images; macro F1 over labels.
    """

    full_state_update = False

    def __init__(self, num_labels: int, **kwargs):
        super().__init__(**kwargs)
        for name in ("tp", "fp", "fn", "tn"):
            self.add_state(name, torch.zeros(num_labels, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("exact", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, predicted: torch.Tensor, target: torch.Tensor) -> None:
        predicted, target = predicted.bool(), target.bool()
        self.tp += (predicted & target).sum(0)
        self.fp += (predicted & ~target).sum(0)
        self.fn += (~predicted & target).sum(0)
        self.tn += (~predicted & ~target).sum(0)
        self.exact += (predicted == target).all(1).sum()
        self.count += len(target)

    def compute(self) -> dict[str, torch.Tensor]:
        recall = self.tp / (self.tp + self.fn)
        precision = self.tp / (self.tp + self.fp)
        specificity = self.tn / (self.tn + self.fp)
        f1 = 2 * self.tp / (2 * self.tp + self.fp + self.fn)
        return {"recall": recall, "precision": precision, "balanced_acc": (recall + specificity) / 2, "f1": f1,
                "exact_match": self.exact / self.count, "macro_f1": f1.nanmean()}


class HitsPerLabel(Metric):
    """Localisation hits and trials per label, as sums."""

    full_state_update = False

    def __init__(self, num_labels: int, **kwargs):
        super().__init__(**kwargs)
        self.num_labels = num_labels
        self.add_state("hits", torch.zeros(num_labels, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("trials", torch.zeros(num_labels, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, hit: torch.Tensor, label: torch.Tensor) -> None:
        self.hits += torch.bincount(label, weights=hit.double(), minlength=self.num_labels)
        self.trials += torch.bincount(label, minlength=self.num_labels).double()

    def compute(self) -> dict[str, torch.Tensor]:
        return {"loc_acc": self.hits.sum() / self.trials.sum(), "per_label": self.hits / self.trials}

"""Classification losses: softmax, PC-softmax and the logit-adjusted loss.

Notation as the paper: logits n(x) in R^M, label prior pi (train split).

- softmax cross-entropy (Eq. 7):   l = -n_y + log sum_y' exp(n_y')
- PC-softmax (Eq. 10):             l = -n_y + log sum_y' pi_y' exp(n_y')
                                     = CE(n + log pi, y) + log pi_y
  so its gradient equals the logit-adjusted loss at tau = 1 (Menon et al. 2021).
- logit-adjusted with temperature tau: l = CE(n + tau log pi, y).
- class-weighted softmax:          l = w_y CE(n, y), w ∝ 1/pi normalised to mean 1 over classes,
  averaged as torch.nn.CrossEntropyLoss(weight=w) does (sum of w_y l / sum of w_y); the
  common practice for imbalanced data (SPEC §7.3).

Everything goes through logsumexp / cross_entropy, which subtract the maximum
logit first, so the losses stay finite for logits of any size.
"""

from __future__ import annotations

from enum import Enum

import torch
import torch.nn.functional as F
from torch import nn


class LossName(str, Enum):
    softmax = "softmax"
    pc_softmax = "pc_softmax"
    logit_adjusted = "logit_adjusted"
    weighted_softmax = "weighted_softmax"
    sigmoid = "sigmoid"  # multi-label (infocam_lit.maths.multilabel_losses)
    pc_sigmoid = "pc_sigmoid"  # multi-label (infocam_lit.maths.multilabel_losses)


SINGLE_LABEL_LOSSES = (LossName.softmax, LossName.pc_softmax, LossName.logit_adjusted, LossName.weighted_softmax)


def softmax_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, target)


def pc_softmax_cross_entropy(logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigma_p(n)_y, the PC-softmax of the paper's Eq. 10."""
    true_logit = logits.gather(1, target[:, None]).squeeze(1)
    return (torch.logsumexp(logits + log_prior, dim=1) - true_logit).mean()


def logit_adjusted_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor, tau: float
) -> torch.Tensor:
    return F.cross_entropy(logits + tau * log_prior, target)


def inverse_prior_weights(prior: torch.Tensor) -> torch.Tensor:
    """w_y ∝ 1 / pi_y with mean 1 over the classes."""
    inverse = 1.0 / prior
    return inverse / inverse.mean()


class ClassificationLoss(nn.Module):
    """One of the losses above, chosen by name, holding log pi as a buffer."""

    def __init__(self, name: str, class_prior: list[float], tau: float = 1.0):
        super().__init__()
        if LossName(name) not in SINGLE_LABEL_LOSSES:
            raise ValueError(f"loss={name} is a multi-label loss (experiment=double_mnist); single-label models "
                             f"take {', '.join(n.value for n in SINGLE_LABEL_LOSSES)}")
        self.name = LossName(name).value
        self.tau = float(tau)
        prior = torch.tensor(class_prior, dtype=torch.float32)
        if (prior <= 0).any():
            raise ValueError(f"every class needs a positive prior for {self.name}; got {class_prior}")
        self.register_buffer("log_prior", prior.log(), persistent=False)
        self.register_buffer("class_weight", inverse_prior_weights(prior), persistent=False)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        if self.name == LossName.softmax:
            return softmax_cross_entropy(logits, target)
        if self.name == LossName.pc_softmax:
            return pc_softmax_cross_entropy(logits, target, self.log_prior)
        if self.name == LossName.weighted_softmax:
            return F.cross_entropy(logits, target, weight=self.class_weight)
        return logit_adjusted_cross_entropy(logits, target, self.log_prior, self.tau)

"""Pointwise mutual information read out of a trained classifier (paper Eq. 5, 9, Thm 1-2).

Î(X;Y) is the mean of pmi(x, y) over a split. Each read-out is exact at its own
optimal logits:
- PC-softmax:           pmi = n_y - log sum_y' pi_y' exp(n_y')           (Eq. 10)
- softmax, "+ log M":   pmi = log softmax(n)_y + log M                   (Eq. 9)
  The paper's read-out; on imbalanced data it over-estimates by log M - H(Y).
- prior-corrected CE:   pmi = log softmax(n)_y - log pi_y
  The correct read-out of a softmax-trained network on imbalanced data.
- logit-adjusted (tau): pmi = log softmax(n + tau log pi)_y - log pi_y    (= PC at tau = 1)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from infocam_lit.losses import LossName


def _pick(values: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return values.gather(1, target[:, None]).squeeze(1)


def pmi_pc_softmax(logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    return _pick(logits, target) - torch.logsumexp(logits + log_prior, dim=1)


def pmi_softmax_log_m(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return _pick(F.log_softmax(logits, dim=1), target) + math.log(logits.shape[1])


def pmi_prior_corrected(logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    return _pick(F.log_softmax(logits, dim=1), target) - log_prior[target]


def pmi_logit_adjusted(
    logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor, tau: float
) -> torch.Tensor:
    return _pick(F.log_softmax(logits + tau * log_prior, dim=1), target) - log_prior[target]


def pmi_for_loss(
    loss: str, logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """The read-out that belongs to a training loss (the `test/mi` of the runs)."""
    loss = LossName(loss)
    logits = logits.double()
    log_prior = log_prior.double()
    if loss == LossName.pc_softmax:
        return pmi_pc_softmax(logits, target, log_prior)
    if loss == LossName.softmax:
        return pmi_softmax_log_m(logits, target)
    return pmi_logit_adjusted(logits, target, log_prior, tau)

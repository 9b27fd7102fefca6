"""Pointwise mutual information read out of a trained classifier (paper Eq. 5, 9, Thm 1-2).

Î(X;Y) is the mean of pmi(x, y) over a split. Each read-out is exact at its own
optimal logits:
- PC-softmax:           pmi = n_y - log sum_y' pi_y' exp(n_y')           (Eq. 10)
- softmax, "+ log M":   pmi = log softmax(n)_y + log M                   (Eq. 9)
  The paper's read-out; on imbalanced data it over-estimates by log M - H(Y).
- prior-corrected CE:   pmi = log softmax(n)_y - log pi_y
  The correct read-out of a softmax-trained network on imbalanced data.
- logit-adjusted (tau): pmi = log softmax(n + tau log pi)_y - log pi_y    (= PC at tau = 1)

On a split whose label prior pi' differs from the training prior pi (SPEC §7.5),
every read-out but "+ log M" goes through the network's prior-free scores
s_y(x) = log p(x|y) + c(x) (`prior_free_scores`):
    pmi'(x, y) = s_y(x) - log sum_y' pi'_y' exp(s_y'(x))        (`pmi_under_prior`)
With pi' = pi this is each read-out above; with the training prior on a split of
another prior it estimates no mutual information of that split at all.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from infocam_lit.maths.losses import LossName


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


def prior_free_scores(loss: str, logits: torch.Tensor, log_prior: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """s_y(x) = log p(x|y) + c(x) at each loss's optimum (SPEC §7.5), in float64.

    PC-softmax and class-weighted CE (w ∝ 1/pi) learn prior-free logits; softmax
    learns n = log pi + log p(x|y) + c; the logit-adjusted loss n = (1 - tau) log pi + ...
    """
    loss = LossName(loss)
    logits, log_prior = logits.double(), log_prior.double()
    if loss in (LossName.pc_softmax, LossName.weighted_softmax):
        return logits
    if loss == LossName.softmax:
        return logits - log_prior
    if loss == LossName.logit_adjusted:
        return logits + (tau - 1.0) * log_prior
    raise ValueError(f"no single-label read-out for loss={loss.value}")


def pmi_under_prior(scores: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    """pmi' of prior-free scores under the label prior of the evaluated split."""
    return _pick(scores, target) - torch.logsumexp(scores + log_prior, dim=1)


def pmi_for_loss(
    loss: str, logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """The read-out that belongs to a training loss, under the training prior `log_prior`."""
    if LossName(loss) == LossName.softmax:
        return pmi_softmax_log_m(logits.double(), target)
    return pmi_under_prior(prior_free_scores(loss, logits, log_prior, tau), target, log_prior.double())

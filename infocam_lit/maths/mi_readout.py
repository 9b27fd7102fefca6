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
    """PC-softmax's read-out (Eq. 10): pmi = n_y - log sum_y' pi_y' exp(n_y').

    Args:
        logits: (B, M) logits n.
        target: (B,) the label y of each sample.
        log_prior: (M,) log pi, the training label prior.

    Returns:
        (B,) pmi(x, y) in nats.

    Example:
        >>> logits, target = torch.tensor([[1.0, 0.0]]), torch.tensor([0])
        >>> round(pmi_pc_softmax(logits, target, torch.tensor([0.75, 0.25]).log()).item(), 4)
        0.172
    """
    return _pick(logits, target) - torch.logsumexp(logits + log_prior, dim=1)


def pmi_softmax_log_m(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The paper's softmax read-out (Eq. 9): pmi = log softmax(n)_y + log M, exact on a uniform prior only.

    Args:
        logits: (B, M) logits n.
        target: (B,) the label y of each sample.

    Returns:
        (B,) pmi(x, y) in nats.

    Example:
        >>> # log(e / (e + 1)) + log 2: PC-softmax's value under a uniform prior
        >>> round(pmi_softmax_log_m(torch.tensor([[1.0, 0.0]]), torch.tensor([0])).item(), 4)
        0.3799
    """
    return _pick(F.log_softmax(logits, dim=1), target) + math.log(logits.shape[1])


def pmi_prior_corrected(logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    """The softmax network's read-out on any prior: pmi = log softmax(n)_y - log pi_y.

    Args:
        logits: (B, M) logits n of a network trained with softmax cross-entropy.
        target: (B,) the label y of each sample.
        log_prior: (M,) log pi, the training label prior.

    Returns:
        (B,) pmi(x, y) in nats.

    Example:
        >>> logits, target = torch.tensor([[1.0, 0.0]]), torch.tensor([0])
        >>> round(pmi_prior_corrected(logits, target, torch.tensor([0.75, 0.25]).log()).item(), 4)
        -0.0256
    """
    return _pick(F.log_softmax(logits, dim=1), target) - log_prior[target]


def pmi_logit_adjusted(
    logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor, tau: float
) -> torch.Tensor:
    """The logit-adjusted read-out: pmi = log softmax(n + tau log pi)_y - log pi_y; at tau = 1 it is
    PC-softmax's (Eq. 10), at tau = 0 the prior-corrected one.

    Args:
        logits: (B, M) logits n.
        target: (B,) the label y of each sample.
        log_prior: (M,) log pi, the training label prior.
        tau: the logit adjustment's strength.

    Returns:
        (B,) pmi(x, y) in nats.

    Example:
        >>> logits, target, log_prior = torch.tensor([[1.0, 0.0]]), torch.tensor([0]), torch.tensor([0.75, 0.25]).log()
        >>> [round(pmi_logit_adjusted(logits, target, log_prior, tau).item(), 4) for tau in (1.0, 0.0)]
        [0.172, -0.0256]
    """
    return _pick(F.log_softmax(logits + tau * log_prior, dim=1), target) - log_prior[target]


def prior_free_scores(loss: str, logits: torch.Tensor, log_prior: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """s_y(x) = log p(x|y) + c(x) at each loss's optimum (SPEC §7.5), in float64.

    PC-softmax and class-weighted CE (w ∝ 1/pi) learn prior-free logits; softmax
    learns n = log pi + log p(x|y) + c; the logit-adjusted loss n = (1 - tau) log pi + ...

    Args:
        loss: the training loss: "pc_softmax", "weighted_softmax", "softmax" or "logit_adjusted".
        logits: (B, M) logits n.
        log_prior: (M,) log pi, the training label prior.
        tau: the logit-adjusted loss's tau (unused by the others).

    Returns:
        (B, M) float64 scores s.

    Example:
        >>> s = prior_free_scores("softmax", torch.tensor([[1.0, 0.0]]), torch.tensor([0.75, 0.25]).log())
        >>> s.round(decimals=4).tolist()  # n - log pi
        [[1.2877, 1.3863]]
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
    """pmi' of prior-free scores under the label prior of the evaluated split:
    pmi'(x, y) = s_y(x) - log sum_y' pi'_y' exp(s_y'(x)) (SPEC §7.5).

    Args:
        scores: (B, M) prior-free scores s (`prior_free_scores`).
        target: (B,) the label y of each sample.
        log_prior: (M,) log pi', the evaluated split's label prior.

    Returns:
        (B,) pmi'(x, y) in nats.

    Example:
        >>> scores, target = torch.tensor([[1.0, 0.0]]), torch.tensor([0])
        >>> priors = torch.tensor([[0.75, 0.25], [0.5, 0.5]])
        >>> [round(pmi_under_prior(scores, target, prior.log()).item(), 4) for prior in priors]
        [0.172, 0.3799]
    """
    return _pick(scores, target) - torch.logsumexp(scores + log_prior, dim=1)


def pmi_for_loss(
    loss: str, logits: torch.Tensor, target: torch.Tensor, log_prior: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """The read-out that belongs to a training loss, under the training prior `log_prior`: softmax's
    "+ log M" (Eq. 9, the paper's), else `pmi_under_prior` of the loss's prior-free scores, which is
    PC-softmax's Eq. 10 for PC-softmax.

    Args:
        loss: the training loss: "softmax", "pc_softmax", "weighted_softmax" or "logit_adjusted".
        logits: (B, M) logits n.
        target: (B,) the label y of each sample.
        log_prior: (M,) log pi, the training label prior.
        tau: the logit-adjusted loss's tau (unused by the others).

    Returns:
        (B,) float64 pmi(x, y) in nats.

    Example:
        >>> logits, target, log_prior = torch.tensor([[1.0, 0.0]]), torch.tensor([0]), torch.tensor([0.75, 0.25]).log()
        >>> [round(pmi_for_loss(loss, logits, target, log_prior).item(), 4) for loss in ("pc_softmax", "softmax")]
        [0.172, 0.3799]
    """
    if LossName(loss) == LossName.softmax:
        return pmi_softmax_log_m(logits.double(), target)
    return pmi_under_prior(prior_free_scores(loss, logits, log_prior, tau), target, log_prior.double())

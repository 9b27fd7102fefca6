"""The synthetic Gaussian mixture of the MI experiment (paper §4.1, Table 1) and
its ground truth.

Five classes, x | y ~ N(mu_y * 1_d, I_d) with mu = (0, +2, -2, +4, -4). Because
every class mean lies on the diagonal 1_d, the projection t = <x, 1> / sqrt(d)
is a sufficient statistic: given y, t ~ N(mu_y sqrt(d), 1). Everything exact
(I(X;Y), Bayes accuracies) is therefore a one-dimensional computation.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.integrate import simpson
from scipy.special import logsumexp
from scipy.stats import norm

CLASS_MEANS = (0.0, 2.0, -2.0, 4.0, -4.0)
NUM_CLASSES = len(CLASS_MEANS)
BALANCED_TRAIN_COUNTS = (10_000,) * NUM_CLASSES
IMBALANCED_TRAIN_COUNTS = (5_000, 10_000, 15_000, 20_000, 25_000)
# Extra samples per class, as a fraction of the class's train count.
TEST_FRACTION = 5  # test = train // 5
VAL_FRACTION = 10  # validation = train // 10 (ours; the authors had none)


def train_counts(imbalanced: bool) -> tuple[int, ...]:
    return IMBALANCED_TRAIN_COUNTS if imbalanced else BALANCED_TRAIN_COUNTS


def split_counts(imbalanced: bool) -> dict[str, tuple[int, ...]]:
    """Samples per class for each split (Table 1's train counts, SPEC §2)."""
    train = train_counts(imbalanced)
    return {
        "train": train,
        "val": tuple(n // VAL_FRACTION for n in train),
        "test": tuple(n // TEST_FRACTION for n in train),
    }


def class_prefixes(counts: tuple[int, ...], fraction: float) -> torch.Tensor:
    """Indices, into a sample drawn in class order with `counts`, of the first round(fraction * n) points
    of each class (at least one), so a smaller sample is a subset of every larger one."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    kept = [torch.arange(start, start + max(1, round(fraction * n))) for start, n in zip(starts, counts, strict=True)]
    return torch.cat(kept)


def class_prior(imbalanced: bool) -> torch.Tensor:
    counts = torch.tensor(train_counts(imbalanced), dtype=torch.float64)
    return counts / counts.sum()


def sample(counts: tuple[int, ...], dim: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw counts[k] points of class k, in class order; float32 x (N, dim), long y (N,)."""
    y = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    means = torch.tensor(CLASS_MEANS, dtype=torch.float32)[y]
    x = torch.randn(len(y), dim, generator=generator) + means[:, None]
    return x, y


def log_likelihoods(x: torch.Tensor) -> torch.Tensor:
    """log N(x; mu_y 1, I) for every class y, shape (N, M), in float64."""
    x = x.double()
    means = torch.tensor(CLASS_MEANS, dtype=torch.float64)
    dim = x.shape[1]
    sq_dist = (x**2).sum(1, keepdim=True) - 2 * means * x.sum(1, keepdim=True) + dim * means**2
    return -0.5 * sq_dist - 0.5 * dim * math.log(2 * math.pi)


def pointwise_mi(x: torch.Tensor, y: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """True log p(x|y) / p(x) for each sample (the integrand of the paper's Eq. 11)."""
    log_lik = log_likelihoods(x)
    log_px = torch.logsumexp(log_lik + prior.double().log(), dim=1)
    return log_lik.gather(1, y[:, None]).squeeze(1) - log_px


def exact_mi(dim: int, prior: torch.Tensor | np.ndarray) -> float:
    """Exact I(X;Y) in nats through the 1-D sufficient statistic (Simpson, error < 1e-9)."""
    prior = np.asarray(prior, dtype=np.float64)
    m = np.asarray(CLASS_MEANS) * math.sqrt(dim)
    t = np.linspace(m.min() - 12.0, m.max() + 12.0, 40_001)
    log_pdf = norm.logpdf(t[None, :], loc=m[:, None])  # (M, T)
    log_mix = logsumexp(log_pdf + np.log(prior)[:, None], axis=0)
    integrand = (prior[:, None] * np.exp(log_pdf) * (log_pdf - log_mix)).sum(0)
    return float(simpson(integrand, x=t))


def entropy(prior: torch.Tensor | np.ndarray) -> float:
    p = np.asarray(prior, dtype=np.float64)
    return float(-(p * np.log(p)).sum())


def decision_intervals(dim: int, weights: np.ndarray) -> list[tuple[float, float]]:
    """Interval of t where class k wins argmax_j w_j N(t; m_j, 1).

    The log-scores log w_j + m_j t - m_j^2 / 2 are lines in t, so each class's
    region is the intersection of half-lines: an interval (lo > hi if empty).
    """
    m = np.asarray(CLASS_MEANS) * math.sqrt(dim)
    intercept = np.log(weights) - m**2 / 2
    intervals = []
    for k in range(len(m)):
        lo, hi = -math.inf, math.inf
        for j in range(len(m)):
            if j == k:
                continue
            # class k beats j where (m_k - m_j) t >= intercept_j - intercept_k
            crossing = (intercept[j] - intercept[k]) / (m[k] - m[j])
            if m[k] > m[j]:
                lo = max(lo, crossing)
            else:
                hi = min(hi, crossing)
        intervals.append((lo, hi))
    return intervals


def bayes_accuracy(dim: int, prior, rule: str = "prior", average: str = "micro") -> float:
    """Exact accuracy of a Bayes decision rule on the mixture with label prior `prior`.

    rule="prior": argmax_y pi_y p(x|y), the Bayes-optimal rule (what softmax learns).
    rule="balanced": argmax_y p(x|y), what PC-softmax learns.
    average="micro" weights classes by the prior; "macro" is the mean per-class recall.
    """
    prior = np.asarray(prior, dtype=np.float64)
    weights = _rule_weights(prior, rule)
    m = np.asarray(CLASS_MEANS) * math.sqrt(dim)
    recall = np.array(
        [max(0.0, norm.cdf(hi - mk) - norm.cdf(lo - mk)) if lo < hi else 0.0
         for (lo, hi), mk in zip(decision_intervals(dim, weights), m, strict=True)]
    )
    if average == "micro":
        return float((prior * recall).sum())
    if average == "macro":
        return float(recall.mean())
    raise ValueError(f"average must be 'micro' or 'macro', got {average!r}")


def bayes_predictions(x: torch.Tensor, prior: torch.Tensor, rule: str = "prior") -> torch.Tensor:
    """The Bayes rule applied to actual points (paired with a classifier on the same points)."""
    weights = torch.as_tensor(_rule_weights(np.asarray(prior, dtype=np.float64), rule))
    return (log_likelihoods(x) + weights.log()).argmax(1)


def _rule_weights(prior: np.ndarray, rule: str) -> np.ndarray:
    if rule == "prior":
        return prior
    if rule == "balanced":
        return np.full_like(prior, 1.0 / len(prior))
    raise ValueError(f"rule must be 'prior' or 'balanced', got {rule!r}")

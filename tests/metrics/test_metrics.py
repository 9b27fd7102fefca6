"""Metric states are sums and counts; values against numpy / hand-derived numbers."""

import math

import pytest
import torch

from infocam_lit.maths import gmm
from infocam_lit.metrics.counts import ClassAccuracy, DonskerVaradhanBound, MeanWithStdError


def test_mean_and_standard_error():
    values = torch.tensor([1.0, 2.0, 4.0, 7.0])
    metric = MeanWithStdError()
    metric.update(values[:1])
    metric.update(values[1:])
    mean, se = metric.compute()
    assert mean.item() == pytest.approx(3.5)
    assert se.item() == pytest.approx(values.double().std().item() / 2)


def test_states_reduce_as_sums_like_two_ranks():
    a, b = MeanWithStdError(), MeanWithStdError()
    a.update(torch.tensor([1.0, 2.0]))
    b.update(torch.tensor([4.0, 7.0, 10.0]))
    a.merge_state(b)  # what the DDP reduction does: states summed
    assert a.compute()[0].item() == pytest.approx(24 / 5)


def test_class_accuracy_micro_macro_and_absent_class():
    metric = ClassAccuracy(num_classes=3)
    # class 0: 2/2 right, class 1: 1/4 right, class 2 absent
    metric.update(torch.tensor([0, 0, 1, 0, 0, 0]), torch.tensor([0, 0, 1, 1, 1, 1]))
    result = metric.compute()
    assert result["acc"].item() == pytest.approx(3 / 6)
    assert result["acc_macro"].item() == pytest.approx((1 + 0.25) / 2)
    assert math.isnan(result["per_class"][2].item())


def test_dv_bound_at_the_optimal_critic_is_the_monte_carlo_mi():
    """With T = log p(x|y)/p(x), sum_y pi_y e^T = 1 for every x, so the exact-marginal
    DV bound equals the mean pointwise MI on any sample."""
    prior = gmm.class_prior(True)
    x, y = gmm.sample(gmm.split_counts(True)["test"], 2, torch.Generator().manual_seed(0))
    log_lik = gmm.log_likelihoods(x)
    t_all = log_lik - torch.logsumexp(log_lik + prior.log(), 1, keepdim=True)
    metric = DonskerVaradhanBound()
    metric.update(t_all.gather(1, y[:, None]).squeeze(1), torch.logsumexp(t_all + prior.log(), 1))
    bound, se = metric.compute()
    pmi = gmm.pointwise_mi(x, y, prior)
    assert bound.item() == pytest.approx(pmi.mean().item(), abs=1e-9)
    assert se.item() == pytest.approx(pmi.std().item() / math.sqrt(len(pmi)), rel=1e-3)


def test_dv_bound_of_a_constant_critic_is_zero():
    metric = DonskerVaradhanBound()
    metric.update(torch.full((10,), 2.0, dtype=torch.float64), torch.full((10,), 2.0, dtype=torch.float64))
    assert metric.compute()[0].item() == pytest.approx(0.0, abs=1e-12)


def test_dv_bound_and_its_error_stay_finite_for_huge_critic_values():
    """The bound is invariant to adding a constant to T; with T ~ 1000, exp(T) overflows float64, so the
    sums must be taken in log space."""
    generator = torch.Generator().manual_seed(0)
    t_all = torch.randn(500, 4, generator=generator, dtype=torch.float64)
    y = torch.randint(0, 4, (500,), generator=generator)
    log_prior = torch.full((4,), math.log(0.25), dtype=torch.float64)
    results = []
    for shift in (0.0, 1000.0):
        metric = DonskerVaradhanBound()
        shifted = t_all + shift
        for rows in torch.arange(500).split(128):  # several batches, as in a test loop
            metric.update(shifted[rows].gather(1, y[rows, None]).squeeze(1),
                          torch.logsumexp(shifted[rows] + log_prior, 1))
        results.append([v.item() for v in metric.compute()])
    assert all(math.isfinite(v) for v in results[1])
    assert results[1] == pytest.approx(results[0], abs=1e-9)

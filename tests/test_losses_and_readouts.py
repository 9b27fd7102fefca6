"""Losses (SPEC §1.1) and MI read-outs (SPEC §1.2) on hand-derived values."""

import math

import pytest
import torch
import torch.nn.functional as F

from infocam_lit import gmm
from infocam_lit.losses import ClassificationLoss, pc_softmax_cross_entropy
from infocam_lit.mi_readout import (
    pmi_for_loss,
    pmi_logit_adjusted,
    pmi_pc_softmax,
    pmi_prior_corrected,
    pmi_softmax_log_m,
)

PRIOR = torch.tensor([0.1, 0.2, 0.3, 0.4])


def random_batch(seed=0, n=64, m=4, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, m, generator=g, dtype=torch.float64) * scale, torch.randint(0, m, (n,), generator=g)


def test_pc_softmax_equals_shifted_cross_entropy_plus_log_prior():
    logits, y = random_batch()
    log_prior = PRIOR.double().log()
    expected = F.cross_entropy(logits + log_prior, y) + log_prior[y].mean()
    assert pc_softmax_cross_entropy(logits, y, log_prior).item() == pytest.approx(expected.item(), abs=1e-12)


def test_pc_softmax_by_its_definition():
    logits = torch.tensor([[1.0, 2.0, 0.5, -1.0]], dtype=torch.float64)
    y = torch.tensor([1])
    sigma_p = math.exp(2.0) / sum(p * math.exp(n) for p, n in zip(PRIOR.tolist(), logits[0].tolist(), strict=True))
    loss = ClassificationLoss("pc_softmax", PRIOR.tolist())
    assert loss(logits, y).item() == pytest.approx(-math.log(sigma_p), rel=1e-6)


@pytest.mark.parametrize("name", ["softmax", "pc_softmax", "logit_adjusted"])
def test_losses_finite_at_huge_logits(name):
    logits = torch.tensor([[1e4, -1e4, 0.0, 5e3], [-1e4, -1e4, -1e4, 1e4]], requires_grad=True)
    loss = ClassificationLoss(name, PRIOR.tolist(), tau=1.0)(logits, torch.tensor([1, 3]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_pc_softmax_value_at_huge_logits():
    logits = torch.tensor([[1e4, -1e4, 0.0, 5e3], [-1e4, -1e4, -1e4, 1e4]])
    loss = ClassificationLoss("pc_softmax", PRIOR.tolist())(logits, torch.tensor([1, 3]))
    # row 0: 1e4 + log(0.1 e^1e4); row 1: -1e4 + log(0.4 e^1e4)
    assert loss.item() == pytest.approx((2e4 + math.log(0.1) + math.log(0.4)) / 2, abs=0.01)


def test_pc_softmax_gradient_equals_logit_adjusted_at_tau_one():
    logits, y = random_batch(1)
    grads = []
    for name in ("pc_softmax", "logit_adjusted"):
        x = logits.clone().float().requires_grad_(True)
        ClassificationLoss(name, PRIOR.tolist(), tau=1.0)(x, y).backward()
        grads.append(x.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-7)


def test_unknown_loss_names_the_valid_ones():
    with pytest.raises(ValueError, match="pcsoftmax"):
        ClassificationLoss("pcsoftmax", PRIOR.tolist())


def test_zero_prior_is_rejected():
    with pytest.raises(ValueError, match="positive prior"):
        ClassificationLoss("pc_softmax", [0.0, 0.5, 0.5])


# --------------------------------------------------------------------------- read-outs at optimal logits
def optimal_logits(x):
    """log N(x; mu_y 1, I) per class, the PC-softmax optimum (+ any constant)."""
    return gmm.log_likelihoods(x)


@pytest.mark.parametrize("dim", [1, 2, 5, 10])
def test_pc_readout_is_exact_at_its_optimum(dim):
    prior = gmm.class_prior(True)
    x, y = gmm.sample(gmm.split_counts(True)["test"], dim, torch.Generator().manual_seed(dim))
    logits = optimal_logits(x) + 3.7  # any constant shift
    pmi = pmi_pc_softmax(logits, y, prior.log())
    assert torch.allclose(pmi, gmm.pointwise_mi(x, y, prior), atol=1e-9)


@pytest.mark.parametrize("dim", [1, 5])
def test_log_m_readout_is_exact_on_balanced_data(dim):
    prior = gmm.class_prior(False)
    x, y = gmm.sample(gmm.split_counts(False)["test"], dim, torch.Generator().manual_seed(dim))
    pmi = pmi_softmax_log_m(optimal_logits(x), y)
    assert torch.allclose(pmi, gmm.pointwise_mi(x, y, prior), atol=1e-9)
    assert pmi_for_loss("softmax", optimal_logits(x), y, prior.log()).mean().item() == pytest.approx(
        gmm.pointwise_mi(x, y, prior).mean().item(), abs=1e-9)


@pytest.mark.parametrize("dim", [1, 5])
def test_prior_corrected_readout_is_exact_for_cross_entropy_optimum(dim):
    prior = gmm.class_prior(True)
    x, y = gmm.sample(gmm.split_counts(True)["test"], dim, torch.Generator().manual_seed(dim))
    ce_optimum = prior.log() + optimal_logits(x)
    truth = gmm.pointwise_mi(x, y, prior)
    assert torch.allclose(pmi_prior_corrected(ce_optimum, y, prior.log()), truth, atol=1e-9)
    # the paper's "+ log M" read-out on the same logits is biased by log M + log pi_y per sample
    bias = pmi_softmax_log_m(ce_optimum, y) - truth
    assert torch.allclose(bias, math.log(5) + prior.log()[y], atol=1e-9)


def test_logit_adjusted_readout_is_pc_at_tau_one():
    logits, y = random_batch(2)
    log_prior = PRIOR.double().log()
    assert torch.allclose(pmi_logit_adjusted(logits, y, log_prior, 1.0), pmi_pc_softmax(logits, y, log_prior))
    assert torch.allclose(pmi_logit_adjusted(logits, y, log_prior, 0.0), pmi_prior_corrected(logits, y, log_prior))


def test_pc_readout_is_minus_the_pc_loss():
    logits, y = random_batch(3)
    log_prior = PRIOR.double().log()
    assert pmi_pc_softmax(logits, y, log_prior).mean().item() == pytest.approx(
        -pc_softmax_cross_entropy(logits, y, log_prior).item(), abs=1e-12)

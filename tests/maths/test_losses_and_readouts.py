"""Losses (SPEC §1.1) and MI read-outs (SPEC §1.2) on hand-derived values."""

import math

import pytest
import torch
import torch.nn.functional as F

from infocam_lit.maths import gmm
from infocam_lit.maths.losses import ClassificationLoss, pc_softmax_cross_entropy
from infocam_lit.maths.mi_readout import (
    pmi_for_loss,
    pmi_logit_adjusted,
    pmi_pc_softmax,
    pmi_prior_corrected,
    pmi_softmax_log_m,
    pmi_under_prior,
    prior_free_scores,
)
from infocam_lit.metrics.mi import SplitPriorMI
from infocam_lit.nets.mnist_cnn import mnist_cnn

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


@pytest.mark.parametrize("name", ["softmax", "pc_softmax", "logit_adjusted", "weighted_softmax"])
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


# ----------------------------------------------------------------------------- class-weighted CE (SPEC §7.3)
def test_weighted_softmax_is_torch_cross_entropy_with_inverse_prior_weights():
    logits, y = random_batch(4)
    prior = [0.5, 0.25, 0.125, 0.125]
    weight = torch.tensor([2.0, 4.0, 8.0, 8.0]) / 5.5  # 1/pi over its mean
    expected = torch.nn.CrossEntropyLoss(weight=weight)(logits.float(), y)
    assert ClassificationLoss("weighted_softmax", prior)(logits, y).item() == pytest.approx(expected.item(), rel=1e-6)
    # and it is not the unweighted loss
    assert abs(ClassificationLoss("softmax", prior)(logits, y).item() - expected.item()) > 1e-3


# ----------------------------------------------------------------------------- the split's own prior (SPEC §7.5)
def split_mi(scores: torch.Tensor, y: torch.Tensor, num_classes: int, batch: int = 1000) -> dict:
    metric = SplitPriorMI(num_classes)
    for start in range(0, len(y), batch):
        metric.update(scores[start:start + batch], y[start:start + batch])
    return {k: v.item() for k, v in metric.compute().items()}


def balanced_subset(y: torch.Tensor, per_class: int) -> torch.Tensor:
    return torch.cat([torch.nonzero(y == k).squeeze(1)[:per_class] for k in range(int(y.max()) + 1)])


@pytest.mark.parametrize("loss", ["pc_softmax", "softmax", "logit_adjusted", "weighted_softmax"])
def test_readout_on_a_balanced_split_of_an_imbalanced_model_is_its_true_mi(loss):
    """Optimal logits of each loss, trained on the imbalanced mixture, evaluated on a balanced
    test split: under the split's own prior every sample's read-out is the true pmi of that
    split's joint distribution; under the training prior it overshoots H(Y) = log 5."""
    train_prior = gmm.class_prior(True)
    x, y = gmm.sample(gmm.split_counts(False)["test"], 2, torch.Generator().manual_seed(7))
    tau = 0.5
    logits = optimal_logits(x) + 1.3 + {"softmax": train_prior.log(), "logit_adjusted": (1 - tau) * train_prior.log()
                                        }.get(loss, torch.zeros(5, dtype=torch.float64))
    scores = prior_free_scores(loss, logits, train_prior.log(), tau)
    balanced = torch.full((5,), 0.2, dtype=torch.float64)
    truth = gmm.pointwise_mi(x, y, balanced)
    assert torch.allclose(pmi_under_prior(scores, y, balanced.log()), truth, atol=1e-9)
    values = split_mi(scores, y, 5)
    assert values["mi"] == pytest.approx(truth.mean().item(), abs=1e-9)
    assert values["label_entropy"] == pytest.approx(math.log(5), abs=1e-12)
    assert values["mi_se"] == pytest.approx(truth.std().item() / math.sqrt(len(y)), rel=1e-6)
    assert values["mi"] <= math.log(5)
    if loss != "softmax":  # the training prior on this split: no MI of it, above log M
        wrong = pmi_for_loss(loss, logits, y, train_prior.log(), tau).mean().item()
        assert wrong > values["mi"] + 0.05


def test_split_prior_readout_under_the_training_prior_is_unchanged():
    """Where a split's label frequencies are the training prior (the mixture's test split), the
    split's read-out is the loss's own read-out, to the last bit (the default run's numbers)."""
    prior = gmm.class_prior(True)
    x, y = gmm.sample(gmm.split_counts(True)["test"], 5, torch.Generator().manual_seed(0))
    logits = (optimal_logits(x) + torch.randn(len(y), 5, generator=torch.Generator().manual_seed(1),
                                               dtype=torch.float64)).float()
    frequencies = torch.bincount(y, minlength=5).double() / len(y)
    values = split_mi(prior_free_scores("pc_softmax", logits, frequencies.log()), y, 5, batch=8192)
    old = pmi_for_loss("pc_softmax", logits, y, frequencies.log())
    total = torch.tensor(0.0, dtype=torch.float64)
    for start in range(0, len(y), 8192):
        total += old[start:start + 8192].sum()
    assert values["mi"] == (total / len(y)).item()
    assert values["label_entropy"] == pytest.approx(-(prior * prior.log()).sum().item(), abs=1e-12)


def test_split_prior_readout_leaves_out_absent_classes():
    scores, y = random_batch(5)
    y = y.clamp(max=2)  # class 3 never occurs
    values = split_mi(scores, y, 4)
    frequencies = torch.bincount(y, minlength=4).double() / len(y)
    present = frequencies[:3]
    assert values["label_entropy"] == pytest.approx(-(present * present.log()).sum().item(), abs=1e-12)
    expected = pmi_under_prior(scores[:, :3], y, present.log()).mean().item()
    assert values["mi"] == pytest.approx(expected, abs=1e-12)


# ----------------------------------------------------------------------------- PC-softmax = logit-adjusted (tau = 1)
def train_steps(loss_name: str, steps: int = 5) -> list[torch.Tensor]:
    """A few SGD steps of the paper's MNIST CNN from one seed (the mnist experiment's optimiser)."""
    torch.manual_seed(0)
    net = mnist_cnn()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.5)
    prior = [0.02, 0.18, 0.02, 0.18, 0.02, 0.18, 0.02, 0.18, 0.02, 0.18]
    criterion = ClassificationLoss(loss_name, prior)
    data = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(32, 1, 28, 28, generator=data)
        y = torch.randint(0, 10, (32,), generator=data)
        optimizer.zero_grad()
        criterion(net(x), y).backward()
        optimizer.step()
    return [p.detach().clone() for p in net.parameters()]


def test_pc_softmax_and_logit_adjusted_train_the_same_network():
    pc, adjusted, plain = train_steps("pc_softmax"), train_steps("logit_adjusted"), train_steps("softmax")
    for a, b in zip(pc, adjusted, strict=True):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-6)
    assert max((a - b).abs().max().item() for a, b in zip(pc, plain, strict=True)) > 1e-3

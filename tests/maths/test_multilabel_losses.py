"""PC-sigmoid against the two-class PC-softmax it is defined from (SPEC §1.3)."""

import math

import pytest
import torch

from infocam_lit.maths.losses import pc_softmax_cross_entropy
from infocam_lit.maths.multilabel_losses import MultiLabelLoss, pc_sigmoid_loss


@pytest.mark.parametrize("target", [0, 1])
def test_pc_sigmoid_equals_the_two_class_pc_softmax(target):
    g = torch.Generator().manual_seed(target)
    logits = torch.randn(50, 3, generator=g, dtype=torch.float64) * 4
    prior = torch.tensor([0.1, 0.5, 0.85], dtype=torch.float64)
    targets = torch.full((50, 3), target)
    for label in range(3):
        two_class_logits = torch.stack([torch.zeros(50, dtype=torch.float64), logits[:, label]], dim=1)
        log_prior = torch.log(torch.stack([1 - prior[label], prior[label]]))
        expected = pc_softmax_cross_entropy(two_class_logits, targets[:, label], log_prior)
        got = pc_sigmoid_loss(logits[:, label : label + 1], targets[:, label : label + 1], prior[label : label + 1])
        assert got.item() == pytest.approx(expected.item(), abs=1e-12)


def test_pc_sigmoid_by_hand():
    n, p = 2.0, 0.2
    present = -n + math.log(1 - p + p * math.exp(n))
    absent = math.log(1 - p + p * math.exp(n))
    loss = pc_sigmoid_loss(torch.tensor([[n, n]], dtype=torch.float64), torch.tensor([[1, 0]]),
                           torch.tensor([p, p], dtype=torch.float64))
    assert loss.item() == pytest.approx((present + absent) / 2)


def test_pc_sigmoid_stays_finite_at_huge_logits():
    logits = torch.tensor([[1e4, -1e4]], requires_grad=True)
    loss = MultiLabelLoss("pc_sigmoid", [0.3, 0.3])(logits, torch.tensor([[0, 1]]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_with_a_uniform_prior_the_gradient_is_the_sigmoid_one():
    logits = torch.randn(8, 4, requires_grad=True)
    targets = (torch.rand(8, 4) > 0.5).long()
    MultiLabelLoss("pc_sigmoid", [0.5] * 4)(logits, targets).backward()
    pc_grad = logits.grad.clone()
    logits.grad = None
    MultiLabelLoss("sigmoid", [0.5] * 4)(logits, targets).backward()
    assert torch.allclose(pc_grad, logits.grad, atol=1e-7)


@pytest.mark.parametrize("prior", [[0.0, 0.5], [0.5, 1.0]])
def test_degenerate_prior_is_a_clear_error(prior):
    with pytest.raises(ValueError, match="never or always present"):
        MultiLabelLoss("pc_sigmoid", prior)
    MultiLabelLoss("sigmoid", prior)  # the plain loss needs no prior


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="sigmoid, pc_sigmoid"):
        MultiLabelLoss("softmax", [0.5])

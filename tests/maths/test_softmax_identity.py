"""The subtraction identity (SPEC §7.6): under softmax-family cross-entropy the gradients of the class weights
sum to zero over the classes, Σ_m (p_m − 1[m = y]) h = 0, so SGD never moves the mean class weight, and
infoCAM's subtraction of the other classes' mean map (Eq. 14) is CAM rescaled plus a term that does not learn.
Adam rescales each coordinate of each class on its own, which breaks the identity."""

import pytest
import torch
from torch import nn

from infocam_lit.maths.cam import compute_maps, mean_weight_ratio
from infocam_lit.maths.losses import ClassificationLoss

CLASSES, FEATURES = 7, 5
PRIOR = [0.4, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05]


def trained_head(loss_name: str, optimizer: str, steps: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """The class weights of a small network's last layer before and after `steps` optimiser steps (float64)."""
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(3, FEATURES), nn.ReLU()).double()
    head = nn.Linear(FEATURES, CLASSES).double()
    parameters = [*body.parameters(), *head.parameters()]
    step = (torch.optim.SGD(parameters, lr=0.5, momentum=0.9, nesterov=True) if optimizer == "sgd"
            else torch.optim.Adam(parameters, lr=0.05))
    criterion = ClassificationLoss(loss_name, PRIOR)
    before = head.weight.detach().clone()
    for _ in range(steps):
        x, y = torch.randn(32, 3, dtype=torch.float64), torch.randint(CLASSES, (32,))
        step.zero_grad()
        criterion(head(body(x)).double(), y).backward()
        step.step()
    return before, head.weight.detach()


@pytest.mark.parametrize("loss_name", ["softmax", "pc_softmax"])
def test_sgd_never_moves_the_sum_of_the_class_weights(loss_name):
    before, after = trained_head(loss_name, "sgd")
    assert (after - before).abs().max() > 0.05  # the weights did learn
    # the loss takes its logits in float32 (ClassificationLoss), so the gradients sum to zero to float32 precision
    assert torch.allclose(after.sum(0), before.sum(0), rtol=0, atol=1e-6)


@pytest.mark.parametrize("loss_name", ["softmax", "pc_softmax"])
def test_adam_moves_the_sum_of_the_class_weights(loss_name):
    before, after = trained_head(loss_name, "adam")
    assert (after.sum(0) - before.sum(0)).abs().max() > 0.05


def test_with_a_zero_mean_class_weight_infocam_is_cam_rescaled():
    """Eq. 14 with mean_m w_m = 0: w_y - mean_{m != y} w_m = M / (M - 1) w_y, so infoCAM = M / (M - 1) CAM."""
    weight = torch.randn(CLASSES, FEATURES, dtype=torch.float64)
    weight -= weight.mean(0)
    assert mean_weight_ratio(weight) < 1e-12
    features, classes = torch.randn(2, FEATURES, 4, 4, dtype=torch.float64), torch.tensor([1, 5])
    infocam = compute_maps(features, weight, classes, "infocam")
    assert torch.allclose(infocam, CLASSES / (CLASSES - 1) * compute_maps(features, weight, classes, "cam"))


def test_mean_weight_ratio_of_random_weights_is_about_one_over_sqrt_m():
    torch.manual_seed(0)
    ratio = mean_weight_ratio(torch.randn(200, 256))
    assert 0.5 / 200**0.5 < ratio < 1.5 / 200**0.5

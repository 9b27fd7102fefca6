"""The MLP of the MI experiment (paper Fig. 5): d -> 100 -> 100 -> 100 -> M, ReLU."""

from __future__ import annotations

from torch import nn


def mlp(input_dim: int, num_classes: int, hidden_sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = input_dim
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)

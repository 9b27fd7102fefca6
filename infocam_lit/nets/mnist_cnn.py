"""The MNIST CNN of the paper's Table 3 (authors' code): two conv/pool blocks and two linear layers."""

from __future__ import annotations

from torch import nn


def mnist_cnn(num_classes: int = 10) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),   # 28 -> 24 -> 12
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),  # 12 -> 8 -> 4
        nn.Flatten(),
        nn.Linear(4 * 4 * 50, 500), nn.ReLU(),
        nn.Linear(500, num_classes),
    )

"""Attention-based Dropout Layer (Choe & Shim, CVPR 2019), parameter-free, training only.

A = channel mean of x; importance map = sigmoid(A); drop mask = 1[A < gamma * max A]
(max per sample). One random draw per forward pass picks the drop mask with
probability `drop_rate`, else the importance map (as the original; `per_sample`
draws per image instead); the output is x times the chosen map. Identity in eval.
"""

from __future__ import annotations

import torch
from torch import nn


class ADL(nn.Module):
    def __init__(self, drop_rate: float = 0.75, gamma: float = 0.9, per_sample: bool = False):
        super().__init__()
        if not 0 <= drop_rate <= 1 or not 0 <= gamma <= 1:
            raise ValueError(f"ADL needs drop_rate and gamma in [0, 1], got {drop_rate}, {gamma}")
        self.drop_rate, self.gamma, self.per_sample = drop_rate, gamma, per_sample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        attention = x.mean(1, keepdim=True)
        importance = torch.sigmoid(attention)
        peak = attention.flatten(1).max(1).values.view(-1, 1, 1, 1)
        drop_mask = (attention < self.gamma * peak).to(x.dtype)
        shape = (x.shape[0], 1, 1, 1) if self.per_sample else ()
        use_drop = torch.rand(shape, device=x.device) < self.drop_rate
        return x * torch.where(use_drop, drop_mask, importance)

    def extra_repr(self) -> str:
        return f"drop_rate={self.drop_rate}, gamma={self.gamma}, per_sample={self.per_sample}"

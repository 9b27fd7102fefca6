"""Optimisers from their plain config (`model.optimizer`)."""

from __future__ import annotations

import torch

OPTIMIZERS = ("adam", "adamw", "sgd")


def build_optimizer(params, optimizer: dict) -> torch.optim.Optimizer:
    name, lr, weight_decay = optimizer["name"], optimizer["lr"], optimizer.get("weight_decay", 0.0)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, momentum=optimizer.get("momentum", 0.0))
    raise ValueError(f"model.optimizer.name={name!r} is not known; valid: {', '.join(OPTIMIZERS)}")

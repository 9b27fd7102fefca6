"""Optimisers and learning-rate schedules from their plain config (`model.optimizer`)."""

from __future__ import annotations

import torch

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULERS = ("none", "step", "cosine")


def build_optimizer(params, optimizer: dict, max_epochs: int | None = None):
    """The optimizer, or Lightning's {"optimizer", "lr_scheduler"} dict when a schedule is set."""
    name, lr, weight_decay = optimizer["name"], optimizer["lr"], optimizer.get("weight_decay", 0.0)
    if name == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    elif name == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    elif name == "sgd":
        opt = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay, momentum=optimizer.get("momentum", 0.0),
                              nesterov=optimizer.get("nesterov", False))
    else:
        raise ValueError(f"model.optimizer.name={name!r} is not known; valid: {', '.join(OPTIMIZERS)}")

    scheduler = optimizer.get("scheduler", "none")
    if scheduler == "none":
        return opt
    if scheduler == "step":
        schedule = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(optimizer.get("milestones", [])),
                                                        gamma=optimizer.get("gamma", 0.1))
    elif scheduler == "cosine":
        if not max_epochs or max_epochs < 1:
            raise ValueError("model.optimizer.scheduler=cosine needs a finite trainer.max_epochs")
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max_epochs)
    else:
        raise ValueError(f"model.optimizer.scheduler={scheduler!r} is not known; valid: {', '.join(SCHEDULERS)}")
    return {"optimizer": opt, "lr_scheduler": {"scheduler": schedule, "interval": "epoch"}}

"""Logging the epoch-level values that our metrics compute."""

from __future__ import annotations

import pytorch_lightning as pl
import torch


def log_epoch_values(module: pl.LightningModule, values: dict, **log_kwargs) -> dict[str, float]:
    """Log values computed by metrics whose states were already summed over ranks, so every rank
    holds the same numbers and sync_dist's average of them is exact. They go onto the module's
    device first: the all-reduce behind sync_dist fails on CPU tensors under NCCL. Returns them
    as plain floats (for metrics.json)."""
    module.log_dict({k: torch.as_tensor(v, device=module.device).float() for k, v in values.items()},
                    sync_dist=True, **log_kwargs)
    return {k: float(v) for k, v in values.items()}

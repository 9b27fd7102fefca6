"""The first few test images kept, with their maps and boxes, for the figure grids."""

from __future__ import annotations

import torch


def keep_first(store: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor], limit: int) -> None:
    """Append each tensor's leading rows to store[key] (on the CPU) until it holds `limit` rows."""
    for key, value in tensors.items():
        have = len(store.get(key, ()))
        if have < limit:
            kept = value[: limit - have].detach().cpu()
            store[key] = torch.cat([store[key], kept]) if have else kept

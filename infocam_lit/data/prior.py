"""The label prior pi of a training split: what PC-softmax and the MI read-outs divide by."""

from __future__ import annotations

import torch


def label_frequencies(labels: torch.Tensor, num_classes: int) -> list[float]:
    """Empirical frequency of each class among `labels` (plain floats, for hyper-parameters)."""
    return (torch.bincount(labels, minlength=num_classes).double() / len(labels)).tolist()

"""Hand-built maps whose boxes at every threshold are known."""

import torch


def nested_squares_map() -> torch.Tensor:
    """A ring at 0.5 (box 2..17) around a core at 1.0 (box 6..13) on a 20x20 zero map."""
    m = torch.zeros(1, 20, 20)
    m[0, 2:18, 2:18] = 0.5
    m[0, 6:14, 6:14] = 1.0
    return m

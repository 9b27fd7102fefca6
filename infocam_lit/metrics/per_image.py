"""Per-image values of a test pass, one row per image in its split's order, so that a finished run can be
tested image by image (paired tests over images, a bootstrap over images; SPEC §7.6).

The states are lists gathered across DDP ranks ("cat"); every row carries the image's index in its split,
and compute() puts the rows back in that order, whichever rank scored them.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

INDEX = "image_index"


def in_index_order(index: torch.Tensor, *columns: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """`index` sorted, and each column's rows in the same order (the split's order, whatever the ranks')."""
    order = index.argsort(stable=True)
    return (index[order], *(column[order] for column in columns))


class PerImageColumns(Metric):
    """Named per-image columns, each given per batch beside the images' indices in their split.

    Args:
        columns: the column names; every update gives each of them, (B,) values.

    compute() returns {"image_index": (N,), <column>: (N,) ...}, rows in index order.

    Example:
        >>> table = PerImageColumns(("label",))
        >>> table.update(torch.tensor([2, 0]), label=torch.tensor([7, 5]))
        >>> table.update(torch.tensor([1]), label=torch.tensor([6]))
        >>> {name: values.tolist() for name, values in table.compute().items()}
        {'image_index': [0, 1, 2], 'label': [5, 6, 7]}
    """

    full_state_update = False

    def __init__(self, columns: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.columns = tuple(columns)
        for name in (INDEX, *self.columns):
            self.add_state(name, default=[], dist_reduce_fx="cat")

    def update(self, index: torch.Tensor, **values: torch.Tensor) -> None:
        if set(values) != set(self.columns):
            raise ValueError(f"per-image columns {sorted(values)}; expected {sorted(self.columns)}")
        getattr(self, INDEX).append(index.detach().long())
        for name, value in values.items():
            getattr(self, name).append(value.detach())

    def compute(self) -> dict[str, torch.Tensor]:
        index, *columns = in_index_order(*(dim_zero_cat(getattr(self, name)) for name in (INDEX, *self.columns)))
        return {INDEX: index, **dict(zip(self.columns, columns, strict=True))}

"""The kNN estimator of I(X;Y) (Ross 2014, SPEC §7.4) as a module beside the classifier and MINE.

It has no parameters and needs no training: a test pass collects each test split (the GMM data's
"test" and "train") and estimates I(X;Y) on it. Under DDP each rank holds a share of a split, so the
shares are gathered first and every rank computes the same estimate.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from infocam_lit.maths.knn_mi import knn_mi
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.modules.epoch_values import log_epoch_values
from infocam_lit.modules.summary import mi_line


class KNNModule(ExperimentModule):
    reference_kinds = ("mi",)
    needs_training = False

    def __init__(self, k: int, input_dim: int, num_classes: int, class_prior: list[float]):
        super().__init__()  # the data's input_dim, num_classes and class_prior: the estimator needs none of them
        self.save_hyperparameters("k")
        self._collected: dict[str, list[tuple[torch.Tensor, torch.Tensor]]] = {}

    def on_test_epoch_start(self) -> None:
        self._collected = {}

    def test_step(self, batch, batch_idx: int, dataloader_idx: int = 0) -> None:
        x, y = batch
        self._collected.setdefault(self.test_split_name(dataloader_idx), []).append((x.cpu(), y.cpu()))

    def on_test_epoch_end(self) -> None:
        values = {}
        for split, batches in self._collected.items():
            x, y = _from_every_rank(torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches]))
            values[f"{split}/mi"], values[f"{split}/mi_se"] = knn_mi(x.double().numpy(), y.numpy(), self.hparams.k)
        self.test_results = log_epoch_values(self, values, add_dataloader_idx=False)

    def summary_line(self, metrics: dict[str, float]) -> str:
        return mi_line(metrics, None)


def _from_every_rank(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x, y
    shares: list = [None] * dist.get_world_size()
    dist.all_gather_object(shares, (x, y))
    return torch.cat([s[0] for s in shares]), torch.cat([s[1] for s in shares])

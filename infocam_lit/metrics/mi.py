"""Î(X;Y) of one split under that split's own label prior (SPEC §7.5), as a torchmetrics Metric.

pmi'(x, y) = s_y(x) - log sum_y' pi'_y' exp(s_y'(x)) needs pi', the label
frequencies of the whole split, before any sample's term is known, so the
prior-free scores are kept (a list state, gathered across DDP ranks) and the
read-out is taken at the end: label counts first, then each batch's terms,
summed in the order the batches came.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric

from infocam_lit.maths.mi_readout import pmi_under_prior
from infocam_lit.metrics.functional import mean_and_std_error


def _chunks(state) -> list[torch.Tensor]:
    """A list state: the tensors of each update, or one tensor once gathered across ranks."""
    return [state] if isinstance(state, torch.Tensor) else list(state)


class SplitPriorMI(Metric):
    """compute() -> {"mi", "mi_se", "label_entropy"} of the split seen, in nats."""

    full_state_update = False

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.add_state("scores", default=[], dist_reduce_fx="cat")
        self.add_state("targets", default=[], dist_reduce_fx="cat")

    def update(self, scores: torch.Tensor, target: torch.Tensor) -> None:
        """`scores`: the prior-free scores s(x) (mi_readout.prior_free_scores) of a batch."""
        self.scores.append(scores.detach().double())
        self.targets.append(target.detach())

    def compute(self) -> dict[str, torch.Tensor]:
        scores, targets = _chunks(self.scores), _chunks(self.targets)
        counts = torch.bincount(torch.cat(targets), minlength=self.num_classes).double()
        prior = counts / counts.sum()
        log_prior = prior.log()
        total = total_sq = torch.tensor(0.0, dtype=torch.float64, device=counts.device)
        for chunk_scores, chunk_targets in zip(scores, targets, strict=True):
            pmi = pmi_under_prior(chunk_scores, chunk_targets, log_prior)
            total = total + pmi.sum()
            total_sq = total_sq + (pmi**2).sum()
        mi, mi_se = mean_and_std_error(total, total_sq, counts.sum())
        present = prior > 0
        return {"mi": mi, "mi_se": mi_se, "label_entropy": -(prior[present] * log_prior[present]).sum()}

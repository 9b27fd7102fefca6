"""Multi-label losses: sigmoid and PC-sigmoid (paper §6.3, Table 5; SPEC §1.3).

L binary labels, logits n_l, targets t_l in {0, 1}, label-presence prior
pi_l = the fraction of training images that contain label l.

The paper does not define PC-sigmoid; we treat each label as a two-class
PC-softmax (Eq. 10) whose classes are "absent" and "present", with logits
(0, n_l) and prior (1 - pi_l, pi_l):

    sigma_p(present) = e^{n_l} / ((1 - pi_l) e^0 + pi_l e^{n_l})
    sigma_p(absent)  = 1       / ((1 - pi_l) e^0 + pi_l e^{n_l})

so, with the loss -log sigma_p of the true class,

    t_l = 1:  -n_l + log(1 - pi_l + pi_l e^{n_l})
    t_l = 0:          log(1 - pi_l + pi_l e^{n_l})

computed as logaddexp(log(1 - pi_l), log pi_l + n_l) - t_l n_l. Equivalently
BCE-with-logits(n_l + log pi_l - log(1 - pi_l), t_l) + t_l log pi_l +
(1 - t_l) log(1 - pi_l): the constant depends on the target, so the values
(not only the gradients) are tested against the two-class PC-softmax itself.
At the optimum n_l = log p(x | present) - log p(x | absent), so the prediction
n_l > 0 is the balanced rule (PC-softmax's), not the prior-weighted one.

The plain sigmoid loss is BCE-with-logits(n_l, t_l); prediction n_l > 0 too.
Both losses average over labels and images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MULTILABEL_LOSSES = ("sigmoid", "pc_sigmoid")


def pc_sigmoid_loss(logits: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """Mean PC-sigmoid loss; logits and targets (B, L), prior (L,) strictly inside (0, 1)."""
    targets = targets.to(logits.dtype)
    normaliser = torch.logaddexp(torch.log1p(-prior), torch.log(prior) + logits)
    return (normaliser - targets * logits).mean()


def sigmoid_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype))


class MultiLabelLoss(nn.Module):
    def __init__(self, name: str, label_prior: list[float]):
        super().__init__()
        if name not in MULTILABEL_LOSSES:
            raise ValueError(f"loss.name={name!r} is not a multi-label loss; valid: {', '.join(MULTILABEL_LOSSES)}")
        self.name = name
        prior = torch.tensor(label_prior, dtype=torch.float64)
        degenerate = [k for k, p in enumerate(label_prior) if not 0 < p < 1]
        if name == "pc_sigmoid" and degenerate:
            raise ValueError(f"pc_sigmoid needs every label to be present in some but not all training images; "
                             f"label(s) {degenerate} have prior {[label_prior[k] for k in degenerate]}: a label "
                             "never or always present cannot be prior-corrected")
        self.register_buffer("prior", prior.float(), persistent=False)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        if self.name == "pc_sigmoid":
            return pc_sigmoid_loss(logits, targets, self.prior)
        return sigmoid_loss(logits, targets)

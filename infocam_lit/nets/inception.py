"""Inception-V3 (torchvision) for 299x299 classification, with its auxiliary classifier.

In training it returns (logits, aux_logits) and the module adds the auxiliary
loss times `aux_loss_weight` (0.4, as torchvision's reference recipe); in eval,
logits only. The auxiliary head needs inputs of about 299 pixels; `aux_loss_weight=0`
drops it (for small test images).
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import Inception_V3_Weights, inception_v3

from infocam_lit.nets.pretrained import load_pretrained


class InceptionV3Classifier(nn.Module):
    def __init__(self, num_classes: int, pretrained: bool | str = True, freeze_backbone: bool = False,
                 aux_loss_weight: float = 0.4):
        super().__init__()
        # torchvision's own initialisation when training from scratch; pretrained weights overwrite it.
        # Google's weights expect inputs scaled to [-1, 1]: transform_input converts ImageNet-normalised
        # inputs to that, as torchvision's builder does whenever it is given the weights.
        self.net = inception_v3(weights=None, aux_logits=True, init_weights=not pretrained,
                                transform_input=bool(pretrained))
        if pretrained:
            load_pretrained(self.net, Inception_V3_Weights.IMAGENET1K_V1, pretrained, "inception_v3")
        self.net.fc = nn.Linear(self.net.fc.in_features, num_classes)
        self.aux_loss_weight = aux_loss_weight
        if aux_loss_weight > 0:
            self.net.AuxLogits.fc = nn.Linear(self.net.AuxLogits.fc.in_features, num_classes)
        else:
            self.net.AuxLogits, self.net.aux_logits = None, False
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for name, param in self.net.named_parameters():
                param.requires_grad = name.startswith(("fc.", "AuxLogits.fc."))

    def train(self, mode: bool = True):
        """With a frozen backbone, the frozen layers (the auxiliary head's convolutions included) keep
        their batch-norm statistics, while the trained heads and the dropout before `fc` train. The
        network itself stays in training mode: that is what makes it return the auxiliary logits."""
        super().train(mode)
        if self.freeze_backbone and mode:
            for name, module in self.net.named_children():
                if name not in ("fc", "dropout", "AuxLogits"):
                    module.eval()
            if self.net.AuxLogits is not None:
                for name, module in self.net.AuxLogits.named_children():
                    if name != "fc":
                        module.eval()
        return self

    def forward(self, x: torch.Tensor):
        out = self.net(x)
        if self.training and self.net.aux_logits:
            return out.logits, out.aux_logits
        return out.logits if isinstance(out, tuple) else out

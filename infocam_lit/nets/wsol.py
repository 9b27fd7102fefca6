"""The WSOL backbones (SPEC §4.3): VGG16-GAP and ResNet50 with a 14x14 last feature map
at 224, both ending in features -> GAP -> linear, so CAM applies; ADL optional.

Each network exposes `features(x)` (B, K, h, w), `fc` (the linear layer whose
weight CAM uses), `forward(x)` -> logits, and `parameter_groups()` splitting the
pretrained layers from the new ones (which train with a 10x learning rate).
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision import models
from torchvision.models import ResNet50_Weights, VGG16_Weights

from infocam_lit.nets.adl import ADL
from infocam_lit.nets.pretrained import load_pretrained

VGG_ADL_POSITIONS = {
    # indices into torchvision's vgg16().features after which an ADL is inserted
    "paper": (16, 23, 29),  # after pool3, after pool4, after conv5_3's ReLU
    "wsolevaluation": (16, 22, 29),  # the second before pool4 (after conv4_3's ReLU)
}
RESNET_ADL_POSITIONS = {"paper": (("layer3", 0), ("layer4", 0), ("layer4", 2))}


class GAPClassifier(nn.Module):
    def __init__(self, backbone: nn.Module, head: nn.Module, fc: nn.Linear, new_modules: list[nn.Module]):
        super().__init__()
        self.backbone, self.head, self.fc = backbone, head, fc
        # ids of the new layers' parameters; a plain set, so nothing is registered (or saved) twice
        self._new_ids = {id(p) for module in new_modules for p in module.parameters()}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).mean((2, 3)))

    def parameter_groups(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(pretrained parameters, new parameters)."""
        params = list(self.parameters())
        return [p for p in params if id(p) not in self._new_ids], [p for p in params if id(p) in self._new_ids]


def vgg16_gap(num_classes: int, pretrained: bool | str = True, adl: bool = False, adl_drop_rate: float = 0.75,
              adl_gamma: float = 0.8, adl_positions: str = "paper") -> GAPClassifier:
    """VGG16 conv layers without pool5 (14x14 at 224), conv6 512->1024 3x3 + ReLU, GAP, fc."""
    base = models.vgg16(weights=None)
    if pretrained:
        load_pretrained(base, VGG16_Weights.IMAGENET1K_V1, pretrained, "vgg16")
    layers = list(base.features.children())[:30]  # drop pool5
    if adl and adl_positions not in VGG_ADL_POSITIONS:
        raise ValueError(f"model.net.adl_positions={adl_positions!r} for VGG; valid: {', '.join(VGG_ADL_POSITIONS)}")
    if adl:
        for index in sorted(VGG_ADL_POSITIONS[adl_positions], reverse=True):
            layers.insert(index + 1, ADL(adl_drop_rate, adl_gamma))
    conv6 = nn.Conv2d(512, 1024, 3, padding=1)
    nn.init.kaiming_normal_(conv6.weight, mode="fan_out", nonlinearity="relu")
    nn.init.zeros_(conv6.bias)
    fc = nn.Linear(1024, num_classes)
    nn.init.normal_(fc.weight, 0, 0.01)
    nn.init.zeros_(fc.bias)
    head = nn.Sequential(conv6, nn.ReLU(inplace=True))
    return GAPClassifier(nn.Sequential(*layers), head, fc, new_modules=[head, fc])


def resnet50(num_classes: int, pretrained: bool | str = True, adl: bool = False, adl_drop_rate: float = 0.75,
             adl_gamma: float = 0.9, adl_positions: str = "paper") -> GAPClassifier:
    """ResNet50 with layer4's stride set to 1 (14x14 at 224) and a new fc 2048 -> M."""
    base = models.resnet50(weights=None)
    if pretrained:
        load_pretrained(base, ResNet50_Weights.IMAGENET1K_V1, pretrained, "resnet50")
    base.layer4[0].conv2.stride = (1, 1)
    base.layer4[0].downsample[0].stride = (1, 1)
    stages = {name: list(getattr(base, name).children()) for name in ("layer3", "layer4")}
    if adl and adl_positions not in RESNET_ADL_POSITIONS:
        raise ValueError(f"model.net.adl_positions={adl_positions!r} for ResNet50; valid: "
                         f"{', '.join(RESNET_ADL_POSITIONS)}")
    if adl:
        for stage, block in sorted(RESNET_ADL_POSITIONS[adl_positions], key=lambda p: -p[1]):
            stages[stage].insert(block + 1, ADL(adl_drop_rate, adl_gamma))
    layer4 = nn.Sequential(*stages["layer4"])
    backbone = nn.Sequential(base.conv1, base.bn1, base.relu, base.maxpool, base.layer1, base.layer2,
                             nn.Sequential(*stages["layer3"]), layer4)
    fc = nn.Linear(2048, num_classes)
    return GAPClassifier(backbone, nn.Identity(), fc, new_modules=[layer4, fc])


def small_gap_cnn(num_classes: int, in_channels: int = 3, widths: tuple[int, ...] = (32, 64, 128),
                  stem_stride: int = 1, pool_after: tuple[int, ...] = (0, 1), pretrained: bool | str = False,
                  adl: bool = False, adl_drop_rate: float = 0.75, adl_gamma: float = 0.9,
                  adl_positions: str = "paper") -> GAPClassifier:
    """A small GAP CNN trained from scratch: one 3x3 conv + BN + ReLU block per width, the first with
    stride `stem_stride`, a 2x2 max-pool after the blocks numbered in `pool_after` (stride
    stem_stride * 2^len(pool_after); the defaults give stride 4). For small images (double-digit MNIST,
    Tiny-ImageNet) and CPU runs; ADL after the last block."""
    if pretrained:
        raise ValueError("small_gap_cnn has no pretrained weights: set model.net.pretrained=false")
    layers: list[nn.Module] = []
    channels = in_channels
    for i, width in enumerate(widths):
        # a stride-2 stem halves the costliest (full-resolution) activations
        layers += [nn.Conv2d(channels, width, 3, stride=stem_stride if i == 0 else 1, padding=1),
                   nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        if i in pool_after:
            layers.append(nn.MaxPool2d(2))
        channels = width
    if adl:
        layers.append(ADL(adl_drop_rate, adl_gamma))
    backbone = nn.Sequential(*layers)
    fc = nn.Linear(channels, num_classes)
    return GAPClassifier(backbone, nn.Identity(), fc, new_modules=[backbone, fc])

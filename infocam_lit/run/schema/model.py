"""The `model` group: one schema per LightningModule, and the networks (schema/net) a model file puts
under `model.net`. A model's network is chosen by its file (`- /schema/net/<name>@net`), so one module
schema serves every network of the module."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from omegaconf import MISSING

from infocam_lit.run.schema.base import ImageModuleConfig, PretrainedNetConfig, TrainedModuleConfig
from infocam_lit.run.schema.checks import require


class ADLPositions(str, Enum):
    paper = "paper"
    wsolevaluation = "wsolevaluation"  # VGG only: the second ADL before pool4


# --------------------------------------------------------------------------- networks
@dataclass
class MLPNetConfig:
    _target_: str = "infocam_lit.nets.mlp.mlp"
    hidden_sizes: list[int] = field(default_factory=lambda: [100, 100, 100])

    def __post_init__(self) -> None:
        require(all(h >= 1 for h in self.hidden_sizes), "model.net.hidden_sizes", ">= 1", self.hidden_sizes)


@dataclass
class MNISTCNNNetConfig:
    _target_: str = "infocam_lit.nets.mnist_cnn.mnist_cnn"


@dataclass
class InceptionV3NetConfig(PretrainedNetConfig):
    _target_: str = "infocam_lit.nets.inception.InceptionV3Classifier"
    freeze_backbone: bool = False  # train the final layer only (the authors' setting)
    aux_loss_weight: float = 0.4  # weight of the auxiliary classifier's loss in training; 0 drops that head

    def __post_init__(self) -> None:
        super().__post_init__()
        require(self.aux_loss_weight >= 0, "model.net.aux_loss_weight", ">= 0", self.aux_loss_weight)


@dataclass
class WSOLNetConfig(PretrainedNetConfig):
    """vgg16_gap or resnet50 (the model file names its _target_)."""
    adl: bool = False
    adl_drop_rate: float = 0.75
    adl_gamma: float = MISSING  # 0.8 for VGG, 0.9 for ResNet (set by each model file)
    adl_positions: ADLPositions = ADLPositions.paper  # paper | wsolevaluation (VGG only)

    def __post_init__(self) -> None:
        super().__post_init__()
        require(0 <= self.adl_drop_rate <= 1, "model.net.adl_drop_rate", "in [0, 1]", self.adl_drop_rate)
        if self.adl_gamma != MISSING:  # each model file sets it; the schema's own default instance has none
            require(0 <= self.adl_gamma <= 1, "model.net.adl_gamma", "in [0, 1]", self.adl_gamma)
        require(self._target_.endswith("vgg16_gap") or self.adl_positions == ADLPositions.paper,
                "model.net.adl_positions", "'paper' but for vgg16_gap", self.adl_positions.value)


def _check_small_net(net) -> None:
    require(net.in_channels >= 1, "model.net.in_channels", ">= 1", net.in_channels)
    require(len(net.widths) >= 2 and all(w >= 1 for w in net.widths), "model.net.widths",
            "two or more positive widths", net.widths)


@dataclass
class SmallGAPNetConfig:
    """The multi-label experiment's GAP CNN (one-channel canvases)."""
    _target_: str = "infocam_lit.nets.wsol.small_gap_cnn"
    in_channels: int = 1
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])

    def __post_init__(self) -> None:
        _check_small_net(self)


@dataclass
class SmallWSOLNetConfig(WSOLNetConfig):
    """model=small_gap_cnn: a GAP CNN from scratch, one conv block per width (infocam_lit.nets.wsol)."""
    _target_: str = "infocam_lit.nets.wsol.small_gap_cnn"
    pretrained: Any = False  # it has no pretrained weights
    adl_gamma: float = 0.9
    in_channels: int = 3
    widths: list[int] = field(default_factory=lambda: [32, 64, 128])
    stem_stride: int = 1  # the first block's stride
    pool_after: list[int] = field(default_factory=lambda: [0, 1])  # 2x2 max-pools after these blocks (0-based)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_small_net(self)
        require(self.stem_stride >= 1, "model.net.stem_stride", ">= 1", self.stem_stride)
        require(all(0 <= i < len(self.widths) for i in self.pool_after), "model.net.pool_after",
                f"block numbers in [0, {len(self.widths) - 1}]", self.pool_after)


# --------------------------------------------------------------------------- modules
@dataclass
class ClassifierModelConfig(ImageModuleConfig):
    _target_: str = "infocam_lit.modules.classifier.ClassifierModule"


@dataclass
class WSOLModelConfig(ImageModuleConfig):
    _target_: str = "infocam_lit.modules.wsol.WSOLModule"
    new_layers_lr_mult: float = 1.0  # learning-rate factor of the layers not taken from ImageNet

    def __post_init__(self) -> None:
        require(self.new_layers_lr_mult > 0, "model.new_layers_lr_mult", "> 0", self.new_layers_lr_mult)


@dataclass
class MultiLabelModelConfig(ImageModuleConfig):
    _target_: str = "infocam_lit.modules.multilabel.MultiLabelLocalizationModule"


@dataclass
class MINEModelConfig(TrainedModuleConfig):
    _target_: str = "infocam_lit.modules.mine.MINEModule"
    hidden_sizes: list[int] = field(default_factory=lambda: [100, 100, 100])
    ema_rate: float = 0.01  # moving-average rate of the DV denominator (bias correction)

    def __post_init__(self) -> None:
        require(all(h >= 1 for h in self.hidden_sizes), "model.hidden_sizes", ">= 1", self.hidden_sizes)
        require(0 < self.ema_rate <= 1, "model.ema_rate", "in (0, 1]", self.ema_rate)


@dataclass
class KNNModelConfig:
    _target_: str = "infocam_lit.modules.knn.KNNModule"
    k: int = 3  # the neighbour whose distance sets each point's radius (Ross 2014)

    def __post_init__(self) -> None:
        require(self.k >= 1, "model.k", ">= 1", self.k)


MODEL_SCHEMAS = {"classifier": ClassifierModelConfig, "wsol": WSOLModelConfig, "multilabel": MultiLabelModelConfig,
                 "mine": MINEModelConfig, "knn": KNNModelConfig}
NET_SCHEMAS = {"mlp": MLPNetConfig, "mnist_cnn": MNISTCNNNetConfig, "inception_v3": InceptionV3NetConfig,
               "wsol": WSOLNetConfig, "wsol_small": SmallWSOLNetConfig, "small_gap": SmallGAPNetConfig}
# The networks each module takes, to type a saved model.net again by its _target_; a schema whose _target_ is
# ??? takes the networks no other one names (WSOL: vgg16_gap, resnet50).
NETS_OF = {ClassifierModelConfig: (MLPNetConfig, MNISTCNNNetConfig, InceptionV3NetConfig),
           WSOLModelConfig: (SmallWSOLNetConfig, WSOLNetConfig),
           MultiLabelModelConfig: (SmallGAPNetConfig,)}

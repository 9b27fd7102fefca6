"""The `loss` and `cam` groups: how a network is trained and how its maps are made and scored."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from omegaconf import MISSING

from infocam_lit.maths.losses import LossName
from infocam_lit.run.schema.checks import require


class RegionMode(str, Enum):
    same = "same"
    centered = "centered"
    legacy = "legacy"


class RegionPadding(str, Enum):
    zeros = "zeros"
    replicate = "replicate"
    reflect = "reflect"


class PlusMode(str, Enum):
    paper = "paper"
    legacy = "legacy"


class Upsample(str, Enum):
    bicubic = "bicubic"
    bilinear = "bilinear"
    nearest = "nearest"


class BoxConvention(str, Enum):
    infocam_lit = "infocam_lit"  # SPEC §4.2: inclusive boxes, float thresholds, components
    wsolevaluation = "wsolevaluation"  # clovaai/wsolevaluation's MaxBoxAccV2 exactly (needs OpenCV)


@dataclass
class LossConfig:
    name: LossName = MISSING  # each option of conf/loss names itself
    tau: float = 1.0  # temperature of logit_adjusted (and of its MI read-out)
    posthoc_tau: float = 1.0  # softmax's post-hoc adjusted prediction: argmax n(x) - posthoc_tau * log pi

    def __post_init__(self) -> None:
        require(self.tau >= 0, "loss.tau", ">= 0", self.tau)
        require(self.posthoc_tau >= 0, "loss.posthoc_tau", ">= 0", self.posthoc_tau)


@dataclass
class CamConfig:
    region_size: int = 5  # R of the region sum (Eq. 13-15); 1 = no region
    # same | centered (an even R's window without same's half-cell shift) | legacy (the authors' full
    # convolution, (h+R-1) x (w+R-1)); maths/cam.py
    region_mode: RegionMode = RegionMode.same
    # the cells outside the map in the region sum: zeros (the paper's) | replicate | reflect (controls for the
    # centre prior that zero padding adds); same and centered only
    region_padding: RegionPadding = RegionPadding.zeros
    plus_mode: PlusMode = PlusMode.paper  # paper (per-location minimum) | legacy (the lowest-logit class)
    threshold: float = 0.2  # box threshold, a fraction of the map's maximum after min-max normalisation
    upsample: Upsample = Upsample.bicubic
    maxboxacc_in_val: bool = False  # MaxBoxAccV2 sweeps thresholds over every image: test only by default
    threshold_step: float = 0.01  # the threshold grid of MaxBoxAccV2 and of the held-out tau (val_tau)
    # MaxBoxAccV2's convention: infocam_lit (SPEC §4.2) | wsolevaluation (its evaluator exactly, for comparison
    # with published numbers; needs data.eval_transform=wsolevaluation and OpenCV)
    box_convention: BoxConvention = BoxConvention.infocam_lit

    def __post_init__(self) -> None:
        require(self.region_size >= 1, "cam.region_size", ">= 1", self.region_size)
        require(self.region_mode != RegionMode.legacy or self.region_padding == RegionPadding.zeros,
                "cam.region_padding", "zeros with cam.region_mode=legacy (the authors' zero-padded convolution)",
                self.region_padding.value)
        require(0 <= self.threshold < 1, "cam.threshold", "in [0, 1)", self.threshold)
        require(0 < self.threshold_step <= 0.5, "cam.threshold_step", "in (0, 0.5]", self.threshold_step)

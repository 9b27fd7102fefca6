"""The pieces several schemas share, each written once with its comment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from omegaconf import MISSING

from infocam_lit.run.schema.checks import require


def require_loader_sizes(section) -> None:
    """batch_size and eval_batch_size >= 1, and num_workers >= 0 where the section has workers."""
    for key in ("batch_size", "eval_batch_size"):
        require(getattr(section, key) >= 1, f"data.{key}", ">= 1", getattr(section, key))
    if hasattr(section, "num_workers"):
        require(section.num_workers >= 0, "data.num_workers", ">= 0", section.num_workers)


@dataclass
class DataFolderConfig:
    """A dataset read from files under `root`."""
    _target_: str = MISSING
    root: str = "${paths.data_dir}"
    download: bool = False  # true fetches the files where the network allows


@dataclass
class ArchiveConfig(DataFolderConfig):
    """A dataset fetched as one archive (data/archive.py), checked against its MD5."""
    url: str = MISSING  # the official archive, a mirror, or file:///path/to/the/archive
    md5: Optional[str] = MISSING  # null: no checksum (a custom archive); the official one also checks the counts


@dataclass
class WorkersConfig:
    """Image loaders: worker processes and pinned memory."""
    num_workers: int = 4
    pin_memory: bool = True


# model.net, model.optimizer and model.scheduler are `_target_`s with their arguments, built inside
# the module (modules/components.py). A net's schema lists its arguments, so a mistyped one fails
# at composition; optimizer and scheduler take any argument of their target and are checked in
# validate_config (run/preflight.py) by building them.
@dataclass
class TrainedModuleConfig:
    """A LightningModule with parameters, an optimiser and a schedule."""
    _target_: str = MISSING
    # the module builds net, optimizer and scheduler from their configs, so instantiate(cfg.model, ...) works
    # as it stands
    _recursive_: bool = False
    optimizer: Any = MISSING  # {_target_: torch.optim.SGD, _partial_: true, lr: ..., ...}
    scheduler: Any = None  # null, or {_target_: torch.optim.lr_scheduler.MultiStepLR, _partial_: true, ...}


@dataclass
class ImageModuleConfig(TrainedModuleConfig):
    """A module whose network is chosen by the model file (model.net: a schema of schema/net)."""
    net: Any = MISSING
    channels_last: bool = False  # weights and image batches in NHWC memory (GPU mixed precision; no effect on 2-D data)
    compile: bool = False  # the network's forward through torch.compile (training and classification; slower start)


@dataclass
class PretrainedNetConfig:
    """A torchvision network that may start from ImageNet weights."""
    _target_: str = MISSING
    pretrained: Any = True  # true (torchvision's ImageNet weights), false, or a local weights file

    def __post_init__(self) -> None:
        require(isinstance(self.pretrained, (bool, str)), "model.net.pretrained", "true, false or a file path",
                self.pretrained)

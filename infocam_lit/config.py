"""Structured config schemas, registered in Hydra's ConfigStore, and the range checks
that a schema cannot express.

Each YAML file of a group starts from one of these schemas (its defaults list
names `/schema/<group>/<name>@_here_`), so a wrong type or an unknown key fails at
composition with OmegaConf's message naming the key. Ranges and cross-field
rules live in each dataclass's `__post_init__`, which runs in `validate_config`
(OmegaConf.to_object builds the dataclasses) before any work is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field, is_dataclass
from enum import Enum
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from infocam_lit.losses import LossName


class ConfigError(ValueError):
    """A config value is out of its valid range; the message names the key."""


def _require(condition: bool, key: str, rule: str, value) -> None:
    if not condition:
        raise ConfigError(f"{key} must be {rule}, got {value!r}")


class OptimizerName(str, Enum):
    adam = "adam"
    adamw = "adamw"
    sgd = "sgd"


# --------------------------------------------------------------------------- loss
@dataclass
class LossConfig:
    name: LossName = LossName.softmax
    tau: float = 1.0  # temperature of logit_adjusted (and of its MI read-out)

    def __post_init__(self) -> None:
        _require(self.tau >= 0, "loss.tau", ">= 0", self.tau)


# --------------------------------------------------------------------------- data
@dataclass
class GMMDataConfig:
    _target_: str = "infocam_lit.data.gmm.GMMDataModule"
    dim: int = 5
    imbalanced: bool = True
    seed: int = 0
    batch_size: int = 512
    eval_batch_size: int = 8192

    def __post_init__(self) -> None:
        _require(self.dim >= 1, "data.dim", ">= 1", self.dim)
        _require(self.batch_size >= 1, "data.batch_size", ">= 1", self.batch_size)
        _require(self.eval_batch_size >= 1, "data.eval_batch_size", ">= 1", self.eval_batch_size)


# --------------------------------------------------------------------------- model
@dataclass
class OptimizerConfig:
    name: OptimizerName = OptimizerName.adam
    lr: float = 1e-3
    weight_decay: float = 0.0
    momentum: float = 0.0  # sgd only

    def __post_init__(self) -> None:
        _require(self.lr > 0, "model.optimizer.lr", "> 0", self.lr)
        _require(self.weight_decay >= 0, "model.optimizer.weight_decay", ">= 0", self.weight_decay)
        _require(self.momentum >= 0, "model.optimizer.momentum", ">= 0", self.momentum)


@dataclass
class MLPNetConfig:
    name: str = "mlp"
    hidden_sizes: list[int] = field(default_factory=lambda: [100, 100, 100])

    def __post_init__(self) -> None:
        _require(self.name == "mlp", "model.net.name", "'mlp' for this model", self.name)
        _require(all(h >= 1 for h in self.hidden_sizes), "model.net.hidden_sizes", ">= 1", self.hidden_sizes)


@dataclass
class ClassifierModelConfig:
    _target_: str = "infocam_lit.modules.classifier.ClassifierModule"
    net: MLPNetConfig = field(default_factory=MLPNetConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)


@dataclass
class MINEModelConfig:
    _target_: str = "infocam_lit.modules.mine.MINEModule"
    hidden_sizes: list[int] = field(default_factory=lambda: [100, 100, 100])
    ema_rate: float = 0.01  # moving-average rate of the DV denominator (bias correction)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)

    def __post_init__(self) -> None:
        _require(all(h >= 1 for h in self.hidden_sizes), "model.hidden_sizes", ">= 1", self.hidden_sizes)
        _require(0 < self.ema_rate <= 1, "model.ema_rate", "in (0, 1]", self.ema_rate)


# --------------------------------------------------------------------------- trainer
@dataclass
class TrainerConfig:
    """Every pytorch_lightning.Trainer argument a user may override from here."""

    _target_: str = "pytorch_lightning.Trainer"
    accelerator: str = "auto"
    devices: Any = "auto"
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    max_epochs: int = 200
    min_epochs: int = 1
    max_steps: int = -1
    max_time: Optional[str] = None  # "DD:HH:MM:SS"
    limit_train_batches: Any = None  # int (batches) or float (fraction)
    limit_val_batches: Any = None
    limit_test_batches: Any = None
    val_check_interval: Any = None
    check_val_every_n_epoch: int = 1
    num_sanity_val_steps: int = 2
    log_every_n_steps: int = 50
    accumulate_grad_batches: int = 1
    gradient_clip_val: Optional[float] = None
    deterministic: Any = False  # true | false | "warn"
    benchmark: Optional[bool] = None
    sync_batchnorm: bool = False
    detect_anomaly: bool = False
    fast_dev_run: Any = False

    def __post_init__(self) -> None:
        _require(self.max_epochs >= 1 or self.max_epochs == -1, "trainer.max_epochs", ">= 1 or -1", self.max_epochs)
        _require(self.num_nodes >= 1, "trainer.num_nodes", ">= 1", self.num_nodes)
        _require(self.accumulate_grad_batches >= 1, "trainer.accumulate_grad_batches", ">= 1",
                 self.accumulate_grad_batches)


# --------------------------------------------------------------------------- callbacks
@dataclass
class ModelCheckpointConfig:
    _target_: str = "pytorch_lightning.callbacks.ModelCheckpoint"
    dirpath: str = "${paths.output_dir}/checkpoints"
    filename: str = "best"
    monitor: str = "val/loss"
    mode: str = "min"
    save_last: bool = True
    save_top_k: int = 1
    auto_insert_metric_name: bool = False

    def __post_init__(self) -> None:
        _require(self.mode in ("min", "max"), "callbacks.model_checkpoint.mode", "'min' or 'max'", self.mode)


@dataclass
class EarlyStoppingConfig:
    _target_: str = "pytorch_lightning.callbacks.EarlyStopping"
    monitor: str = "${callbacks.model_checkpoint.monitor}"
    mode: str = "${callbacks.model_checkpoint.mode}"
    patience: int = 10
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        _require(self.patience >= 0, "callbacks.early_stopping.patience", ">= 0", self.patience)


@dataclass
class CallbacksConfig:
    model_checkpoint: Optional[ModelCheckpointConfig] = field(default_factory=ModelCheckpointConfig)
    early_stopping: Optional[EarlyStoppingConfig] = field(default_factory=EarlyStoppingConfig)


# --------------------------------------------------------------------------- logger
@dataclass
class WandbConfig:
    project: str = "infocam_lit"
    entity: Optional[str] = None
    group: Optional[str] = None
    tags: list[str] = field(default_factory=list)
    offline: bool = False  # forced on when no credentials are found
    log_model: bool = False


@dataclass
class LoggerConfig:
    wandb: Optional[WandbConfig] = None


def register_configs() -> None:
    """Put the schemas into Hydra's ConfigStore, under schema/<group>/ so that they
    are not listed among a group's options (called by the entry points)."""
    cs = ConfigStore.instance()
    for group, name, node in (
        ("loss", "loss", LossConfig),
        ("data", "gmm", GMMDataConfig),
        ("model", "classifier", ClassifierModelConfig),
        ("model", "mine", MINEModelConfig),
        ("trainer", "trainer", TrainerConfig),
        ("callbacks", "callbacks", CallbacksConfig),
        ("logger", "logger", LoggerConfig),
    ):
        cs.store(group=f"schema/{group}", name=name, node=node)


SCHEMA_BY_TARGET = {
    schema._target_: schema for schema in (GMMDataConfig, ClassifierModelConfig, MINEModelConfig)
}


def typed_section(section: dict) -> DictConfig:
    """A saved (plain) data or model section, typed again by the schema of its _target_."""
    schema = SCHEMA_BY_TARGET.get(section.get("_target_"))
    if schema is None:
        return OmegaConf.create(section)
    return OmegaConf.merge(OmegaConf.structured(schema), section)


def validate_config(cfg: DictConfig) -> None:
    """Run every section's range checks; raise ConfigError naming the key."""
    for section in ("data", "model", "loss", "trainer", "callbacks", "logger"):
        node = cfg.get(section)
        if node is not None and is_dataclass(OmegaConf.get_type(node)):
            OmegaConf.to_object(node)  # builds the dataclass, so __post_init__ runs


def to_plain(value):
    """DictConfig / ListConfig / Enum values as plain dicts, lists and strings, which
    is what module hyper-parameters must be for checkpoints to load with weights_only."""
    if OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True, enum_to_str=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value

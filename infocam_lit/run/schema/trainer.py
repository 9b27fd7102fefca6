"""The `trainer` and `callbacks` groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from infocam_lit.run.schema.checks import require, require_known

ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")  # Lightning's accelerator names


@dataclass
class TrainerConfig:
    """Every pytorch_lightning.Trainer argument a user may override from here."""

    _target_: str = "pytorch_lightning.Trainer"
    accelerator: str = "auto"
    devices: Any = 1
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
    overfit_batches: Any = 0.0  # int (batches) or float (fraction): train, validate and test on the same batches
    # null, a name ("simple", "advanced", "pytorch") or a `_target_` profiler with its arguments (debug=profiler)
    profiler: Any = None
    enable_progress_bar: bool = True  # a bar on a terminal (one line per epoch elsewhere); false: never a bar

    def __post_init__(self) -> None:
        require_known("trainer.accelerator", [self.accelerator], ACCELERATORS)
        require(self.max_epochs >= 1 or self.max_epochs == -1, "trainer.max_epochs", ">= 1 or -1", self.max_epochs)
        require(self.num_nodes >= 1, "trainer.num_nodes", ">= 1", self.num_nodes)
        require(self.accumulate_grad_batches >= 1, "trainer.accumulate_grad_batches", ">= 1",
                self.accumulate_grad_batches)


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
        require(self.mode in ("min", "max"), "callbacks.model_checkpoint.mode", "'min' or 'max'", self.mode)


@dataclass
class EarlyStoppingConfig:
    _target_: str = "pytorch_lightning.callbacks.EarlyStopping"
    monitor: str = "${callbacks.model_checkpoint.monitor}"
    mode: str = "${callbacks.model_checkpoint.mode}"
    patience: int = 10
    min_delta: float = 0.0

    def __post_init__(self) -> None:
        require(self.patience >= 0, "callbacks.early_stopping.patience", ">= 0", self.patience)


@dataclass
class CallbacksConfig:
    model_checkpoint: Optional[ModelCheckpointConfig] = field(default_factory=ModelCheckpointConfig)
    early_stopping: Optional[EarlyStoppingConfig] = field(default_factory=EarlyStoppingConfig)
    # what a run leaves behind (infocam_lit/run/artifacts.py), each {_target_: ...} or null;
    # the experiments list theirs
    run_summary: Optional[Any] = None
    confusion_figures: Optional[Any] = None
    mi_curve: Optional[Any] = None
    localization_figures: Optional[Any] = None

"""Pieces the train and evaluate tasks share."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytorch_lightning as pl
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_only

from infocam_lit.data.base import ExperimentDataModule
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.run.artifacts import TestArtifact, final_metrics
from infocam_lit.run.config import ConfigError
from infocam_lit.run.loggers import build_loggers
from infocam_lit.run.progress import progress_callbacks
from infocam_lit.run.provenance import environment, write_environment
from infocam_lit.run.run_files import RUN_CONFIG_KEY
from infocam_lit.run.run_key import DEFAULT_KEY, run_key

# Lightning's own use of a deprecated torch API; nothing a user can act on.
warnings.filterwarnings("ignore", message=".*LeafSpec.*")


def plain(node) -> dict | list | None:
    """Resolved plain containers: what modules and checkpoints may hold."""
    if node is None:
        return None
    return OmegaConf.to_container(node, resolve=True, enum_to_str=True)


def instantiate_plain(node, **kwargs):
    """hydra's instantiate on plain values (Enums as strings, no DictConfig inside objects)."""
    return instantiate(plain(node), _convert_="all", **kwargs)


class RunConfigInCheckpoint(Callback):
    """Stores the experiment's data, model and loss config in every checkpoint, so
    evaluate.py rebuilds the same data split and model from the file alone."""

    def __init__(self, run_config: dict):
        self.run_config = run_config

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        checkpoint[RUN_CONFIG_KEY] = self.run_config


# Config groups handed to a module's constructor when it takes them (MINE has no loss, only WSOL maps).
MODULE_GROUPS = ("loss", "cam")


def group_inputs(cfg: DictConfig, target: str) -> dict:
    parameters = inspect.signature(get_class(target)).parameters
    return {group: plain(cfg[group]) for group in MODULE_GROUPS if group in parameters and cfg.get(group) is not None}


def run_config(cfg: DictConfig) -> dict:
    return {"experiment_name": cfg.get("experiment_name"), "seed": cfg.get("seed"), "data": plain(cfg.data),
            "model": plain(cfg.model), **{group: plain(cfg.get(group)) for group in MODULE_GROUPS}}


def build_trainer(cfg: DictConfig, callbacks: list[Callback], run_name: str) -> pl.Trainer:
    output_dir = cfg.paths.output_dir
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    extra_callbacks, show_bar = progress_callbacks(cfg.trainer.enable_progress_bar)
    loggers = build_loggers(plain(cfg.get("logger")), output_dir, run_name, {**plain(cfg), "env": environment()},
                            run_tags(cfg))
    return instantiate_plain(cfg.trainer, callbacks=callbacks + extra_callbacks, logger=loggers,
                             default_root_dir=output_dir, enable_progress_bar=show_bar)


def require_contracts(module, datamodule) -> None:
    """The run layer reads what these bases declare: say so plainly when a config names other classes."""
    if not isinstance(module, ExperimentModule):
        raise TypeError(f"model._target_ must name a subclass of {ExperimentModule.__module__}.ExperimentModule, "
                        f"not {type(module).__module__}.{type(module).__name__}")
    if not isinstance(datamodule, ExperimentDataModule):
        raise TypeError(f"data._target_ must name a subclass of {ExperimentDataModule.__module__}."
                        f"ExperimentDataModule, not {type(datamodule).__module__}.{type(datamodule).__name__}")


def finish(trainer: pl.Trainer, module: ExperimentModule, datamodule: ExperimentDataModule) -> dict[str, float]:
    """The final metrics (the RunSummary callback wrote and printed them when testing ended), and
    the W&B run closed: the next job of a multirun (same process) must start a run of its own."""
    metrics = final_metrics(module, datamodule)
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger) and trainer.is_global_zero:
            logger.experiment.finish()
    return metrics


def artifact_callbacks(cfg: DictConfig) -> list[Callback]:
    """The callbacks the config lists that write a run's artifacts at test time (what evaluate.py needs)."""
    callbacks = [instantiate(c, _convert_="all") for c in (plain(cfg.get("callbacks")) or {}).values() if c]
    return [c for c in callbacks if isinstance(c, TestArtifact)]


@rank_zero_only
def write_run_config(cfg: DictConfig) -> None:
    """config.yaml in the run folder, every interpolation resolved (Hydra's .hydra/ keeps the raw one),
    and env.json, what produced the run (run/provenance.py)."""
    output_dir = Path(cfg.paths.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    write_environment(output_dir, environment())


def run_tags(cfg: DictConfig) -> dict:
    """W&B grouping and tags: the sweep a job belongs to, the config choices that matter and the user's tags."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    tags = {}
    if HydraConfig.initialized():
        hydra_cfg = HydraConfig.get()
        choices = hydra_cfg.runtime.choices
        tags["tags"] = [f"{group}={choices[group]}" for group in ("experiment", "model", "loss", "data")
                        if choices.get(group)]
        if hydra_cfg.mode == RunMode.MULTIRUN:
            tags["group"] = f"{cfg.get('experiment_name')}/{Path(hydra_cfg.sweep.dir).name}"
    net = (plain(cfg.get("model")) or {}).get("net") or {}
    if "adl" in net:
        tags.setdefault("tags", []).append(f"adl={net['adl']}")
    if cfg.get("cam") is not None and "wsol" in str(cfg.get("experiment_name")):
        tags.setdefault("tags", []).append(f"region_size={cfg.cam.region_size}")
    tags.setdefault("tags", []).extend(cfg.get("tags") or [])  # the user's own (tags=[ablation,lr])
    return tags


def run_name(cfg: DictConfig) -> str:
    """The experiment and the job's result-changing overrides (as in its folder name)."""
    from hydra.core.hydra_config import HydraConfig

    name = cfg.get("experiment_name") or "run"
    if HydraConfig.initialized():
        key = run_key(HydraConfig.get().overrides.task)
        if key != DEFAULT_KEY:
            name = f"{name}:{key}"
    return name


@contextmanager
def checkpoint_must_fit(ckpt_path: str | None) -> Iterator[None]:
    """A checkpoint whose tensors do not fit the configured model (another net, another class count, another
    input dimension) is a ConfigError naming the file, the overrides to blame and the first mismatch, not a
    page of state-dict keys."""
    try:
        yield
    except RuntimeError as error:
        lines = str(error).splitlines()
        if not ckpt_path or not lines or not lines[0].startswith("Error(s) in loading state_dict"):
            raise
        detail = (lines[1].strip() if len(lines) > 1 else lines[0])[:300].rstrip(".")
        blamed = overrides_unlike_checkpoint(ckpt_path, task_overrides())
        if blamed:
            raise ConfigError(f"{ckpt_path} does not fit {blamed}: {detail}. Drop those overrides to use the "
                              "checkpoint as it was trained") from error
        raise ConfigError(f"{ckpt_path} does not fit the configured model ({detail}). Use the model and data "
                          "settings it was trained with (evaluate.py restores them unless overridden), or train "
                          "again") from error


def task_overrides() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


# The config sections a checkpoint carries (RunConfigInCheckpoint), which shape the model it holds.
CHECKPOINT_SECTIONS = ("data", "model", "loss", "cam")
_ABSENT = object()


def overrides_unlike_checkpoint(ckpt_path: str, overrides: list[str]) -> str:
    """'data.dim=10 (trained with data.dim=5)': the overrides of the checkpoint's sections whose value is
    not the one it was trained with ('' when none, or when the file says nothing of its config)."""
    import torch
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        saved = torch.load(ckpt_path, map_location="cpu", weights_only=True, mmap=True)[RUN_CONFIG_KEY]
    except Exception:  # noqa: BLE001 (the message is only less precise without it)
        return ""
    given, trained = [], []
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        if key.split(".")[0] not in CHECKPOINT_SECTIONS:
            continue
        was = _saved_value(saved, key) if "." in key else _ABSENT  # a group choice replaces the whole section
        if override.is_delete() or was is _ABSENT or override.value() != was:
            given.append(override.input_line)
            if was is not _ABSENT:
                trained.append(f"{key}={_as_override(was)}")
    return ", ".join(given) + (f" (trained with {', '.join(trained)})" if trained else "")


def _as_override(value) -> str:
    """A saved value as the command line writes it (true, null; not True, None)."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    return str(value)


def _saved_value(saved: dict, key: str):
    node = saved
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node

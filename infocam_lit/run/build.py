"""Building a run's pieces from its config, in the order a task needs them: the run folder's config,
the DataModule (prepared once per node and set up), the module (new, or loaded from a checkpoint), the
callbacks and the trainer with its loggers."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import pytorch_lightning as pl
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback, ModelCheckpoint
from pytorch_lightning.utilities import rank_zero_only

from infocam_lit.data.base import ExperimentDataModule
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.modules.hparams import to_plain
from infocam_lit.run.artifacts import TestArtifact
from infocam_lit.run.config_tree import config_tree
from infocam_lit.run.errors import RunRefused
from infocam_lit.run.loggers import build_loggers
from infocam_lit.run.prepare import prepare_once_per_node
from infocam_lit.run.progress import progress_callbacks
from infocam_lit.run.provenance import environment, write_environment
from infocam_lit.run.quiet import silence_known_noise
from infocam_lit.run.restore import MODULE_GROUPS, RunConfigInCheckpoint, checkpoint_must_fit, run_config
from infocam_lit.run.run_files import CONFIG_FILE
from infocam_lit.run.run_key import run_name, run_tags
from infocam_lit.run.run_record import read_checkpoint

log = logging.getLogger(__name__)
silence_known_noise()  # in one documented place (run/quiet.py); also when a test builds a trainer directly


def instantiate_plain(node, **kwargs):
    """hydra's instantiate on plain values (Enums as strings, no DictConfig inside objects)."""
    return instantiate(to_plain(node), _convert_="all", **kwargs)


@rank_zero_only
def write_run_config(cfg: DictConfig) -> None:
    """config.yaml in the run folder, every interpolation resolved (Hydra's .hydra/ keeps the raw one),
    and env.json, what produced the run (run/provenance.py)."""
    output_dir = Path(cfg.paths.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / CONFIG_FILE).write_text(OmegaConf.to_yaml(cfg, resolve=True))
    write_environment(output_dir, environment())
    if cfg.extras.print_config:
        log.info("\n%s", config_tree(cfg, f"config ({output_dir / CONFIG_FILE})"))


def build_data(cfg: DictConfig, stage: str) -> ExperimentDataModule:
    """The DataModule of `data._target_`, prepared once per node (downloads, caches) and set up for `stage`."""
    datamodule = instantiate_plain(cfg.data)
    prepare_once_per_node(datamodule)
    datamodule.setup(stage)
    return datamodule


def group_inputs(cfg: DictConfig, target: str) -> dict:
    """The config groups (loss, cam) the module `target` names in its constructor, as plain values."""
    parameters = inspect.signature(get_class(target)).parameters
    return {group: to_plain(cfg[group]) for group in MODULE_GROUPS
            if group in parameters and cfg.get(group) is not None}


def build_module(cfg: DictConfig, datamodule: ExperimentDataModule) -> ExperimentModule:
    """A new module of `model._target_`, given what the data tells it and the config groups it takes."""
    module = instantiate_plain(cfg.model, **datamodule.model_kwargs(), **group_inputs(cfg, cfg.model._target_))
    require_contracts(module, datamodule)
    return module


def load_module(cfg: DictConfig, ckpt_path: str, data_arguments: dict) -> ExperimentModule:
    """The checkpoint's module, its hyper-parameters replaced by the (restored, then overridden) model and
    group sections and by `data_arguments`, what the data tells the module (run/restore.py's
    `arguments_the_checkpoint_lacks` among them)."""
    target = cfg.model._target_
    hparams = {k: v for k, v in to_plain(cfg.model).items() if k not in ("_target_", "_recursive_")}
    hparams |= group_inputs(cfg, target) | data_arguments
    with checkpoint_must_fit(ckpt_path):
        return module_from_checkpoint(get_class(target), read_checkpoint(ckpt_path), hparams)


def module_from_checkpoint(module_class: type, checkpoint: dict, arguments: dict) -> ExperimentModule:
    """What Lightning's load_from_checkpoint does, from contents already read (run/run_record.py reads a
    checkpoint once per command): the module built from its saved hyper-parameters with `arguments` on top
    (those its constructor does not take are dropped, as Lightning drops them), then its weights, strictly."""
    saved = dict(checkpoint.get("hyper_parameters", {})) | arguments
    parameters = inspect.signature(module_class).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        saved = {key: value for key, value in saved.items() if key in parameters}
    module = module_class(**saved)
    module.on_load_checkpoint(checkpoint)
    module.load_state_dict(checkpoint["state_dict"], strict=module.strict_loading)
    return module


def require_contracts(module, datamodule) -> None:
    """The run layer reads what these bases declare: say so plainly when a config names other classes."""
    if not isinstance(module, ExperimentModule):
        raise RunRefused(f"model._target_ must name a subclass of {ExperimentModule.__module__}.ExperimentModule, "
                        f"not {type(module).__module__}.{type(module).__name__}")
    if datamodule is not None and not isinstance(datamodule, ExperimentDataModule):
        raise RunRefused(f"data._target_ must name a subclass of {ExperimentDataModule.__module__}."
                        f"ExperimentDataModule, not {type(datamodule).__module__}.{type(datamodule).__name__}")


def configured_callbacks(cfg: DictConfig) -> list[Callback]:
    """Every callback `callbacks.*` configures."""
    return [instantiate(c, _convert_="all") for c in (to_plain(cfg.get("callbacks")) or {}).values() if c]


def config_callbacks(cfg: DictConfig) -> list[Callback]:
    """A training run's callbacks: the configured ones and the one that stores the run config in checkpoints."""
    return configured_callbacks(cfg) + [RunConfigInCheckpoint(run_config(cfg))]


def artifact_callbacks(cfg: DictConfig) -> list[Callback]:
    """The callbacks the config lists that write a run's artifacts at test time (what evaluate.py needs)."""
    return [c for c in configured_callbacks(cfg) if isinstance(c, TestArtifact)]


def build_trainer(cfg: DictConfig, callbacks: list[Callback]) -> pl.Trainer:
    """`trainer._target_` with `callbacks`, the progress line and the configured loggers, named after the run."""
    output_dir = cfg.paths.output_dir
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    extra_callbacks, show_bar = progress_callbacks(cfg.trainer.enable_progress_bar)
    loggers = build_loggers(to_plain(cfg.get("logger")), output_dir, run_name(cfg),
                            {**to_plain(cfg), "env": environment()}, run_tags(cfg))
    # no checkpoint callback configured (callbacks=none): no checkpoints, not Lightning's default one
    checkpointing = any(isinstance(c, ModelCheckpoint) for c in callbacks)
    return instantiate_plain(cfg.trainer, callbacks=callbacks + extra_callbacks, logger=loggers,
                             default_root_dir=output_dir, enable_progress_bar=show_bar,
                             enable_checkpointing=checkpointing)

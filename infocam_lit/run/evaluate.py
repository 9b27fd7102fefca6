"""The evaluate task: test a checkpoint on the test split of its experiment.

The data, model and loss config are restored from the checkpoint, so the same
test split is rebuilt; `data.x=...`, `model.x=...` or `loss.x=...` on the
command line apply on top (e.g. a new data.root), and choosing a whole group
(`data=...`) replaces the saved section.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf, open_dict

from infocam_lit.run.common import (
    RUN_CONFIG_KEY,
    artifact_callbacks,
    build_trainer,
    checkpoint_must_fit,
    finish,
    group_inputs,
    instantiate_plain,
    plain,
    require_contracts,
    run_name,
    write_run_config,
)
from infocam_lit.run.config import ConfigError, require_known, typed_section, validate_config
from infocam_lit.run.prepare import prepare_once_per_node
from infocam_lit.run.scoremaps import ScoremapExport

log = logging.getLogger(__name__)
RESTORED_SECTIONS = ("data", "model", "loss", "cam")
# What the data tells a module about the shapes of its layers (its model_kwargs). The model is built with
# the data's values, as in training, so a data override that changes them (data.dim=10 for a d = 5 run)
# stops when the weights load, naming the override; the class prior stays the trained one (the read-outs
# use the prior the model was trained under).
DATA_SIZES = ("input_dim", "num_classes", "num_labels")


def load_run_config(ckpt_path: str) -> dict:
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"ckpt_path={ckpt_path!r}: no such file")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    if RUN_CONFIG_KEY not in checkpoint:
        raise ConfigError(f"{path} holds no experiment config: it was not written by infocam_lit's train task")
    saved = checkpoint[RUN_CONFIG_KEY]
    model = saved.get("model") or {}
    if "name" in (model.get("net") or {}) or "name" in (model.get("optimizer") or {}):
        raise ConfigError(f"{path} predates networks and optimisers configured by _target_ (model.net.name, "
                          "model.optimizer.name): evaluate it with the infocam_lit version that trained it, or "
                          "train again")
    return saved


def restore_config(cfg: DictConfig, saved: dict, overrides: list[str]) -> DictConfig:
    """cfg's data/model/loss replaced by the saved ones, then the user's overrides on top."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    chosen_groups = {o.key_or_group for o in parsed if "." not in o.key_or_group}
    with open_dict(cfg):
        for section in RESTORED_SECTIONS:
            if section not in chosen_groups and saved.get(section) is not None:
                cfg[section] = typed_section(saved[section], section)
        if saved.get("experiment_name"):
            cfg.experiment_name = saved["experiment_name"]
        for o in parsed:
            if o.key_or_group.split(".")[0] in RESTORED_SECTIONS and "." in o.key_or_group:
                OmegaConf.update(cfg, o.key_or_group, o.value(), merge=False)
    return cfg


EXPORTS = ("scoremaps",)


def export_callbacks(cfg: DictConfig) -> list:
    """export=scoremaps: the test maps and metadata as wsolevaluation's evaluator reads them."""
    export = cfg.get("export")
    if export is None:
        return []
    require_known("export", [export], EXPORTS)
    return [ScoremapExport(Path(cfg.paths.output_dir) / "scoremaps", list(cfg.export_maps))]


def evaluate(cfg: DictConfig) -> dict[str, float]:
    if not cfg.get("ckpt_path"):
        raise ConfigError("ckpt_path is required: python evaluate.py experiment=<name> ckpt_path=<file.ckpt>")
    saved = load_run_config(cfg.ckpt_path)
    overrides = list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []
    cfg = restore_config(cfg, saved, overrides)
    validate_config(cfg)
    write_run_config(cfg)

    datamodule = instantiate_plain(cfg.data)
    prepare_once_per_node(datamodule)
    datamodule.setup("test")
    module_class = get_class(saved["model"]["_target_"])
    # The (restored, then overridden) model and loss settings replace the saved hyper-parameters.
    hparams = {k: v for k, v in plain(cfg.model).items() if k not in ("_target_", "_recursive_")}
    hparams.update(group_inputs(cfg, saved["model"]["_target_"]))
    hparams.update({k: v for k, v in datamodule.model_kwargs().items() if k in DATA_SIZES})
    with checkpoint_must_fit(cfg.ckpt_path):
        model = module_class.load_from_checkpoint(cfg.ckpt_path, map_location="cpu", weights_only=True, **hparams)
    require_contracts(model, datamodule)
    trainer = build_trainer(cfg, callbacks=artifact_callbacks(cfg) + export_callbacks(cfg), run_name=run_name(cfg))
    trainer.test(model, datamodule=datamodule, verbose=False)
    return finish(trainer, model, datamodule)

"""The train task: fit on train, select on validation, test the best checkpoint."""

from __future__ import annotations

import logging

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

from infocam_lit.config import validate_config
from infocam_lit.tasks.common import (
    RunConfigInCheckpoint,
    build_trainer,
    finish,
    group_inputs,
    instantiate_plain,
    plain,
    run_config,
    run_name,
    write_resolved_config,
)

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, float]:
    validate_config(cfg)
    write_resolved_config(cfg)
    pl.seed_everything(cfg.seed, workers=True)

    datamodule = instantiate_plain(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    model = instantiate_plain(cfg.model, **datamodule.model_kwargs(), **group_inputs(cfg, cfg.model._target_))

    callbacks = [instantiate(c, _convert_="all") for c in (plain(cfg.callbacks) or {}).values() if c]
    callbacks.append(RunConfigInCheckpoint(run_config(cfg)))
    trainer = build_trainer(cfg, callbacks, run_name(cfg))

    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    if best:
        log.info("testing the best checkpoint by %s: %s", trainer.checkpoint_callback.monitor, best)
    trainer.test(model, datamodule=datamodule, ckpt_path=best or None, verbose=False)
    return finish(trainer, model, datamodule, cfg)

"""The train task: fit on train, select on validation, test the best checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from infocam_lit.run.artifacts import finish
from infocam_lit.run.build import build_data, build_module, build_trainer, config_callbacks, write_run_config
from infocam_lit.run.errors import RunRefused
from infocam_lit.run.jobs import (
    clear_failure,
    in_multirun,
    is_finished,
    record_failure,
    refuse_multirun_with_ddp,
    resume_checkpoint,
    sweep_job_checkpoint,
)
from infocam_lit.run.preflight import validate_config
from infocam_lit.run.restore import checkpoint_must_fit, require_checkpoint_file
from infocam_lit.run.run_files import FAILED_FILE, RecordWallTime, WallTime
from infocam_lit.run.search import finished_objective, objective

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> float | None:
    """One run, or one job of a sweep: a finished job is skipped, an unfinished one resumes, and a
    failed one is recorded in its folder (failed.txt) while the sweep goes on. Returns the value of
    `optimized_metric` for a hyper-parameter search (infocam_lit/run/search.py), None when none is
    configured or the job failed."""
    output_dir = Path(cfg.paths.output_dir)
    if in_multirun():
        refuse_multirun_with_ddp(cfg.trainer, str(HydraConfig.get().launcher.get("_target_", "")))
        if is_finished(output_dir):
            log.info("finished already, skipped: %s", output_dir)
            return finished_objective(cfg, output_dir)
        ckpt_path = sweep_job_checkpoint(output_dir, cfg.get("ckpt_path"))
    else:
        ckpt_path = resume_checkpoint(output_dir, cfg.get("ckpt_path"))  # before anything is written to the folder
    clear_failure(output_dir)
    wall_time = WallTime(output_dir)
    try:
        validate_config(cfg)
        if ckpt_path is not None:
            require_checkpoint_file(ckpt_path)
        return fit_and_test(cfg, ckpt_path, wall_time)
    except RunRefused:
        raise  # no failure of the run: nothing is recorded, and a sweep stops
    except Exception as error:
        record_failure(output_dir, error)
        if not in_multirun():
            raise
        log.exception("the job failed; the sweep goes on (traceback in %s)", output_dir / FAILED_FILE)
        return None  # a search records a failed trial and goes on (infocam_lit/run/search.py)
    finally:
        wall_time.record()


def fit_and_test(cfg: DictConfig, ckpt_path: str | None, wall_time: WallTime) -> float | None:
    pl.seed_everything(cfg.seed, workers=True)
    write_run_config(cfg)
    datamodule = build_data(cfg, "fit")
    model = build_module(cfg, datamodule)
    trainer = build_trainer(cfg, config_callbacks(cfg) + [RecordWallTime(wall_time)])

    if model.needs_training:
        with checkpoint_must_fit(ckpt_path):
            trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    else:
        log.info("%s needs no training: testing it directly", type(model).__name__)
    checkpoint = trainer.checkpoint_callback
    best = checkpoint.best_model_path if checkpoint else ""
    if best:
        log.info("testing the best checkpoint by %s: %s", checkpoint.monitor, best)
    trainer.test(model, datamodule=datamodule, ckpt_path=best or None, verbose=False)
    metrics = finish(trainer, model, datamodule)
    return objective(cfg, metrics, checkpoint.monitor if checkpoint else None,
                     checkpoint.best_model_score if checkpoint else None)

"""The evaluate task: test a checkpoint on the test split of its experiment.

The run config is rebuilt from the checkpoint (run/restore.py), so the same test split is rebuilt;
`data.x=...`, `model.x=...`, `loss.x=...` or `cam.x=...` on the command line apply on top (e.g. a new
data.root), and choosing a whole group (`data=...`) replaces the saved section.
"""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig

from infocam_lit.run.artifacts import finish
from infocam_lit.run.build import (
    artifact_callbacks,
    build_data,
    build_trainer,
    load_module,
    require_contracts,
    write_run_config,
)
from infocam_lit.run.jobs import evaluate_job_is_done, in_multirun
from infocam_lit.run.preflight import validate_config
from infocam_lit.run.restore import arguments_the_checkpoint_lacks, restore_run
from infocam_lit.run.run_files import read_metrics
from infocam_lit.run.schema import ConfigError, require_known
from infocam_lit.run.scoremaps import ScoremapExport

log = logging.getLogger(__name__)
# What the data tells a module about the shapes of its layers (its model_kwargs). The model is built with
# the data's values, as in training, so a data override that changes them (data.dim=10 for a d = 5 run)
# stops when the weights load, naming the override; the class prior stays the trained one (the read-outs
# use the prior the model was trained under).
DATA_SIZES = ("input_dim", "num_classes", "num_labels")
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
        raise ConfigError("ckpt_path is required: python evaluate.py ckpt_path=<file.ckpt> [key=value ...]")
    output_dir = Path(cfg.paths.output_dir)
    if in_multirun() and evaluate_job_is_done(output_dir, cfg.ckpt_path):
        log.info("finished already, skipped: %s", output_dir)
        return read_metrics(output_dir)
    cfg = restore_run(cfg)
    lacking = arguments_the_checkpoint_lacks(cfg.ckpt_path)
    validate_config(cfg)

    write_run_config(cfg)
    datamodule = build_data(cfg, "test")
    sizes = {k: v for k, v in datamodule.model_kwargs().items() if k in DATA_SIZES}
    model = load_module(cfg, cfg.ckpt_path, lacking | sizes)
    require_contracts(model, datamodule)
    trainer = build_trainer(cfg, artifact_callbacks(cfg) + export_callbacks(cfg))
    trainer.test(model, datamodule=datamodule, verbose=False)
    return finish(trainer, model, datamodule)

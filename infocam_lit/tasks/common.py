"""Pieces the train and evaluate tasks share."""

from __future__ import annotations

import csv
import inspect
import logging
import warnings
from pathlib import Path

import pytorch_lightning as pl
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_only

from infocam_lit.loggers import build_loggers
from infocam_lit.progress import progress_callbacks
from infocam_lit.run_files import write_metrics
from infocam_lit.run_key import DEFAULT_KEY, run_key
from infocam_lit.summary import summary_line

log = logging.getLogger(__name__)
# Lightning's own use of a deprecated torch API; nothing a user can act on.
warnings.filterwarnings("ignore", message=".*LeafSpec.*")

RUN_CONFIG_KEY = "infocam_lit_run_config"


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
    extra_callbacks, show_bar = progress_callbacks()
    loggers = build_loggers(plain(cfg.get("logger")), output_dir, run_name, plain(cfg), run_tags(cfg))
    return instantiate_plain(cfg.trainer, callbacks=callbacks + extra_callbacks, logger=loggers,
                             default_root_dir=output_dir, enable_progress_bar=show_bar)


def finish(trainer: pl.Trainer, module, datamodule, cfg: DictConfig) -> dict[str, float]:
    """Collect the test metrics and the data's ground truth; write metrics.json; log; print."""
    metrics = dict(module.test_results)
    references = datamodule.reference_metrics() if hasattr(datamodule, "reference_metrics") else {}
    for kind in getattr(module, "reference_kinds", ()):
        metrics.update(references.get(kind, {}))
    reference_values = {k: v for k, v in metrics.items() if k not in module.test_results}
    for logger in trainer.loggers:
        if reference_values:
            logger.log_metrics(reference_values, step=trainer.global_step)
        logger.save()
    if trainer.is_global_zero:
        path = write_metrics(cfg.paths.output_dir, metrics)
        log.info("metrics written to %s", path)
        save_confusion_figures(trainer, module, cfg.paths.output_dir)
        save_mi_figure(trainer, metrics, cfg.paths.output_dir)
        save_localization_figures(trainer, module, cfg.paths.output_dir)
        loss = plain(cfg.get("loss"))
        print(summary_line(metrics, loss["name"] if loss else None), flush=True)
    finish_wandb(trainer, metrics)
    return metrics


def save_confusion_figures(trainer: pl.Trainer, module, output_dir: str) -> None:
    """confusion_<split>.png in the run folder, also sent to W&B."""
    from infocam_lit.figures import plot_confusion

    for split, confusion in getattr(module, "test_confusion", {}).items():
        path = plot_confusion(confusion, Path(output_dir) / f"confusion_{split}.png", f"confusion matrix, {split}")
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(key=f"{split}/confusion", images=[str(path)])


def save_mi_figure(trainer: pl.Trainer, metrics: dict[str, float], output_dir: str) -> None:
    """mi_curve.png in the run folder (MI runs: validation estimate per epoch vs the exact value), also to W&B."""
    csv_file = Path(output_dir) / "csv" / "metrics.csv"
    if "test/mi" not in metrics or not csv_file.is_file():
        return
    from infocam_lit.figures import plot_mi_curve

    with csv_file.open() as f:
        rows = [row for row in csv.DictReader(f) if row.get("val/mi")]
    if not rows:
        return
    path = plot_mi_curve([int(row["epoch"]) for row in rows], [float(row["val/mi"]) for row in rows], metrics,
                         Path(output_dir) / "mi_curve.png")
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key="test/mi_curve", images=[str(path)])


def save_localization_figures(trainer: pl.Trainer, module, output_dir: str) -> None:
    """cams_<map>.png in the run folder (the paper's Figures 2-3), also sent to W&B."""
    examples = getattr(module, "test_examples", None)
    if not examples:
        return
    from infocam_lit.figures import plot_localization_grid

    for path in plot_localization_grid(examples, Path(output_dir)):
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(key=f"test/{path.stem}", images=[str(path)])


def finish_wandb(trainer: pl.Trainer, metrics: dict[str, float]) -> None:
    """Final metrics into the W&B run summary, and the run closed: the next job of a
    multirun (same process) must start a run of its own."""
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger) and trainer.is_global_zero:
            logger.experiment.summary.update(metrics)
            logger.experiment.finish()


@rank_zero_only
def write_resolved_config(cfg: DictConfig) -> None:
    """config.yaml in the run folder: every interpolation resolved (Hydra's .hydra/ keeps the raw one)."""
    output_dir = Path(cfg.paths.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))


def run_tags(cfg: DictConfig) -> dict:
    """W&B grouping and tags: the sweep a job belongs to, and the config choices that matter."""
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
    net = (plain(cfg.model) or {}).get("net") or {}
    if "adl" in net:
        tags.setdefault("tags", []).append(f"adl={net['adl']}")
    if cfg.get("cam") is not None and "wsol" in str(cfg.get("experiment_name")):
        tags.setdefault("tags", []).append(f"region_size={cfg.cam.region_size}")
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

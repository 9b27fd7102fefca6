"""What a run leaves behind, as Lightning callbacks each experiment lists in its config
(`callbacks.<name>._target_`): the run summary (metrics.json and the closing line), confusion
matrices, the MI curve and the CAM grids, each figure also sent to W&B. As callbacks they run
under `trainer.test` whoever calls it, train.py, evaluate.py or a user's own script."""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.loggers import WandbLogger

from infocam_lit.data.base import ExperimentDataModule
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.run.run_files import write_metrics, write_per_image

log = logging.getLogger(__name__)


def final_metrics(module: ExperimentModule, datamodule) -> dict[str, float]:
    """The module's test metrics and the data's ground truth of the kinds the module reports."""
    metrics = dict(module.test_results)
    references = datamodule.reference_metrics() if isinstance(datamodule, ExperimentDataModule) else {}
    for kind in module.reference_kinds:
        metrics.update(references.get(kind, {}))
    return metrics


def finish(trainer: pl.Trainer, module: ExperimentModule, datamodule) -> dict[str, float]:
    """The final metrics (RunSummary wrote and printed them when testing ended), and the W&B run closed:
    the next job of a multirun (same process) must start a run of its own."""
    metrics = final_metrics(module, datamodule)
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger) and trainer.is_global_zero:
            logger.experiment.finish()
    return metrics


def send_image(trainer: pl.Trainer, key: str, path: Path) -> None:
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[str(path)])


class TestArtifact(Callback):
    """A callback that writes something into the run folder (the trainer's default_root_dir) when
    testing ends, on the global-zero rank only."""

    def on_test_end(self, trainer: pl.Trainer, pl_module: ExperimentModule) -> None:
        if trainer.is_global_zero:
            self.write(trainer, pl_module, Path(trainer.default_root_dir))

    def write(self, trainer: pl.Trainer, pl_module: ExperimentModule, folder: Path) -> None:
        raise NotImplementedError


class RunSummary(TestArtifact):
    """metrics.json (test metrics and ground truth) and, where the module has them, the per-image results
    (per_image.csv.gz, its items named by the DataModule); the ground truth logged beside the test
    metrics, the final metrics in the W&B run summary, and the module's one-line summary printed."""

    def on_test_end(self, trainer: pl.Trainer, pl_module: ExperimentModule) -> None:
        metrics = final_metrics(pl_module, trainer.datamodule)
        references = {k: v for k, v in metrics.items() if k not in pl_module.test_results}
        for logger in trainer.loggers:
            if references:
                logger.log_metrics(references, step=trainer.global_step)
            logger.save()
        super().on_test_end(trainer, pl_module)

    def write(self, trainer: pl.Trainer, pl_module: ExperimentModule, folder: Path) -> None:
        metrics = final_metrics(pl_module, trainer.datamodule)
        log.info("metrics written to %s", write_metrics(folder, metrics))
        if pl_module.test_per_image is not None:
            datamodule = trainer.datamodule
            names = (datamodule.item_names(pl_module.per_image_split)
                     if isinstance(datamodule, ExperimentDataModule) else None)
            log.info("per-image results written to %s", write_per_image(folder, pl_module.test_per_image, names))
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.experiment.summary.update(metrics)
        print(pl_module.summary_line(metrics) + part_of_test_note(trainer), flush=True)


def part_of_test_note(trainer: pl.Trainer) -> str:
    """A summary line from part of the test split says so: the ground truth beside it (exact MI, Monte Carlo,
    Bayes accuracy) is computed over the whole split. An int limit is a number of batches, a float a fraction."""
    limit = trainer.limit_test_batches
    if isinstance(limit, float) and limit == 1.0:
        return ""
    return (f" [test metrics on part of the test split only (trainer.limit_test_batches={limit}: "
            f"{sum(trainer.num_test_batches)} batch(es) in all); the reference values beside them are over the "
            "whole split]")


class ConfusionFigures(TestArtifact):
    """confusion_<split>.png per test split with a confusion matrix."""

    def write(self, trainer: pl.Trainer, pl_module: ExperimentModule, folder: Path) -> None:
        from infocam_lit.run.figures import plot_confusion

        for split, confusion in pl_module.test_confusion.items():
            path = plot_confusion(confusion, folder / f"confusion_{split}.png", f"confusion matrix, {split}")
            send_image(trainer, f"{split}/confusion", path)


class MICurve(TestArtifact):
    """mi_curve.png: the validation estimate of I(X;Y) at each validation, as logged, beside the exact
    value and the final test estimate. The values it has seen travel in checkpoints, so a resumed
    run draws its whole curve."""

    def __init__(self, key: str = "val/mi"):
        self.key = key
        self.epochs: list[int] = []
        self.values: list[float] = []

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # after the module's epoch-end logging, so callback_metrics hold this epoch's value
        value = trainer.callback_metrics.get(self.key)
        if trainer.sanity_checking or value is None:
            return
        if self.epochs and self.epochs[-1] == trainer.current_epoch:  # validated twice in one epoch
            self.epochs.pop(), self.values.pop()
        self.epochs.append(trainer.current_epoch)
        self.values.append(float(value))

    def write(self, trainer: pl.Trainer, pl_module: ExperimentModule, folder: Path) -> None:
        if not self.values:
            return
        from infocam_lit.run.figures import plot_mi_curve

        metrics = final_metrics(pl_module, trainer.datamodule)
        path = plot_mi_curve(self.epochs, self.values, metrics, folder / "mi_curve.png")
        send_image(trainer, "test/mi_curve", path)

    def state_dict(self) -> dict:
        return {"epochs": list(self.epochs), "values": list(self.values)}

    def load_state_dict(self, state_dict: dict) -> None:
        self.epochs, self.values = list(state_dict["epochs"]), list(state_dict["values"])


class LocalizationFigures(TestArtifact):
    """cams_<map>.png per map variant (the paper's Figures 2-4) from the test examples the module kept."""

    def write(self, trainer: pl.Trainer, pl_module: ExperimentModule, folder: Path) -> None:
        if not pl_module.test_examples:
            return
        from infocam_lit.run.figures import plot_localization_grid

        for path in plot_localization_grid(pl_module.test_examples, folder):
            send_image(trainer, f"test/{path.stem}", path)

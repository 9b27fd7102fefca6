"""Progress reporting: a rich bar on a terminal, one plain line per epoch otherwise."""

from __future__ import annotations

import logging
import sys

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback, RichProgressBar

log = logging.getLogger(__name__)


def interactive() -> bool:
    return sys.stdout.isatty()


class EpochLine(Callback):
    """Logs the epoch's validation metrics in one line (for logs and batch jobs). At the end of the
    training epoch, after its validation: a callback's on_validation_epoch_end runs before the
    module has logged that validation's values."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.global_rank != 0:
            return
        values = " ".join(f"{k}={float(v):.4f}" for k, v in sorted(trainer.callback_metrics.items())
                          if k.startswith(("val/", "train/")))
        log.info("epoch %d: %s", trainer.current_epoch, values)


def progress_callbacks(bar_wanted: bool) -> tuple[list[Callback], bool]:
    """The callbacks to add and the Trainer's enable_progress_bar value: the bar only when it is wanted
    (trainer.enable_progress_bar) and stdout is a terminal, else the epoch lines."""
    if bar_wanted and interactive():
        return [RichProgressBar()], True
    return [EpochLine()], False

"""The messages every run would print that say nothing a user can act on, silenced in this one place.

Each entry says why it is harmless here. Everything else (Lightning's, torch's, W&B's own warnings) is shown.
- Lightning's "💡 Tip" lines: advertisements for litlogger and litmodels, printed by every Trainer.
- "You have overridden `on_after_batch_transfer` in `LightningModule` but have passed in a
  `LightningDataModule`": on purpose; the modules prepare a batch on its device (uint8 to float, channels
  last), and no DataModule of the project defines that hook.
- "'pin_memory' argument is set as true but no accelerator is found": data.pin_memory=true (the default)
  speeds up copies to a GPU, and is simply unused on a CPU.
- Lightning's own use of torch's deprecated `LeafSpec`.
- W&B's "The anonymous setting has no effect": Lightning's WandbLogger passes `anonymous=None` to
  wandb.init; run/loggers.py drops that argument (a fix at the source, noted here to keep the list whole).
"""

from __future__ import annotations

import logging
import warnings

HARMLESS_WARNINGS = (
    r".*LeafSpec.*",
    r".*overridden `on_after_batch_transfer` in `LightningModule` but have passed in a `LightningDataModule`.*",
    r".*'pin_memory' argument is set as true but no accelerator is found.*",
)
LIGHTNING_INFO_LOGGERS = ("pytorch_lightning.utilities.rank_zero", "lightning_fabric.utilities.rank_zero",
                          "lightning_utilities.core.rank_zero")


class _NoTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


def silence_known_noise() -> None:
    """Install the filters above (idempotent)."""
    for pattern in HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)
    for name in LIGHTNING_INFO_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoTips) for f in logger.filters):
            logger.addFilter(_NoTips())

"""Sweep jobs that never lose work: a finished job is skipped when its sweep is re-launched, an
unfinished one resumes from its last checkpoint, and a failed one is recorded (its folder and its
W&B run marked failed) while the sweep goes on; the sweep then exits non-zero and names them."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from infocam_lit.run.run_files import FAILED_FILE, METRICS_FILE, failure_summary

log = logging.getLogger(__name__)
LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"


def in_multirun() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def is_finished(output_dir: Path) -> bool:
    return (output_dir / METRICS_FILE).is_file()


def sweep_job_checkpoint(output_dir: Path, ckpt_path: str | None) -> str | None:
    """A job of a re-launched sweep resumes from its own last.ckpt when it has one."""
    if ckpt_path not in (None, "last"):
        return ckpt_path
    last = output_dir / LAST_CHECKPOINT
    if last.is_file():
        log.info("resuming the unfinished job from %s", last)
        return str(last)
    return None


def clear_failure(output_dir: Path) -> None:
    (output_dir / FAILED_FILE).unlink(missing_ok=True)


def record_failure(output_dir: Path, error: BaseException) -> None:
    """failed.txt (the traceback) in the job's folder, and the W&B run, if one was started, closed as failed."""
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / FAILED_FILE).write_text("".join(traceback.format_exception(error)))
    wandb = sys.modules.get("wandb")  # only when this job started W&B
    if wandb is not None and wandb.run is not None:
        wandb.run.finish(exit_code=1)


class FailedJobsSummary(Callback):
    """After a sweep: one line per failed job and a non-zero exit, so scripts and schedulers notice."""

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        failed = sorted(path.parent for path in sweep_dir.glob(f"*/{FAILED_FILE}"))
        if not failed:
            return
        lines = [f"  {folder}: {failure_summary(folder)}" for folder in failed]
        log.error("%d job(s) of the sweep failed (traceback in each folder's %s):\n%s", len(failed), FAILED_FILE,
                  "\n".join(lines))
        raise SystemExit(1)

"""Runs and sweep jobs that never lose work: a run folder that holds work is never started over (the
run is refused before anything is written to it), a finished job is skipped when its sweep is
re-launched, an unfinished one resumes from its last checkpoint, and a failed one is recorded (its
folder and its W&B run marked failed) while the sweep goes on; the sweep then exits non-zero and
names them."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from infocam_lit.run.run_files import FAILED_FILE, METRICS_FILE, failure_summary
from infocam_lit.run.schema import ConfigError

log = logging.getLogger(__name__)
LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"


class RunRefused(ConfigError):
    """A run refused before it started (its folder holds work, or the sweep cannot run as asked): it
    is no failure of a run, so nothing is written (no failed.txt) and the folder stays as it was."""


def refuse(error: RunRefused) -> None:
    """The refusal's one line, and exit status 1."""
    print(f"Error: {error}", file=sys.stderr)
    sys.exit(1)


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


def resume_checkpoint(output_dir: Path, ckpt_path: str | None) -> str | None:
    """The checkpoint a single run resumes from, and a refusal to start over in a folder that holds work."""
    last = output_dir / LAST_CHECKPOINT
    if ckpt_path == "last":
        if not last.is_file():
            raise RunRefused(f"ckpt_path=last: no {last} to resume from (give the run folder with run_id=... "
                             "or hydra.run.dir=...)")
        return str(last)
    if ckpt_path is None and is_finished(output_dir):
        raise RunRefused(f"{output_dir} holds a finished run ({METRICS_FILE}); choose another run_id, resume it "
                         "with ckpt_path=last, or delete the folder")
    if ckpt_path is None and last.is_file():
        raise RunRefused(f"{output_dir} holds an unfinished run ({last}); resume it with ckpt_path=last, choose "
                         "another run_id, or delete the folder to start over")
    return ckpt_path


def refuse_multirun_with_ddp(trainer: DictConfig, launcher_target: str) -> None:
    """Lightning's DDP re-executes the script for each rank; under a local Hydra multirun every
    rank would then run the whole sweep again. Stop before any work and say what works instead."""
    strategy = str(trainer.strategy)
    re_executed = strategy.startswith("ddp") and "spawn" not in strategy and "fork" not in strategy
    if re_executed and str(trainer.devices) != "1" and "BasicLauncher" in launcher_target:
        raise RunRefused(
            f"a local multirun cannot use trainer.strategy={strategy} with trainer.devices={trainer.devices}: "
            "each DDP rank would re-run the whole sweep. Use hydra/launcher=submitit_slurm (SLURM starts the "
            "ranks of each job), run the jobs one at a time without -m, or sweep with trainer.devices=1.")


class RefuseBeforeStart(Callback):
    """The refusals above, and an optimized_metric no run keeps, made before Hydra writes anything: Hydra
    rewrites a run folder's .hydra/ (and a sweep folder's multirun.yaml) before the task starts, which
    would change the record of the work a refusal is there to keep. The train task checks again (a sweep
    axis over trainer.devices is only known per job)."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        from infocam_lit.run.preflight import check_optimized_metric  # it imports this module, through search.py

        try:
            check_optimized_metric(config)
            resume_checkpoint(planned_run_dir(config), config.get("ckpt_path"))
        except RunRefused as error:
            refuse(error)

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        from infocam_lit.run.preflight import check_optimized_metric  # it imports this module, through search.py

        try:
            check_optimized_metric(config)
            refuse_multirun_with_ddp(config.trainer, str(config.hydra.launcher.get("_target_", "")))
        except RunRefused as error:
            refuse(error)


def planned_run_dir(config: DictConfig) -> Path:
    """hydra.run.dir as Hydra will resolve it when the job starts: its interpolations read
    HydraConfig, which Hydra sets only then."""
    hydra_config = HydraConfig.instance()
    previous = hydra_config.cfg
    hydra_config.set_config(config)
    try:
        return Path(os.path.abspath(OmegaConf.select(config, "hydra.run.dir")))  # as Hydra makes it absolute
    finally:
        hydra_config.cfg = previous


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

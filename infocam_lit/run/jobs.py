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

from infocam_lit.run.errors import RunRefused
from infocam_lit.run.preflight import check_optimized_metric
from infocam_lit.run.run_files import (
    CONFIG_FILE,
    FAILED_FILE,
    LAST_CHECKPOINT,
    METRICS_FILE,
    PREDICTIONS_FILE,
    failure_summary,
)
from infocam_lit.run.run_record import folder_record
from infocam_lit.run.search_study import prepare_search

log = logging.getLogger(__name__)


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


# --------------------------------------------------------------------------- what a folder holds
RUN_EVIDENCE = (METRICS_FILE, PREDICTIONS_FILE, str(LAST_CHECKPOINT), CONFIG_FILE)  # the first found is named


def recorded_task(folder: Path) -> str | None:
    """The task (train, evaluate, predict) of the run in `folder`, as its config records it."""
    return folder_record(folder).task


def run_in_folder(folder: Path) -> str | None:
    """"a finished evaluate run (metrics.json)": the run `folder` holds, or None when it holds none."""
    evidence = next((name for name in RUN_EVIDENCE if (folder / name).is_file()), None)
    if evidence is None:
        return None
    state = "finished" if (folder / METRICS_FILE).is_file() or (folder / PREDICTIONS_FILE).is_file() else "unfinished"
    return f"a {state} {recorded_task(folder) or 'unrecorded'} run ({evidence})"


def refuse_another_kind(folder: Path, task: str) -> None:
    """train.py never writes into a folder that holds an evaluation or a prediction."""
    recorded = recorded_task(folder)
    if recorded not in (None, task) or (task == "train" and (folder / PREDICTIONS_FILE).is_file()):
        raise RunRefused(f"{folder} holds {run_in_folder(folder)}; {task}.py writes a folder of its own: choose "
                         "another run_id (or hydra.run.dir), or leave it out")


def refuse_occupied(folder: Path, task: str) -> None:
    """evaluate.py and predict.py write a new folder: one that holds any run is never written into."""
    held = run_in_folder(folder)
    if held is not None:
        raise RunRefused(f"{folder} holds {held}; {task}.py writes a folder of its own: leave hydra.run.dir out "
                         "(a new time-stamped folder), or name an empty one")


def same_checkpoint(folder: Path, ckpt_path: str) -> bool:
    """Whether the run in `folder` tested the checkpoint `ckpt_path` (the same file, however the path is given)."""
    recorded = folder_record(folder).config.get("ckpt_path")
    return recorded is not None and Path(str(recorded)).expanduser().resolve() == Path(ckpt_path).expanduser().resolve()


def evaluate_job_is_done(folder: Path, ckpt_path: str) -> bool:
    """An evaluate sweep's job: True when its folder holds the finished evaluation of this checkpoint (the job
    is skipped), False when it holds none (or one killed part-way, which starts again); a refusal when it
    holds another checkpoint's run or another kind of run."""
    held = run_in_folder(folder)
    if held is None:
        return False
    if recorded_task(folder) != "evaluate" or not same_checkpoint(folder, ckpt_path):
        raise RunRefused(f"{folder} holds {held}, not an evaluation of {ckpt_path}: give the sweep another sweep_id")
    return is_finished(folder)


class RefuseBeforeStart(Callback):
    """The refusals above, and an optimized_metric no run keeps, made before Hydra writes anything: Hydra
    rewrites a run folder's .hydra/ (and a sweep folder's multirun.yaml) before the task starts, which
    would change the record of the work a refusal is there to keep. The train task checks again (a sweep
    axis over trainer.devices is only known per job)."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        task = config.get("task_name", "train")
        try:
            folder = planned_run_dir(config)
            if not folder.exists():
                NEW_RUN_FOLDERS.add(folder)
            if task == "train":
                check_optimized_metric(config)
                refuse_another_kind(folder, task)
                resume_checkpoint(folder, config.get("ckpt_path"))
            else:
                refuse_occupied(folder, task)
        except RunRefused as error:
            refuse(error)

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        try:
            check_optimized_metric(config)
            refuse_multirun_with_ddp(config.trainer, str(config.hydra.launcher.get("_target_", "")))
            conflict = prepare_search(config)
            if conflict:
                raise RunRefused(conflict)
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


# Run folders this invocation made (single runs): one left by a wrong value before any work is removed again
NEW_RUN_FOLDERS: set[Path] = set()
SET_UP_ONLY = {".hydra", "config.yaml", "env.json", "timing.json", FAILED_FILE}  # and the job's log file


def remove_if_set_up_only(output_dir: Path, job_name: str) -> bool:
    """Remove the folder of a single run stopped by an expected error (a wrong value, a missing dataset)
    before any work, when this invocation made it and it holds only set-up files: a report would
    otherwise list it as a failed job for ever. True when removed."""
    folder = Path(os.path.abspath(output_dir))
    if folder not in NEW_RUN_FOLDERS or in_multirun() or not folder.is_dir():
        return False
    if {entry.name for entry in folder.iterdir()} - SET_UP_ONLY - {f"{job_name}.log"}:
        return False
    import shutil

    shutil.rmtree(folder)
    return True


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

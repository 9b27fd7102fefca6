"""What a hyper-parameter search needs from a run: the value of `optimized_metric`, which the train task
returns to Hydra's sweeper (Optuna's, with `hparams_search=...`), and the SQLite file its study lives in.

`optimized_metric` names one of a finished run's values: a key of its metrics.json (the final test metrics
and `train/mi`), or the monitor of its checkpoint callback (`callbacks.model_checkpoint.monitor`, e.g.
`val/loss`), whose value is the best validation score, the one best.ckpt was chosen by. A search should
optimise the latter: a choice made on the test split leaves no unbiased test score.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from omegaconf import DictConfig

from infocam_lit.run.errors import UnknownObjective
from infocam_lit.run.run_files import LAST_CHECKPOINT, read_metrics
from infocam_lit.run.run_record import read_checkpoint


def objective(cfg: DictConfig, metrics: dict[str, float], monitor: str | None, best_score) -> float | None:
    """The value of `optimized_metric` among the run's final metrics and its best validation score (None
    without one). None when no objective is configured, and for a value that is not finite (a diverged run):
    Optuna's sweeper records the trial as failed and the search goes on, as it does for a job that failed
    (the train task returns None). NaN would stop it: the sweeper's 1.3.0 then tells the study twice."""
    name = cfg.get("optimized_metric")
    if name is None:
        return None
    values = dict(metrics)
    if monitor is not None and best_score is not None:
        values[monitor] = float(best_score)
    if name not in values:
        raise UnknownObjective(f"optimized_metric={name} is none of this run's values; available: "
                               f"{', '.join(sorted(values))}")
    value = values[name]  # metrics.json holds null for a value that is not finite
    return None if value is None or not math.isfinite(float(value)) else float(value)


def finished_objective(cfg: DictConfig, output_dir: Path) -> float | None:
    """The value of a job a re-launched search finds finished: its metrics.json and the best validation
    score its checkpoint callback kept in last.ckpt."""
    if cfg.get("optimized_metric") is None:
        return None
    monitor, best_score = None, None
    last = output_dir / LAST_CHECKPOINT
    if last.is_file():
        states = read_checkpoint(last).get("callbacks", {})
        for key, state in states.items():
            if key.startswith("ModelCheckpoint") and state.get("best_model_score") is not None:
                monitor, best_score = state["monitor"], state["best_model_score"]
    return objective(cfg, read_metrics(output_dir), monitor, best_score)


def sqlite_storage(path: str) -> str:
    """The URL of an Optuna study kept in the SQLite file `path` (its folder made, since SQLite makes only
    the file): conf/hparams_search keeps it in the sweep folder, so re-launching the search loads the study."""
    path = os.path.abspath(path)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"

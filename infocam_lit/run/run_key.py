"""Run folder names from the config: a key made of the overrides that change results.

`run_id=auto` names a run's folder `outputs/<experiment>/<key>`, and each job of
a sweep lives in `<sweep dir>/<key>`, so the same command finds the same folder
again (to resume it, or to skip it when it has finished). Overrides that do not
change results (where the data lies, devices, loggers and tags, checkpoints to
resume, the value a search optimises, Hydra's own settings) never enter the key;
nor does the experiment, which names the folder above, nor the sweep or search
file, whose axes enter each job's key as its own overrides.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from omegaconf import OmegaConf

NOT_RESULT_KEYS = (
    "ckpt_path", "run_id", "sweep_id", "experiment", "sweep", "hparams_search", "optimized_metric", "logger", "tags",
    "paths", "hydra",
    "trainer.devices", "trainer.num_nodes", "trainer.accelerator", "trainer.strategy", "trainer.enable_progress_bar",
    "data.root", "data.num_workers", "data.pin_memory",
)
DEFAULT_KEY = "default"  # a run with no result-changing override
MAX_KEY_LENGTH = 100


def _override_key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def _changes_results(override: str) -> bool:
    key = _override_key(override)
    return not any(key == name or key.startswith(name + ".") for name in NOT_RESULT_KEYS)


def run_key(overrides) -> str:
    """`loss=pc_softmax,seed=1` for those overrides (sorted, so their order does not matter)."""
    kept = sorted(str(o) for o in overrides if _changes_results(str(o)))
    key = ",".join(kept).replace("/", "_") or DEFAULT_KEY
    if len(key) > MAX_KEY_LENGTH:  # long sweeps: a readable start and a hash of the whole
        key = key[: MAX_KEY_LENGTH - 9] + "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    return key


def run_folder_name(run_id: str | None, overrides) -> str:
    """The start time (no run_id), the key (run_id=auto), or the run_id as given."""
    if run_id is None:
        return datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if str(run_id) == "auto":
        return run_key(overrides)
    return str(run_id)


def register_resolvers() -> None:
    """${infocam.run_key:...} and ${infocam.run_folder:...}, used by conf/hydra/default.yaml, and
    ${infocam.checkpoint_experiment:...}, used by conf/evaluate.yaml."""
    from infocam_lit.run.run_files import checkpoint_experiment

    for name, function in (("infocam.run_key", run_key), ("infocam.run_folder", run_folder_name),
                           ("infocam.checkpoint_experiment", checkpoint_experiment)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)

"""Naming a run from the config: its folder (a key made of the overrides that change results), its
name and its W&B tags.

`run_id=auto` names a run's folder `outputs/<experiment>/<key>`, and each job of
a sweep lives in `<sweep dir>/<key>`, so the same command finds the same folder
again (to resume it, or to skip it when it has finished). Overrides that do not
change results (where the data lies, devices, loggers and tags, checkpoints to
resume, the value a search optimises, what the log prints, Hydra's own settings) never enter the key;
nor does the experiment, which names the folder above, nor the sweep or search
file, whose axes enter each job's key as its own overrides.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from omegaconf import DictConfig

from infocam_lit.modules.hparams import to_plain

NOT_RESULT_KEYS = (
    "ckpt_path", "run_id", "sweep_id", "experiment", "sweep", "hparams_search", "optimized_metric", "logger", "tags",
    "paths", "hydra", "extras",
    "trainer.devices", "trainer.num_nodes", "trainer.accelerator", "trainer.strategy", "trainer.enable_progress_bar",
    "data.root", "data.num_workers", "data.pin_memory",
)
DEFAULT_KEY = "default"  # a run with no result-changing override
MAX_KEY_LENGTH = 100


def _override_key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def changes_results(override: str) -> bool:
    key = _override_key(override)
    return not any(key == name or key.startswith(name + ".") for name in NOT_RESULT_KEYS)


def run_key(overrides) -> str:
    """`loss=pc_softmax,seed=1` for those overrides, sorted by key (so their order does not matter, and a
    `+trainer.limit_*` key sorts as `trainer`, after the swept keys a long name would otherwise hash away)."""
    kept = sorted((str(o) for o in overrides if changes_results(str(o))), key=lambda o: (o.lstrip("+~"), o))
    key = ",".join(kept).replace("/", "_") or DEFAULT_KEY
    if len(key) > MAX_KEY_LENGTH:  # long sweeps: a readable start and a hash of the whole
        key = key[: MAX_KEY_LENGTH - 9] + "-" + hashlib.sha1(key.encode()).hexdigest()[:8]
    return key


def run_folder_name(run_id: str | None, overrides, start_time: str | None = None) -> str:
    """The start time (no run_id), the key (run_id=auto), or the run_id as given. `start_time` is Hydra's
    `${now:...}`, which is cached, so every resolution of the folder names the same one."""
    if run_id is None:
        return start_time or datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if str(run_id) == "auto":
        return run_key(overrides)
    return str(run_id)


def sweep_folder_name(sweep_id: str | None, start_time: str) -> str:
    """The sweep_id, or the start time without one: two sweeps without a sweep_id (two searches, each with
    its study in the folder) never share a folder. `${oc.select:sweep_id,...}` cannot say this: it returns
    the key's null, not its default."""
    return start_time if sweep_id is None else str(sweep_id)


def checkpoint_label(ckpt_path: str | None) -> str:
    """A readable name for the checkpoint an evaluate job tests: its run folder and file
    (`seed=1_best` for <run>/seed=1/checkpoints/best.ckpt), and a hash of its absolute path, so two
    checkpoints of one sweep never share a folder and the same one finds its folder again."""
    if ckpt_path is None:
        return "no_checkpoint"
    path = Path(str(ckpt_path)).expanduser()
    run = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return f"{run.name or 'run'}_{path.stem}-{digest}".replace("/", "_")


def evaluate_job_folder(ckpt_path: str | None, overrides) -> str:
    """An evaluate sweep's job folder: `<checkpoint label>/<key of the job's overrides>`."""
    return f"{checkpoint_label(ckpt_path)}/{run_key(overrides)}"


def run_name(cfg: DictConfig) -> str:
    """The experiment and the job's result-changing overrides (as in its folder name)."""
    from hydra.core.hydra_config import HydraConfig

    name = cfg.get("experiment_name") or "run"
    if HydraConfig.initialized():
        key = run_key(HydraConfig.get().overrides.task)
        if key != DEFAULT_KEY:
            name = f"{name}:{key}"
    return name


def run_tags(cfg: DictConfig) -> dict:
    """W&B grouping and tags: the sweep a job belongs to, the config choices that matter and the user's tags."""
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
    net = (to_plain(cfg.get("model")) or {}).get("net") or {}
    if "adl" in net:
        tags.setdefault("tags", []).append(f"adl={net['adl']}")
    if cfg.get("cam") is not None and "wsol" in str(cfg.get("experiment_name")):
        tags.setdefault("tags", []).append(f"region_size={cfg.cam.region_size}")
    tags.setdefault("tags", []).extend(cfg.get("tags") or [])  # the user's own (tags=[ablation,lr])
    return tags

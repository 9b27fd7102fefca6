"""The only code that knows a checkpoint's run config.

Training stores the experiment's data, model, loss and cam config in every checkpoint
(`RunConfigInCheckpoint`). From it, evaluate.py and predict.py rebuild the run config: each saved
section is typed again by the schema it was made from, which fills the keys an older checkpoint lacks
with the schema's defaults, and the user's overrides apply on top (`data.x=...` changes one key, a
group choice such as `data=...` replaces the saved section). run/build.py's `load_module` then loads the
module with those sections as its hyper-parameters, so no module needs a default of its own for a key
added later.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.callbacks import Callback

from infocam_lit.modules.hparams import to_plain
from infocam_lit.run.run_key import changes_results
from infocam_lit.run.run_record import RUN_CONFIG_KEY, SECTIONS, read_checkpoint, typed_section
from infocam_lit.run.schema import ConfigError

log = logging.getLogger(__name__)
# The config sections a checkpoint carries, which shape the model it holds; config groups among them are
# handed to a module's constructor when it names them (MINE has no loss, only WSOL maps take cam).
CHECKPOINT_SECTIONS = SECTIONS
MODULE_GROUPS = ("loss", "cam")
CHECKPOINT_RUN_KEYS = ("experiment_name", "seed", "trainer")  # config.yaml's `checkpoint_run` (evaluate, predict)
# Module arguments that only the data knows and that a checkpoint from before they existed lacks: the
# value it is loaded with when no DataModule gives one (predict.py).
ADDED_DATA_ARGUMENTS = {"class_names": None}
_ABSENT = object()


# --------------------------------------------------------------------------- writing
def run_config(cfg: DictConfig) -> dict:
    """What a checkpoint stores of its run."""
    return {"experiment_name": cfg.get("experiment_name"), "seed": cfg.get("seed"), "data": to_plain(cfg.data),
            "model": to_plain(cfg.model), **{group: to_plain(cfg.get(group)) for group in MODULE_GROUPS},
            "trainer": to_plain(cfg.get("trainer"))}  # its batch limits tell a debug checkpoint apart


class RunConfigInCheckpoint(Callback):
    """Stores the experiment's data, model, loss and cam config in every checkpoint, so evaluate.py
    rebuilds the same data split and model from the file alone."""

    def __init__(self, run_config: dict):
        self.run_config = run_config

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        checkpoint[RUN_CONFIG_KEY] = self.run_config


# --------------------------------------------------------------------------- reading
def require_checkpoint_file(ckpt_path: str) -> None:
    """train.py's checkpoint to resume from, checked in one line before Lightning reads it (a text file would
    be a page of traceback): a file, and a zip archive as torch.save writes one. Lightning alone reads it."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"ckpt_path={ckpt_path!r}: no such file")
    if not zipfile.is_zipfile(path):
        raise ConfigError(f"{path} is not a PyTorch checkpoint (torch.save writes a zip archive): a truncated copy, "
                          "or another kind of file")


def load_run_config(ckpt_path: str) -> dict:
    """The run config a checkpoint stores; a ConfigError when the file has none or predates `_target_`s."""
    path = Path(ckpt_path)
    checkpoint = read_checkpoint(ckpt_path)
    if RUN_CONFIG_KEY not in checkpoint:
        raise ConfigError(f"{path} holds no experiment config: it was not written by infocam_lit's train task")
    saved = checkpoint[RUN_CONFIG_KEY]
    model = saved.get("model") or {}
    if "name" in (model.get("net") or {}) or "name" in (model.get("optimizer") or {}):
        raise ConfigError(f"{path} predates networks and optimisers configured by _target_ (model.net.name, "
                          "model.optimizer.name): evaluate it with the infocam_lit version that trained it, or "
                          "train again")
    return saved


def checkpoint_experiment(ckpt_path: str | None, fallback: str) -> str:
    """The experiment a checkpoint was trained under, so evaluate.py's run folder is named after it;
    `fallback` (the composed experiment) when the file is absent or unreadable: evaluate.py then says why."""
    if ckpt_path is None:
        return fallback
    try:
        saved = read_checkpoint(ckpt_path).get(RUN_CONFIG_KEY) or {}
    except ConfigError:  # absent or not a checkpoint: evaluate.py says so when it starts
        return fallback
    return saved.get("experiment_name") or fallback


def with_checkpoint_experiment(arguments: list[str], experiments: Path) -> list[str]:
    """evaluate.py's command line with `experiment=<the checkpoint's>` added when it names no
    experiment, so the checkpoint's experiment file (its data group, callbacks, per-dataset defaults) is composed
    before its run config is restored over it: `evaluate.py ckpt_path=X data.root=...` then works as
    `evaluate.py experiment=<X's> ckpt_path=X ...` does. Unchanged when the checkpoints (a sweep may name several)
    do not all name one experiment of `experiments` (conf/experiment/), or cannot be read: evaluate.py then
    says why."""
    parser = OverridesParser.create()
    paths = []
    for argument in arguments:
        try:
            override = parser.parse_override(argument)
        except Exception:  # noqa: BLE001 (Hydra reports a malformed override itself)
            continue
        if override.key_or_group == "experiment":
            return arguments
        if override.key_or_group == "ckpt_path":  # one path, or a choice sweep of several (quoted or not)
            value = override.value()
            paths = [str(getattr(v, "text", v)) for v in getattr(value, "list", [value])]
    names = set()
    for path in paths:
        try:
            names.add(read_checkpoint(path).get(RUN_CONFIG_KEY, {}).get("experiment_name"))
        except ConfigError:
            return arguments
    name = names.pop() if len(names) == 1 else None
    return [*arguments, f"experiment={name}"] if name and (experiments / f"{name}.yaml").is_file() else arguments


def restore_config(cfg: DictConfig, saved: dict, overrides: list[str]) -> DictConfig:
    """cfg's data/model/loss/cam replaced by the saved ones, then the user's overrides on top."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    chosen_groups = {o.key_or_group for o in parsed if "." not in o.key_or_group}
    with open_dict(cfg):
        for section in CHECKPOINT_SECTIONS:
            if section not in chosen_groups and saved.get(section) is not None:
                cfg[section] = typed_section(saved[section], section)
        if saved.get("experiment_name"):
            cfg.experiment_name = saved["experiment_name"]
        # what the checkpoint's training was, beside this run's own settings: the report keeps an evaluation of
        # a debug checkpoint (trained on a few batches) out of the results tables
        cfg.checkpoint_run = {key: saved.get(key) for key in CHECKPOINT_RUN_KEYS}
        for o in parsed:
            if o.key_or_group.split(".")[0] in CHECKPOINT_SECTIONS and "." in o.key_or_group:
                OmegaConf.update(cfg, o.key_or_group, o.value(), merge=False)
    return cfg


def restore_run(cfg: DictConfig) -> DictConfig:
    """cfg with the run config of its checkpoint (`ckpt_path`) and the command line's overrides on top; a
    warning names the overrides unlike the checkpoint's training (`loss=softmax` on a PC-softmax checkpoint
    changes what is measured)."""
    overrides = task_overrides()
    unlike = overrides_unlike_checkpoint(cfg.ckpt_path, overrides)
    if unlike:
        log.warning("%s is evaluated with settings unlike its training: %s", cfg.ckpt_path, unlike)
    return restore_config(cfg, load_run_config(cfg.ckpt_path), overrides)


def arguments_the_checkpoint_lacks(ckpt_path: str) -> dict:
    """The module arguments only the data knows that a checkpoint from before they existed lacks, with the
    value to load it with where no DataModule gives one (predict.py)."""
    saved = read_checkpoint(ckpt_path).get("hyper_parameters", {})
    return {key: value for key, value in ADDED_DATA_ARGUMENTS.items() if key not in saved}


# --------------------------------------------------------------------------- a checkpoint that does not fit
@contextmanager
def checkpoint_must_fit(ckpt_path: str | None) -> Iterator[None]:
    """A checkpoint whose tensors do not fit the configured model (another net, another class count, another
    input dimension) is a ConfigError naming the file, the overrides to blame and the first mismatch, not a
    page of state-dict keys."""
    try:
        yield
    except RuntimeError as error:
        lines = str(error).splitlines()
        if not ckpt_path or not lines or not lines[0].startswith("Error(s) in loading state_dict"):
            raise
        detail = (lines[1].strip() if len(lines) > 1 else lines[0])[:300].rstrip(".")
        blamed = overrides_unlike_checkpoint(ckpt_path, task_overrides())
        if blamed:
            raise ConfigError(f"{ckpt_path} does not fit {blamed}: {detail}. Drop those overrides to use the "
                              "checkpoint as it was trained") from error
        raise ConfigError(f"{ckpt_path} does not fit the configured model ({detail}). Use the model and data "
                          "settings it was trained with (evaluate.py restores them unless overridden), or train "
                          "again") from error


def task_overrides() -> list[str]:
    """The command line's overrides of this run (none outside Hydra)."""
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def overrides_unlike_checkpoint(ckpt_path: str, overrides: list[str]) -> str:
    """'data.dim=10 (trained with data.dim=5)': the overrides of the checkpoint's sections whose value is
    not the one it was trained with ('' when none, or when the file says nothing of its config)."""
    try:
        saved = read_checkpoint(ckpt_path).get(RUN_CONFIG_KEY)
    except ConfigError:  # absent or not a checkpoint: the caller's own message says so
        return ""
    if saved is None:
        return ""
    given, trained = [], []
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        if key.split(".")[0] not in CHECKPOINT_SECTIONS or not changes_results(override.input_line):
            continue  # where the data lies, how many workers load it: no difference to the model
        was = _saved_value(saved, key) if "." in key else _ABSENT  # a group choice replaces the whole section
        if override.is_delete() or was is _ABSENT or override.value() != was:
            given.append(override.input_line)
            if was is not _ABSENT:
                trained.append(f"{key}={_as_override(was)}")
    return ", ".join(given) + (f" (trained with {', '.join(trained)})" if trained else "")


def _as_override(value) -> str:
    """A saved value as the command line writes it (true, null; not True, None)."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    return str(value)


def _saved_value(saved: dict, key: str):
    node = saved
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node

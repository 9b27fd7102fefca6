"""One typed record of a run, read once: from a checkpoint (what evaluate.py and predict.py restore) or from
a run folder (its config.yaml and metrics.json, what the report reads).

A checkpoint file is read once per process: every later request for it (the experiment it names, its run
config, its hyper-parameters, its weights) gets the same memory-mapped contents, until the file changes.
Each saved config section is typed again by the schema it was made from, so a key added since takes the
schema's default; a section of no known schema (a config older than `_target_`, a family outside the
package) stays as saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
import yaml
from omegaconf import MISSING, DictConfig, OmegaConf, open_dict

from infocam_lit.run.run_files import CONFIG_FILE, METRICS_FILE
from infocam_lit.run.schema import ConfigError
from infocam_lit.run.schema.data import DATA_SCHEMAS
from infocam_lit.run.schema.maps import CamConfig, LossConfig
from infocam_lit.run.schema.model import MODEL_SCHEMAS, NETS_OF

RUN_CONFIG_KEY = "infocam_lit_run_config"  # the checkpoint entry holding the run's config sections
SECTIONS = ("data", "model", "loss", "cam")  # the sections that shape a run's model and data


@dataclass(frozen=True)
class RunRecord:
    """What one run was: its experiment, seed, config sections and trainer, and, where they exist, its
    task, its metrics (a run folder) and the checkpoint's whole contents (a checkpoint)."""

    source: Path
    experiment_name: str | None
    seed: int | None
    sections: dict  # plain saved sections among SECTIONS
    trainer: dict | None
    task: str | None = None  # train, evaluate or predict (a checkpoint is always train's)
    metrics: dict | None = None
    config: dict | None = None  # a run folder's whole config.yaml
    contents: dict | None = field(default=None, repr=False)  # a checkpoint's, memory-mapped

    def typed(self, section: str) -> DictConfig | None:
        """A section typed by its schema (the keys it lacks take the schema's defaults); None when absent."""
        saved = self.sections.get(section)
        return None if saved is None else typed_section(saved, section)

    @property
    def hyper_parameters(self) -> dict:
        return (self.contents or {}).get("hyper_parameters", {})


# --------------------------------------------------------------------------- checkpoints
_READ: dict[Path, tuple[tuple[int, int], dict]] = {}  # resolved path -> ((mtime, size), contents)


def read_checkpoint(ckpt_path: str | Path) -> dict:
    """A checkpoint's contents, memory-mapped (weights are paged in only when used), read once per process
    while the file is unchanged. A ConfigError naming the file when it is absent or not a checkpoint."""
    path = Path(ckpt_path).expanduser()
    if not path.is_file():
        raise ConfigError(f"ckpt_path={str(ckpt_path)!r}: no such file")
    stat = path.stat()
    stamp, key = (stat.st_mtime_ns, stat.st_size), path.resolve()
    if key in _READ and _READ[key][0] == stamp:
        return _READ[key][1]
    try:
        contents = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:  # noqa: BLE001 (pickle, zip and torch each raise their own)
        raise ConfigError(f"{path} is not a readable PyTorch checkpoint ({type(error).__name__}: "
                          f"{str(error)[:200]}): a truncated copy, or another kind of file") from error
    _READ[key] = (stamp, contents)
    return contents


def checkpoint_record(ckpt_path: str | Path) -> RunRecord:
    """The record of the training run a checkpoint comes from; its sections empty when the file holds no run
    config (not written by this project's train task)."""
    contents = read_checkpoint(ckpt_path)
    saved = contents.get(RUN_CONFIG_KEY) or {}
    return RunRecord(source=Path(ckpt_path), experiment_name=saved.get("experiment_name"), seed=saved.get("seed"),
                     sections={k: saved[k] for k in SECTIONS if saved.get(k) is not None},
                     trainer=saved.get("trainer"), task="train" if saved else None, contents=contents)


# --------------------------------------------------------------------------- run folders
def folder_record(folder: str | Path) -> RunRecord:
    """The record of the run in `folder`: its resolved config.yaml (Hydra's .hydra/config.yaml where the run
    wrote none) and its metrics.json (None when it has not finished)."""
    folder = Path(folder)
    config_file = folder / CONFIG_FILE
    if not config_file.is_file():
        config_file = folder / ".hydra" / CONFIG_FILE
    config = (yaml.safe_load(config_file.read_text()) if config_file.is_file() else None) or {}
    metrics_file = folder / METRICS_FILE
    metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else None
    return RunRecord(source=folder, experiment_name=config.get("experiment_name"), seed=config.get("seed"),
                     sections={k: config[k] for k in SECTIONS if isinstance(config.get(k), dict)},
                     trainer=config.get("trainer"), task=config.get("task_name"), metrics=metrics, config=config)


# --------------------------------------------------------------------------- typing a saved section
def typed_section(section: dict, group: str) -> DictConfig:
    """A saved (plain) config section, typed again by the schema it was made from: the keys it lacks
    take the schema's defaults. A section of no known schema (a family outside the package, a config older
    than `_target_`) stays as saved."""
    schema = {"loss": LossConfig, "cam": CamConfig}.get(group) or _schema_by_target(section, group)
    if schema is None:
        return OmegaConf.create(section)
    typed = OmegaConf.merge(OmegaConf.structured(schema), {k: v for k, v in section.items() if k != "net"})
    if "net" in section:
        net_schema = _net_schema(schema, section["net"])
        with open_dict(typed):
            typed.net = section["net"] if net_schema is None else OmegaConf.merge(
                OmegaConf.structured(net_schema), section["net"])
    return typed


def _schema_by_target(section: dict, group: str):
    schemas = {"data": DATA_SCHEMAS, "model": MODEL_SCHEMAS}.get(group, {})
    return next((s for s in schemas.values() if s._target_ == section.get("_target_")), None)


def _net_schema(model_schema, net: dict):
    """The network schema with the saved net's _target_ among the module's, else its open one (target ???)."""
    nets = NETS_OF.get(model_schema, ())
    return (next((s for s in nets if s._target_ == net.get("_target_")), None)
            or next((s for s in nets if s._target_ == MISSING), None))

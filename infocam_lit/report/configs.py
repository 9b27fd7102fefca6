"""Which runs are one configuration: a table row pools seeds, never settings; and which runs were debug runs.

Two runs are the same configuration when their composed configs (`config.yaml`, resolved) agree on every key
that can change a result. Left out of the comparison:
- the seed, and every key named `seed` under it (`data.seed` is `${seed}`): the seeds are what a row pools;
- `NOT_RESULT_KEYS` of the run key (where files lie, devices, loggers, the run's and sweep's names, Hydra);
- `BOOKKEEPING` below: keys that name, export or record a run without changing what it computes;
- any value that interpolates only keys left out (`callbacks.model_checkpoint.dirpath` is
  `${paths.output_dir}/checkpoints`), read from the run's unresolved `.hydra/config.yaml`.

The committed runs span months: a key a later version added (`data.noise_dims`, `loss.posthoc_tau`) is absent
from the older runs, whose code had no such setting, and is read at its schema's default (schema_defaults.py).
A key that only one of two configs has even so (one a schema no longer has, or of a section no schema types) is
no difference. A plain value against a section (`model.scheduler: null` against `model.scheduler._target_: ...`) is a
difference, though: both configs say something there.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml

from infocam_lit.report.runs import Run
from infocam_lit.run.run_key import NOT_RESULT_KEYS

SEED = "seed"
# Not among them: `task_name`. An evaluation re-measures a checkpoint its training run reports, so a training run
# and an evaluation are never one configuration, and no table pools the two.
BOOKKEEPING = (
    "experiment_name",  # names the output folder; the experiment's settings are the other keys
    "trainer.log_every_n_steps",  # how often the loggers write, not what is trained
    "data.download", "data.url",  # whether and from which mirror the files came (each checked on arrival)
    "export", "export_maps",  # evaluate.py's score-map files for wsolevaluation
    # what a run leaves behind (metrics.json, figures), not what it computes
    "callbacks.run_summary", "callbacks.confusion_figures", "callbacks.mi_curve", "callbacks.localization_figures",
    # evaluate.py's record of the training run behind its checkpoint; its trainer settings do make a debug run
    # (debug_settings below)
    "checkpoint_run",
)
NOT_CONFIG_KEYS = (*NOT_RESULT_KEYS, *BOOKKEEPING)
CONFIG_COLUMN = "config"
K = TypeVar("K")
INTERPOLATION = re.compile(r"\$\{([^${}]*)\}")  # the innermost ${...} of a value


# ----------------------------------------------------------------------------- one run's configuration
def flatten(config: dict, prefix: str = "") -> dict[str, Any]:
    """{"model": {"optimizer": {"lr": 0.01}}} -> {"model.optimizer.lr": 0.01}; lists and empty sections are values."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat |= flatten(value, name + ".")
        else:
            flat[name] = value
    return flat


def _left_out(key: str, names: tuple[str, ...]) -> bool:
    return key.rsplit(".", 1)[-1] == SEED or any(key == name or key.startswith(name + ".") for name in names)


def _interpolations(folder: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(key, the keys its value interpolates) for every interpolated value of the run's unresolved config
    (Hydra's `.hydra/config.yaml`); a resolver call `${hydra:runtime.output_dir}` counts as its resolver's name."""
    path = folder / ".hydra" / "config.yaml"
    config = (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}
    found = []
    for key, value in flatten(config).items():
        if isinstance(value, str) and (inner := INTERPOLATION.findall(value)):
            found.append((key, tuple(reference.split(":", 1)[0].strip() for reference in inner)))
    return found


def signature(run: Run, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """The run's flattened config without the keys that cannot change its result (module docstring), nor the
    keys in `ignore` (and those under them): what a table already tells apart by its own columns."""
    names = (*NOT_CONFIG_KEYS, *ignore)
    following = {key for key, references in _interpolations(run.folder)
                 if all(_left_out(reference, names) for reference in references)}
    return {key: value for key, value in flatten(run.config).items()
            if not _left_out(key, names) and key not in following}


def differing_keys(a: dict[str, Any], b: dict[str, Any]) -> set[str]:
    """The keys where two signatures disagree: a different value where both set the key, or a value in one
    where the other has a section. A key only one of them sets is no difference (module docstring)."""
    keys = {key for key in a.keys() & b.keys() if a[key] != b[key]}
    for one, other in ((a, b), (b, a)):
        for key in one.keys() - other.keys():
            under = {name for name in other if name.startswith(key + ".")}
            if under:
                keys |= {key, *under}
    return keys


# ----------------------------------------------------------------------------- runs into configurations
@dataclass
class Configuration:
    runs: list[Run]  # one per seed, in the order given
    settings: dict[str, Any]  # its values of the keys where the configurations it was told apart from differ

    @property
    def label(self) -> str:
        """"model.optimizer.lr=0.001": what sets it apart, as overrides ("" when nothing had to)."""
        return ", ".join(f"{key}={override_value(value)}" for key, value in self.settings.items())

    def split_by(self, key: Callable[[Run], K]) -> dict[K, Configuration]:
        """Its runs by `key` (a table's row: a setting the comparison left out), each part with its settings."""
        parts: dict[K, list[Run]] = {}
        for run in self.runs:
            parts.setdefault(key(run), []).append(run)
        return {value: Configuration(runs, self.settings) for value, runs in parts.items()}


def override_value(value: Any) -> str:
    """A config value as it is written on the command line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


_ABSENT = object()  # a key a configuration does not set: sorted first


def _order(value: Any) -> tuple:
    """Sorts a key's values: absent, null, numbers by size, strings, anything else by its text."""
    if value is _ABSENT:
        return (0, "")
    if value is None:
        return (1, "")
    if isinstance(value, (int, float)):
        return (2, float(value))
    return (3, value) if isinstance(value, str) else (4, repr(value))



def configurations(runs: list[Run], ignore: tuple[str, ...] = ()) -> list[Configuration]:
    """The runs partitioned into configurations: runs join one when their signatures (with `ignore` left out) do
    not differ from any of its runs'. A run that lacks a key two configurations disagree on could join either;
    it joins the first in the runs' order. Sorted by the values of the keys that differ, each configuration's
    settings holding those keys."""
    groups: list[tuple[dict[str, Any], list[Run]]] = []  # (every key its runs set, with their common values), runs
    for run in runs:
        run_signature = signature(run, ignore)
        for merged, members in groups:
            if not differing_keys(merged, run_signature):
                merged.update(run_signature)
                members.append(run)
                break
        else:
            groups.append((dict(run_signature), [run]))
    swept = sorted(set().union(*(differing_keys(a, b) for (a, _), (b, _) in itertools.combinations(groups, 2))))
    found = [Configuration(members, {key: merged[key] for key in swept if key in merged}) for merged, members in groups]
    return sorted(found, key=lambda c: [_order(c.settings.get(key, _ABSENT)) for key in swept])


def swept_keys(found: list[Configuration]) -> list[str]:
    """The keys that tell the configurations apart, in their order."""
    return list(dict.fromkeys(key for configuration in found for key in configuration.settings))


def insert_config_column(columns: list[str], rows: list[list[str]], labels: list[str],
                         after: str) -> tuple[list[str], list[list[str]]]:
    """A "config" column after the column `after`, naming what sets each row's configuration apart, when some
    row needs one; the table as it was otherwise (the paper's layout wherever nothing else varies)."""
    if not any(labels):
        return columns, rows
    at = columns.index(after) + 1
    cells = [f"`{label}`" if label else "—" for label in labels]
    return [*columns[:at], CONFIG_COLUMN, *columns[at:]], [[*row[:at], cell, *row[at:]]
                                                           for row, cell in zip(rows, cells, strict=True)]


def config_record(label: str, shown: bool) -> dict[str, str]:
    """The CSV's "config" field, where the table shows the column."""
    return {CONFIG_COLUMN: label} if shown else {}


# ----------------------------------------------------------------------------- debug runs
DEBUG_LIMITS = tuple(f"limit_{split}_batches" for split in ("train", "val", "test", "predict"))


def debug_settings(config: dict) -> list[str]:
    """The trainer settings that make the run a debug run, as `trainer.<key>=<value>`, then those its checkpoint
    was trained with, as `trained with trainer.<key>=<value>` (an evaluation's `checkpoint_run.trainer`: a
    checkpoint trained on a few batches is no result however it is evaluated); none for a real run. Checkpoints
    made before evaluate.py recorded their training say nothing of it (`checkpoint_run.trainer: null`)."""
    trained = (config.get("checkpoint_run") or {}).get("trainer") or {}
    return [*_trainer_debug_settings(config.get("trainer") or {}),
            *(f"trained with {setting}" for setting in _trainer_debug_settings(trained))]


def _trainer_debug_settings(trainer: dict) -> list[str]:
    """The settings of a trainer section that run on part of the data, Lightning's quick check, or a profiler
    (debug=profiler times one epoch). A limit is whole at null (Lightning's default) or the float 1.0; an int is
    a number of batches, so `1` is one batch."""
    found = {}
    if trainer.get("fast_dev_run"):
        found["fast_dev_run"] = trainer["fast_dev_run"]
    if trainer.get("detect_anomaly"):  # debug=default: one epoch, anomaly detection on
        found["detect_anomaly"] = True
    for key in DEBUG_LIMITS:
        value = trainer.get(key)
        if value is not None and not (isinstance(value, float) and value == 1.0):
            found[key] = value
    if trainer.get("overfit_batches") not in (None, 0):
        found["overfit_batches"] = trainer["overfit_batches"]
    if trainer.get("profiler"):  # a name ("simple") or a `_target_` with its arguments
        profiler = trainer["profiler"]
        found["profiler"] = profiler.get("_target_", profiler) if isinstance(profiler, dict) else profiler
    return [f"trainer.{key}={override_value(value)}" for key, value in found.items()]

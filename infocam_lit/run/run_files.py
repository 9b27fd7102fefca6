"""What a run leaves in its folder: the resolved config, metrics.json, per_image.csv.gz (the test pass's
per-image results, where the task family has them), timing.json, failed.txt when it failed."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import time
from pathlib import Path

import numpy as np
from pytorch_lightning import Callback
from pytorch_lightning.utilities import rank_zero_only

METRICS_FILE = "metrics.json"
FAILED_FILE = "failed.txt"  # the traceback of a failed run
TIMING_FILE = "timing.json"  # wall time of the run, summed over its invocations (a resumed run has several)
PER_IMAGE_FILE = "per_image.csv.gz"  # one row per test image: index, image, then the task family's columns
PREDICTIONS_FILE = "predictions.json"  # predict.py's results
CONFIG_FILE = "config.yaml"  # the run's resolved config, its task_name among it
LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"  # every epoch's, which a resumed run starts from


@rank_zero_only
def write_metrics(output_dir: str | Path, metrics: dict[str, float]) -> Path:
    """One flat JSON object of plain numbers, written atomically."""
    path = Path(output_dir) / METRICS_FILE
    clean = {key: _plain_number(value) for key, value in sorted(metrics.items())}
    _write_atomically(path, json.dumps(clean, indent=2) + "\n")
    return path


def _write_atomically(path: Path, data: str | bytes) -> None:
    """A reader (or a kill part-way) never sees half a file: written beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data) if isinstance(data, bytes) else tmp.write_text(data)
    os.replace(tmp, path)


@rank_zero_only
def write_per_image(output_dir: str | Path, table: dict, names: list[str] | None) -> Path:
    """per_image.csv.gz from a module's `test_per_image` (first column "image_index") and the split's item
    names: columns `index`, `image` (empty where the data names no items), then the table's others. Floats
    are written in full (their shortest exact decimal), so a reader's IoU >= 0.5 counts the module's hits;
    gzip without a time stamp, so the same results give the same bytes."""
    index, *_ = table.values()
    columns = {"index": index.tolist(), "image": [names[i] if names else "" for i in index.tolist()]}
    columns |= {name: values.tolist() for name, values in list(table.items())[1:]}
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    path = Path(output_dir) / PER_IMAGE_FILE
    _write_atomically(path, gzip.compress(text.getvalue().encode(), mtime=0))
    return path


def read_per_image(output_dir: str | Path) -> dict[str, np.ndarray]:
    """per_image.csv.gz as column -> array (`image` as strings, `index`, `label`, `digit`, `predicted` as
    integers, the others as float64)."""
    with gzip.open(Path(output_dir) / PER_IMAGE_FILE, "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, values = rows[0], list(zip(*rows[1:], strict=True)) if len(rows) > 1 else [()] * len(rows[0])
    integers = {"index", "label", "digit", "predicted"}
    return {name: np.array(column, dtype=str if name == "image" else np.int64 if name in integers else np.float64)
            for name, column in zip(header, values, strict=True)}


class WallTime:
    """One invocation's wall time (start-up, training and test), added to what the run's earlier
    invocations left in timing.json. `record` rewrites the running total, so it is called with every
    checkpoint as well as at the end: an invocation killed by a signal that cannot be caught (SIGKILL,
    the end of a session or of a cluster allocation) still counts its time up to its last checkpoint."""

    def __init__(self, output_dir: str | Path):
        self.path = Path(output_dir) / TIMING_FILE
        self.earlier = (json.loads(self.path.read_text()) if self.path.is_file()
                        else {"wall_time_s": 0.0, "invocations": 0})
        self.start = time.monotonic()

    @rank_zero_only
    def record(self) -> None:
        seconds = time.monotonic() - self.start
        timing = {"wall_time_s": round(self.earlier["wall_time_s"] + seconds, 1),
                  "invocations": self.earlier["invocations"] + 1}
        _write_atomically(self.path, json.dumps(timing) + "\n")


class RecordWallTime(Callback):
    """Keeps timing.json current with every checkpoint the run saves (see WallTime)."""

    def __init__(self, wall_time: WallTime):
        self.wall_time = wall_time

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        self.wall_time.record()


def read_metrics(output_dir: str | Path) -> dict[str, float]:
    return json.loads((Path(output_dir) / METRICS_FILE).read_text())


def _plain_number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def failure_summary(output_dir: Path) -> str | None:
    """The last line of a failed job's traceback (the error itself)."""
    path = output_dir / FAILED_FILE
    if not path.is_file():
        return None
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "failed"

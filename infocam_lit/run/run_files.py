"""What a run leaves in its folder: the resolved config, metrics.json, timing.json, failed.txt when it
failed."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

from pytorch_lightning import Callback
from pytorch_lightning.utilities import rank_zero_only

METRICS_FILE = "metrics.json"
FAILED_FILE = "failed.txt"  # the traceback of a failed run
TIMING_FILE = "timing.json"  # wall time of the run, summed over its invocations (a resumed run has several)


@rank_zero_only
def write_metrics(output_dir: str | Path, metrics: dict[str, float]) -> Path:
    """One flat JSON object of plain numbers, written atomically."""
    path = Path(output_dir) / METRICS_FILE
    clean = {key: _plain_number(value) for key, value in sorted(metrics.items())}
    _write_atomically(path, json.dumps(clean, indent=2) + "\n")
    return path


def _write_atomically(path: Path, text: str) -> None:
    """A reader (or a kill part-way) never sees half a file: written beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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

"""What a run leaves in its folder: the resolved config, metrics.json, timing.json, failed.txt when it
failed."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from pytorch_lightning.utilities import rank_zero_only

METRICS_FILE = "metrics.json"
FAILED_FILE = "failed.txt"  # the traceback of a failed run
TIMING_FILE = "timing.json"  # wall time of the run, summed over its invocations (a resumed run has several)


@rank_zero_only
def write_metrics(output_dir: str | Path, metrics: dict[str, float]) -> Path:
    """One flat JSON object of plain numbers, written atomically."""
    path = Path(output_dir) / METRICS_FILE
    clean = {key: _plain_number(value) for key, value in sorted(metrics.items())}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(clean, indent=2) + "\n")
    os.replace(tmp, path)
    return path


@rank_zero_only
def add_wall_time(output_dir: str | Path, seconds: float) -> None:
    """Add one invocation's wall time (start-up, training and test) to timing.json. An invocation
    killed by a signal that cannot be caught (SIGKILL) adds nothing."""
    path = Path(output_dir) / TIMING_FILE
    timing = json.loads(path.read_text()) if path.is_file() else {"wall_time_s": 0.0, "invocations": 0}
    timing = {"wall_time_s": round(timing["wall_time_s"] + seconds, 1), "invocations": timing["invocations"] + 1}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(timing) + "\n")
    os.replace(tmp, path)


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

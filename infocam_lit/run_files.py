"""What a run leaves in its folder: the resolved config and metrics.json."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from pytorch_lightning.utilities import rank_zero_only

METRICS_FILE = "metrics.json"


@rank_zero_only
def write_metrics(output_dir: str | Path, metrics: dict[str, float]) -> Path:
    """One flat JSON object of plain numbers, written atomically."""
    path = Path(output_dir) / METRICS_FILE
    clean = {key: _plain_number(value) for key, value in sorted(metrics.items())}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(clean, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def read_metrics(output_dir: str | Path) -> dict[str, float]:
    return json.loads((Path(output_dir) / METRICS_FILE).read_text())


def _plain_number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value

"""env.json: what produced a run — software versions, CUDA and GPUs, the git commit (and whether the
tree had uncommitted changes) and the command line. The same goes into the W&B config as `env`."""

from __future__ import annotations

import json
import platform
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

ENV_FILE = "env.json"
CHECKOUT = Path(__file__).resolve().parents[2]  # the repository root when running from a checkout


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(CHECKOUT), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


@lru_cache(maxsize=1)
def environment() -> dict:
    """Plain values only (JSON and W&B config), gathered once per process. The git entries are null
    outside a checkout (an installed wheel)."""
    import hydra
    import omegaconf
    import pytorch_lightning
    import torch
    import torchmetrics
    import torchvision

    import infocam_lit

    in_checkout = (CHECKOUT / ".git").exists()
    commit = _git("rev-parse", "HEAD") if in_checkout else None
    status = _git("status", "--porcelain") if commit else None
    cuda = torch.cuda.is_available()
    return {
        "infocam_lit": infocam_lit.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "pytorch_lightning": pytorch_lightning.__version__,
        "torchmetrics": torchmetrics.__version__,
        "hydra": hydra.__version__,
        "omegaconf": omegaconf.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
        "git_commit": commit,
        "git_dirty": bool(status) if status is not None else None,
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
    }


def write_environment(output_dir: str | Path, env: dict) -> Path:
    path = Path(output_dir) / ENV_FILE
    path.write_text(json.dumps(env, indent=2) + "\n")
    return path

"""The entry points: `python train.py` / `python evaluate.py` in a checkout, and the console
scripts `infocam-train` / `infocam-evaluate` of an installed wheel. Both read the same conf/."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from infocam_lit.run.config import register_configs

PACKAGE = Path(__file__).resolve().parents[1]


def config_dir() -> str:
    """The wheel's infocam_lit/conf, or the checkout's conf/ beside the package."""
    for folder in (PACKAGE / "conf", PACKAGE.parent / "conf"):
        if (folder / "train.yaml").is_file():
            return str(folder)
    raise FileNotFoundError(f"no config folder: neither {PACKAGE / 'conf'} (an installed wheel) nor "
                            f"{PACKAGE.parent / 'conf'} (a checkout) holds train.yaml; reinstall infocam_lit")


def _run_hydra(config_name: str, task) -> None:
    """Compose conf/<config_name>.yaml with the command line's overrides and hand it to `task`."""
    register_configs()

    @hydra.main(version_base="1.3", config_path=config_dir(), config_name=config_name)
    def main(cfg: DictConfig) -> None:
        task(cfg)

    main()


def train_main() -> None:
    from infocam_lit.run.train import train

    _run_hydra("train", train)


def evaluate_main() -> None:
    from infocam_lit.run.evaluate import evaluate

    _run_hydra("evaluate", evaluate)

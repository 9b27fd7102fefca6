"""Evaluate a checkpoint: python evaluate.py experiment=<name> ckpt_path=<file> [overrides]."""

import hydra
from omegaconf import DictConfig

from infocam_lit.run.config import register_configs
from infocam_lit.run.evaluate import evaluate

register_configs()


@hydra.main(version_base="1.3", config_path="conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    evaluate(cfg)


if __name__ == "__main__":
    main()

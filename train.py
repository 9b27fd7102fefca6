"""Train an experiment: python train.py experiment=<name> [overrides]. See README.md."""

import hydra
from omegaconf import DictConfig

from infocam_lit.run.config import register_configs
from infocam_lit.run.train import train

register_configs()


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> None:
    train(cfg)


if __name__ == "__main__":
    main()

"""Train an experiment: python train.py experiment=<name> [overrides]. See README.md."""

from infocam_lit.run.cli import train_main

if __name__ == "__main__":
    train_main()

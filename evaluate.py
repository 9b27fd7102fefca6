"""Evaluate a checkpoint: python evaluate.py experiment=<name> ckpt_path=<file> [overrides]."""

from infocam_lit.run.cli import evaluate_main

if __name__ == "__main__":
    evaluate_main()

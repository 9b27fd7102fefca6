"""A slim checkpoint: a trained run's weights and its run config, without the optimiser, schedule, loop or
callback state that only resuming needs: small enough to commit beside a run's summary, and all that
`evaluate.py ckpt_path=<file>` and `predict.py ckpt_path=<file>` read.

    python -m infocam_lit.run.slim_checkpoint <run>/checkpoints/best.ckpt docs/results/<table>/<run>/model.ckpt

An existing file is never replaced (the command refuses, naming it).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from infocam_lit.run.run_record import RUN_CONFIG_KEY, read_checkpoint
from infocam_lit.run.schema import ConfigError

SLIM_FILE = "model.ckpt"  # its name beside a run's summary
# What loading a module for evaluation or prediction reads (Lightning: the weights, the hyper-parameters and
# the version its checkpoint migration keys on; the project: the run config) and where it came from.
KEPT = ("state_dict", "hyper_parameters", "pytorch-lightning_version", RUN_CONFIG_KEY, "epoch", "global_step")


def slim_checkpoint(source: str | Path, target: str | Path) -> Path:
    """Write the slim form of checkpoint `source` to `target` (atomically); a ConfigError when `target`
    exists or `source` is not a training checkpoint of this project."""
    target = Path(target)
    if target.exists():
        raise ConfigError(f"{target} exists: a slim checkpoint is never replaced; remove it or choose another path")
    checkpoint = read_checkpoint(str(source))
    missing = [key for key in ("state_dict", RUN_CONFIG_KEY) if key not in checkpoint]
    if missing:
        raise ConfigError(f"{source} lacks {', '.join(missing)}: not a checkpoint written by infocam_lit's train task")
    slim = {key: checkpoint[key] for key in KEPT if key in checkpoint}
    slim["state_dict"] = {name: tensor.clone() for name, tensor in slim["state_dict"].items()}  # off the mmap
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".tmp")
    torch.save(slim, partial)
    os.replace(partial, target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infocam_lit.run.slim_checkpoint", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a training checkpoint (e.g. <run>/checkpoints/best.ckpt)")
    parser.add_argument("target", type=Path, help=f"where to write it (e.g. <results>/<run>/{SLIM_FILE})")
    args = parser.parse_args(argv)
    try:
        path = slim_checkpoint(args.source, args.target)
    except ConfigError as error:
        raise SystemExit(f"Error: {error}") from None
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB (weights and run config of {args.source})")


if __name__ == "__main__":
    main()

"""Copy finished runs' summaries into a results folder: python -m infocam_lit.report.collect_runs DEST RUN...

Each finished RUN folder (one with metrics.json) becomes DEST/<its folder name>/
holding metrics.json, config.yaml, timing.json and .hydra/{config,overrides}.yaml:
what the report needs to render its tables, and no checkpoints, logs or W&B
folders. Unfinished runs are listed and left out. Shell globs choose the runs:

    python -m infocam_lit.report.collect_runs docs/results/table3 outputs/mnist/multirun/table3_mnist/*
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from infocam_lit.run.run_files import METRICS_FILE, TIMING_FILE

SUMMARY_FILES = (METRICS_FILE, "config.yaml", TIMING_FILE, ".hydra/config.yaml", ".hydra/overrides.yaml")


def collect(dest: Path, runs: list[Path]) -> tuple[list[Path], list[Path]]:
    """(copied, left out as unfinished); a run already in DEST is replaced by the newer copy."""
    copied, unfinished = [], []
    for run in runs:
        if not (run / METRICS_FILE).is_file():
            unfinished.append(run)
            continue
        target = dest / run.name
        for name in SUMMARY_FILES:
            if (run / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(run / name, target / name)
        copied.append(target)
    return copied, unfinished


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infocam_lit.report.collect_runs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path, help="the table's results folder, e.g. docs/results/table3")
    parser.add_argument("runs", type=Path, nargs="+", help="run folders")
    args = parser.parse_args(argv)
    runs = [run for run in args.runs if (run / ".hydra").is_dir()]
    if not runs:
        raise SystemExit("no run folders (with .hydra/) among the given paths")
    copied, unfinished = collect(args.dest, runs)
    print(f"{len(copied)} finished run(s) copied into {args.dest}")
    for run in unfinished:
        print(f"not finished, left out: {run}")


if __name__ == "__main__":
    main()

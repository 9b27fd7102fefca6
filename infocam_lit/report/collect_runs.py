"""Copy finished runs' summaries into a results folder: python -m infocam_lit.report.collect_runs DEST RUN...

Each finished RUN folder (one with metrics.json) becomes DEST/<its folder name>/
holding metrics.json, config.yaml, timing.json, per_image.csv.gz (where the run
wrote one) and .hydra/{config,overrides}.yaml: what the report needs to render
its tables, and no checkpoints, logs or W&B folders. With --slim-checkpoint, also
DEST/<its folder name>/model.ckpt, the slim form of its checkpoints/best.ckpt
(weights and run config: what evaluate.py needs to re-evaluate it). Unfinished
runs are listed and left out. Shell globs choose the runs:

    python -m infocam_lit.report.collect_runs docs/results/table3 outputs/mnist/multirun/table3_mnist/*

Finished work is never replaced: a file already in DEST stays as it is. A run whose
metrics.json differs from the one already in DEST is refused whole (named, nothing
copied); one whose metrics.json agrees gets the files it lacks there (a re-made run's
checkpoint and per-image results beside its committed summary), and the files that
differ (its timing.json, say) are named and kept as they were.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
from pathlib import Path

from infocam_lit.run.run_files import METRICS_FILE, PER_IMAGE_FILE, TIMING_FILE
from infocam_lit.run.slim_checkpoint import SLIM_FILE, slim_checkpoint

SUMMARY_FILES = (METRICS_FILE, "config.yaml", TIMING_FILE, PER_IMAGE_FILE, ".hydra/config.yaml",
                 ".hydra/overrides.yaml")
BEST_CHECKPOINT = "checkpoints/best.ckpt"  # the checkpoint a training run tests


def collect(dest: Path, runs: list[Path], slim: bool = False) -> dict[str, list]:
    """{"copied": run folders in DEST that got files, "unfinished": runs left out, "refused": (run, why),
    "kept": files of DEST left as they were though the run's differ}."""
    outcome: dict[str, list] = {"copied": [], "unfinished": [], "refused": [], "kept": []}
    for run in runs:
        if not (run / METRICS_FILE).is_file():
            outcome["unfinished"].append(run)
            continue
        target = dest / run.name
        if (target / METRICS_FILE).is_file() and not filecmp.cmp(run / METRICS_FILE, target / METRICS_FILE, False):
            outcome["refused"].append((run, f"its metrics.json differs from {target / METRICS_FILE}"))
            continue
        copied = False
        for name in SUMMARY_FILES:
            if not (run / name).is_file():
                continue
            if (target / name).is_file():
                if not filecmp.cmp(run / name, target / name, shallow=False):
                    outcome["kept"].append(target / name)
                continue
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(run / name, target / name)
            copied = True
        if slim and (run / BEST_CHECKPOINT).is_file() and not (target / SLIM_FILE).exists():
            slim_checkpoint(run / BEST_CHECKPOINT, target / SLIM_FILE)
            copied = True
        if copied:
            outcome["copied"].append(target)
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infocam_lit.report.collect_runs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path, help="the table's results folder, e.g. docs/results/table3")
    parser.add_argument("runs", type=Path, nargs="+", help="run folders")
    parser.add_argument("--slim-checkpoint", action="store_true",
                        help=f"also write {SLIM_FILE}, the slim form of each run's {BEST_CHECKPOINT}")
    args = parser.parse_args(argv)
    runs = [run for run in args.runs if (run / ".hydra").is_dir()]
    if not runs:
        raise SystemExit("no run folders (with .hydra/) among the given paths")
    outcome = collect(args.dest, runs, args.slim_checkpoint)
    print(f"{len(outcome['copied'])} finished run(s) copied into {args.dest}")
    for run in outcome["unfinished"]:
        print(f"not finished, left out: {run}")
    for run, why in outcome["refused"]:
        print(f"refused, nothing copied: {run}: {why}")
    for path in outcome["kept"]:
        print(f"kept as it was (the run's copy differs): {path}")


if __name__ == "__main__":
    main()

"""One run per seed: what a table pools.

A table's statistics (mean ± std, tests) are over seeds, so each seed counts once. A training run's seed is
its `seed`. An evaluation's is the seed its checkpoint was trained with (`checkpoint_run.seed`, which
evaluate.py records; its own `seed` is not the training seed), or, for evaluations made before evaluate.py
recorded it, the training run whose checkpoint it read. Two runs of one seed whose configs do not differ
(configs.py) are duplicates: the first folder in sorted order is pooled, the others are listed under the table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from infocam_lit.report.configs import differing_keys, signature
from infocam_lit.report.runs import RATIO_KEYS, Run, imbalance_ratio, is_evaluate_run


def trained_run_name(run: Run) -> str:
    """The trained run behind a run: its own folder's name for a training run; for an evaluation, the folder
    of the checkpoint it read (<run>/checkpoints/best.ckpt or a slim <run>/model.ckpt)."""
    if not is_evaluate_run(run.config):
        return run.folder.name
    checkpoint = Path(run.config["ckpt_path"])
    return (checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else checkpoint.parent).name


def seed_of(run: Run) -> Hashable:
    """The seed a run counts as (module docstring)."""
    if not is_evaluate_run(run.config):
        return run.config["seed"]
    recorded = (run.config.get("checkpoint_run") or {}).get("seed")
    return recorded if recorded is not None else f"the checkpoint of {trained_run_name(run)}"


@dataclass(frozen=True)
class Duplicate:
    run: Run  # left out
    pooled: Run  # the run of the same configuration and seed that is pooled


def one_run_per_seed(runs: list[Run]) -> tuple[list[Run], list[Duplicate]]:
    """The runs a table pools (in their order), and the duplicates left out. rho written two ways
    (`data.imbalanced=false` or `data.imbalance_ratio=1`) is one training set, so compared as rho."""
    pooled: dict[Hashable, list[tuple[dict, Run]]] = defaultdict(list)  # (seed, rho) -> (signature, run)
    duplicates = []
    for run in sorted(runs, key=lambda run: run.folder):
        run_signature = signature(run, ignore=RATIO_KEYS)
        same_seed = pooled[(seed_of(run), imbalance_ratio(run.config))]
        twin = next((other for other_signature, other in same_seed
                     if not differing_keys(other_signature, run_signature)), None)
        if twin is None:
            same_seed.append((run_signature, run))
        else:
            duplicates.append(Duplicate(run, twin))
    left_out = {id(duplicate.run) for duplicate in duplicates}
    return [run for run in runs if id(run) not in left_out], duplicates


def duplicates_markdown(duplicates: list[Duplicate]) -> str:
    """The duplicates, listed under a table ("" when there are none)."""
    if not duplicates:
        return ""
    return ("Duplicates, left out (the same configuration and seed as a run pooled in their place; of such runs "
            "the first folder in sorted order is pooled):\n"
            + "\n".join(f"- `{d.run.folder}`: a duplicate of `{d.pooled.folder}`" for d in duplicates))

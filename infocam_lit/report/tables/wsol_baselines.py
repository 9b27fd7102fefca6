"""The two maps that need no network at the end of every dataset block of the WSOL tables, scored the
same way on the same test half: a fixed centred Gaussian and the whole image as the box. A map that
does not beat them has not localised anything."""

from __future__ import annotations

from infocam_lit.report.runs import Run, mean_std, mean_std_cell, percent_mean_std
from infocam_lit.report.tables.wsol_groups import Key, dataset_metrics, metric_values

BASELINES = {"center_gaussian": "center_gaussian (no network)", "full_image": "full_image (no network)"}
CENTRE = "center_gaussian"
# the whole image as the box needs no threshold: its GT-known Loc is the same at every τ, the held-out one included
TAU_FREE = {"full_image"}


def baseline_values(metrics: list[dict], name: str, measure: str) -> list[float]:
    """One value per run of a baseline map; a τ-free baseline's held-out GT-known Loc is its GT-known Loc."""
    if name in TAU_FREE and measure == "gt_known_loc_val_tau":
        measure = "gt_known_loc"
    return metric_values(metrics, f"test/{name}/{measure}")


def baseline_cell(metrics: list[dict], name: str, measure: str, percent: bool = True) -> str:
    """A baseline needs no network, so every run of a dataset gives the same value: printed once, without
    a "± 0.00" that would read as a spread over seeds; a ± appears only if runs disagree."""
    values = baseline_values(metrics, name, measure)
    if not values:
        return "—"
    if len(set(values)) > 1:
        return percent_mean_std(values) if percent else mean_std_cell(values, 2)
    return f"{100 * values[0]:.2f}" if percent else f"{values[0]:.2f}"


def baselines_in(metrics: list[dict]) -> dict[str, list[dict]]:
    """The baselines the runs report -> the runs that report them (runs made before they existed do not)."""
    carrying = {name: [m for m in metrics if f"test/{name}/gt_known_loc" in m] for name in BASELINES}
    return {name: runs for name, runs in carrying.items() if runs}


BASELINE_NOTE = ("center_gaussian / full_image (no network): a fixed centred Gaussian map, and the whole image "
                 "as the box, scored on the same test half (per dataset, from every run; printed without ± "
                 "where every run gives the same value, as they should); full_image needs no τ, so its GT-known "
                 "Loc stands in the val τ column too. — : the measure does not apply (no class is predicted, "
                 "no τ is chosen).")


def baseline_note(groups: dict[Key, list[dict]]) -> str:
    """The note on the baseline rows, where there are any."""
    return BASELINE_NOTE if baselines_in(dataset_metrics(groups)) else ""


def baseline_records(table: str, experiment: str, metrics: list[dict]) -> list[dict]:
    """The CSV records of a dataset's baseline rows."""
    records = []
    for name, carrying in baselines_in(metrics).items():
        values = {m: baseline_values(carrying, name, m) for m in ("gt_known_loc", "maxboxacc_v2",
                                                                    "gt_known_loc_val_tau", "val_tau")}
        records.append({"table": table, "dataset": experiment, "architecture": "no network", "map": name,
                        "runs": len(carrying), **{f"{k} mean": mean_std(v)[0] for k, v in values.items()},
                        **{f"{k} std": mean_std(v)[1] for k, v in values.items()}})
    return records


def best_on_test(runs: list[Run], experiment: str, name: str = CENTRE) -> tuple[float, float] | None:
    """(the baseline's GT-known Loc at the paper's τ, the best of its τ on the test half itself), from any run of
    the dataset that records the second (`gt_known_loc_best_tau`, an oracle; runs made before it existed do not);
    None when none does."""
    key, best = f"test/{name}/gt_known_loc", f"test/{name}/gt_known_loc_best_tau"
    for run in runs:
        if not run.failed and run.config.get("experiment_name") == experiment and best in run.metrics:
            return run.metrics[key], run.metrics[best]
    return None


def tuned_on_test(runs: list[Run], experiment: str) -> bool:
    """Whether the centre baseline's value at the paper's τ is the best of its τ on the test half."""
    values = best_on_test(runs, experiment)
    return values is not None and values[0] >= values[1]


def centre_note(runs: list[Run], experiments: list[str], names: dict[str, str]) -> str:
    """What the runs say of the centre baseline's value at the paper's τ: the best square on the test half
    itself (so tuned on test, and maps at val τ are compared with its own val-τ value), or not."""
    sentences = []
    for experiment in experiments:
        values = best_on_test(runs, experiment)
        about = f"{names[experiment]}: the centre baseline's value at the paper's τ"
        if values is None:
            sentences.append(f"{about}: whether it is the best of its τ on the test half is not recorded by these "
                             "runs.")
        elif values[0] >= values[1]:
            sentences.append(f"{about} ({100 * values[0]:.2f}) is the best of all its τ on the test half itself "
                             "(`gt_known_loc_best_tau`), a value tuned on test; maps at val τ are compared with its "
                             "own val-τ value.")
        else:
            sentences.append(f"{about} ({100 * values[0]:.2f}) is below its best τ on the test half "
                             f"({100 * values[1]:.2f}).")
    return " ".join(sentences)

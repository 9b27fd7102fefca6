"""How infoCAM's region size R changes localisation: trained checkpoints re-evaluated at R = 1..5.

The runs are `evaluate.py` runs of one command per trained checkpoint,

    python evaluate.py -m experiment=<its experiment> ckpt_path="'<run>/checkpoints/best.ckpt'" \
        cam.region_size=1,2,3,4,5

(quoted: a sweep job's folder name holds `=` and `,`, which Hydra's override grammar would read)

committed under docs/results/table4/region_size/. An evaluate run restores the data, model, loss and
cam sections of the checkpoint it reads, so its config names the group (dataset, architecture, ADL,
loss) as the training run's does; its `seed` is evaluate.py's own, not the training seed, so a seed is
the one its checkpoint was trained with (seeds.py: `checkpoint_run.seed`, or for older evaluations the
training run folder its `ckpt_path` lies in), one run per seed and R. Only evaluate runs whose overrides set
`cam.region_size` and no other `cam.*` key count: anything else would mix map settings.

Per group, GT-known Loc at val τ and MaxBoxAccV2 of CAM, infoCAM and infoCAM+ against R (mean ± std
over seeds), as a table and as region_size_<dataset>.png. CAM does not use the region, so its values are
the same at every R: a check that nothing else changed between the evaluations."""

from __future__ import annotations

import os
import textwrap
from collections import defaultdict
from pathlib import Path

import yaml

from infocam_lit.report.configs import config_record, configurations
from infocam_lit.report.figures import PNG_METADATA
from infocam_lit.report.runs import Run, is_evaluate_run, markdown_table, mean_std, percent_mean_std
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed, seed_of
from infocam_lit.report.tables.wsol_groups import EXPERIMENTS, MAP_NAMES, MAPS, Key, group_key, group_label, protocol

MEASURES = {"gt_known_loc_val_tau": "GT-known Loc (val τ)", "maxboxacc_v2": "MaxBoxAccV2"}
FIGURE_NAMES = {"wsol_tiny": "region_size_tiny.png", "wsol_cub": "region_size_cub.png"}
MAP_COLOURS = {"cam": "tab:gray", "infocam": "tab:blue", "infocam_plus": "tab:orange"}
TITLE_CHARACTERS = 64  # a panel title's line at 9 pt, narrower than its 5.5-inch panel
# group -> R -> seed (seeds.py) -> metrics
Study = dict[Key, dict[int, dict[object, dict]]]


def _override_keys(run: Run) -> list[str]:
    """The config keys the run's command line set (Hydra's .hydra/overrides.yaml; none when it is missing)."""
    path = run.folder / ".hydra" / "overrides.yaml"
    overrides = (yaml.safe_load(path.read_text()) or []) if path.is_file() else []
    return [override.split("=", 1)[0].lstrip("+~") for override in overrides]


def varies_region_size_only(run: Run) -> bool:
    """An evaluate run that changed the region size and no other map setting of its checkpoint."""
    cam_keys = [key for key in _override_keys(run) if key.startswith("cam.")]
    return cam_keys == ["cam.region_size"]


def is_study_run(run: Run) -> bool:
    """A finished evaluation of a WSOL checkpoint, measured the project's way, that changed its region size only."""
    config = run.config
    return (not run.failed and is_evaluate_run(config) and config.get("experiment_name") in EXPERIMENTS
            and protocol(config) == "infocam_lit" and varies_region_size_only(run))


def study_runs(runs: list[Run]) -> Study:
    """The study's runs (one per seed and R, `one_run_per_seed`) by group and configuration."""
    groups: dict[Key, list[Run]] = defaultdict(list)
    for run in one_run_per_seed([run for run in runs if is_study_run(run)])[0]:
        groups[group_key(run.config)].append(run)
    study: Study = defaultdict(lambda: defaultdict(dict))
    for key, group in groups.items():
        # one block per configuration of a group, R its rows
        for configuration in configurations(group, ignore=("cam.region_size",)):
            by_size = study[key._replace(config=configuration.label)]
            for run in configuration.runs:
                by_size[int(run.config["cam"]["region_size"])][seed_of(run)] = run.metrics
    # a stable sort on the group: its configurations stay in their order
    return {key: dict(sorted(by_size.items())) for key, by_size in sorted(study.items(), key=lambda item: item[0][:4])}


def _values(by_run: dict[object, dict], name: str, measure: str) -> list[float]:
    key = f"test/{name}/{measure}"
    return [metrics[key] for metrics in by_run.values() if key in metrics]


def _group_table(by_size: dict[int, dict[object, dict]]) -> str:
    columns = ["R", "seeds", *(f"{MAP_NAMES[name]} {label}" for label in MEASURES.values() for name in MAPS)]
    rows = [[str(size), str(len(by_run)),
             *(percent_mean_std(_values(by_run, name, measure)) for measure in MEASURES for name in MAPS)]
            for size, by_run in by_size.items()]
    return markdown_table(columns, rows)


def _records(study: Study) -> list[dict]:
    records = []
    shown = any(key.config for key in study)
    for key, by_size in study.items():
        for size, by_run in by_size.items():
            for name in MAPS:
                values = {measure: _values(by_run, name, measure) for measure in MEASURES}
                records.append({"dataset": key.experiment, "architecture": key.arch, "adl": key.adl, "loss": key.loss,
                                **config_record(key.config, shown), "region_size": size, "map": name,
                                "seeds": len(by_run),
                                **{f"{m} mean": mean_std(v)[0] for m, v in values.items()},
                                **{f"{m} std": mean_std(v)[1] for m, v in values.items()}})
    return records


def plot_region_size(study: Study, path: Path) -> Path:
    """One row of panels per group (GT-known Loc at val τ; MaxBoxAccV2) against R: a line per map, its
    mean over seeds, and a ±1 std band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(study), len(MEASURES), figsize=(5.5 * len(MEASURES), 3.6 * len(study)),
                             squeeze=False, layout="constrained")
    for row, (key, by_size) in zip(axes, study.items(), strict=True):
        sizes = list(by_size)
        for ax, (measure, label) in zip(row, MEASURES.items(), strict=True):
            for name in MAPS:
                points = [(size, *mean_std(_values(by_size[size], name, measure))) for size in sizes]
                points = [(size, 100 * mean, 100 * std) for size, mean, std in points if mean == mean]  # NaN: none
                if not points:
                    continue
                xs, means, stds = zip(*points, strict=True)
                ax.plot(xs, means, marker="o", color=MAP_COLOURS[name], label=MAP_NAMES[name])
                ax.fill_between(xs, [m - s for m, s in zip(means, stds, strict=True)],
                                [m + s for m, s in zip(means, stds, strict=True)], color=MAP_COLOURS[name], alpha=0.2)
            # a group's label names its configuration, which may be wider than the panel
            ax.set_title(f"{textwrap.fill(group_label(key), TITLE_CHARACTERS)}\n{label}", fontsize=9)
            ax.set_xlabel("region size R")
            ax.set_ylabel(f"{label} [%]")
            ax.set_xticks(sizes)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return path


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    study = study_runs(runs)
    if not study:
        return None
    parts = ["### Region size: trained checkpoints re-evaluated with infoCAM's region R × R (%, mean ± std "
             "over seeds)",
             "`python evaluate.py -m experiment=<its experiment> ckpt_path=\"'<run>/checkpoints/best.ckpt'\" "
             "cam.region_size=1,2,3,4,5` per trained "
             "run; seeds: the checkpoints evaluated at that R. GT-known Loc at the τ chosen on the validation half; "
             "MaxBoxAccV2 at the best τ on test. CAM does not use the region: its columns stay the same at every R."]
    for experiment in EXPERIMENTS:
        dataset_study = {key: by_size for key, by_size in study.items() if key.experiment == experiment}
        if not dataset_study:
            continue
        for key, by_size in dataset_study.items():
            parts += [f"#### {group_label(key)}", _group_table(by_size)]
        figure = plot_region_size(dataset_study, out / FIGURE_NAMES[experiment])
        parts.append(f"![region size, {EXPERIMENTS[experiment]}]({os.path.relpath(figure, link_from)})")
    duplicates = one_run_per_seed([run for run in runs if is_study_run(run)])[1]
    return "\n\n".join(filter(None, [*parts, duplicates_markdown(duplicates)])), _records(study)

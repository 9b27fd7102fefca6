"""Which WSOL runs Tables 4, 6, 7 and 8 take, how they are grouped, and the cells that name a group.

A group is (dataset, architecture as trained, ADL, loss): "resnet50" is torchvision's ImageNet-
pretrained network (the paper's), "resnet50 (from scratch)" the same architecture trained from random
weights; the paper's values appear beside the first only.

These tables hold training runs measured the project's way (SPEC §4.2, the test half); `evaluate.py`
runs (re-evaluations of a checkpoint, e.g. the region-size study in region_size.py) are left out so
no checkpoint counts twice, and a group pools one run per seed (seeds.py). wsolevaluation's published
MaxBoxAccV2 appears only in its own table, beside runs measured its way: `evaluate.py ...
data.eval_split=official_test cam.threshold_step=0.001 cam.box_convention=wsolevaluation`."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from infocam_lit.report.configs import config_record, configurations, insert_config_column
from infocam_lit.report.runs import Run, is_evaluate_run
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed

EXPERIMENTS = {"wsol_cub": "CUB", "wsol_tiny": "Tiny-ImageNet"}
MAPS = ("cam", "infocam", "infocam_plus")
MAP_NAMES = {"cam": "CAM", "infocam": "infoCAM", "infocam_plus": "infoCAM+"}


class Key(NamedTuple):
    """A group of runs, one per seed."""

    experiment: str
    arch: str  # architecture as trained (see `architecture`)
    adl: bool
    loss: str
    config: str = ""  # what sets its configuration apart from the others of its setting ("" when it is alone)


def net_name(net: dict) -> str:
    """The architecture: the net's `_target_` function (e.g. infocam_lit.nets.wsol.resnet50 -> resnet50), or
    the `name` of runs made before networks were configured by `_target_`."""
    return net["name"] if "name" in net else net["_target_"].rsplit(".", 1)[-1]


def architecture(net: dict) -> str:
    """The architecture as trained: "resnet50" from ImageNet weights (torchvision's, or a local copy of them
    given as a file), "resnet50 (from scratch)" from random weights. Every WSOL network's schema has had
    `pretrained` since the first WSOL runs (false for small_gap_cnn, which has no ImageNet weights), so a
    resolved config always says; a network with no such setting has no weights to start from. The paper's
    values are keyed by the plain name, so a from-scratch group never meets them."""
    name = net_name(net)
    return name if net.get("pretrained") else f"{name} (from scratch)"


def protocol(config: dict) -> str:
    """How a run measured its test metrics: "infocam_lit" (SPEC §4.2 on the test half), "wsolevaluation"
    (its MaxBoxAccV2 exactly, CUB's whole official test split, threshold step 0.001) or "other"."""
    cam = config["cam"]
    # only CUB's data has the choice (data.eval_split); Tiny-ImageNet's scores its test half, as CUB's default
    official_split = config["data"].get("eval_split") == "official_test"
    if cam["box_convention"] == "infocam_lit" and not official_split:
        return "infocam_lit"
    if cam["box_convention"] == "wsolevaluation" and official_split and cam["threshold_step"] == 0.001:
        return "wsolevaluation"
    return "other"


def group_key(config: dict) -> Key:
    """A run's group from its config, before any split by configuration."""
    net = config["model"]["net"]
    return Key(config["experiment_name"], architecture(net), bool(net["adl"]), config["loss"]["name"])


def group_label(key: Key) -> str:
    """"Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax": a group in a sentence or heading."""
    label = f"{EXPERIMENTS[key.experiment]}, {key.arch}, ADL {'yes' if key.adl else 'no'}, {key.loss}"
    return label + (f", `{key.config}`" if key.config else "")


def measured_runs(runs: list[Run], measured: str = "infocam_lit") -> list[Run]:
    """The finished WSOL runs measured by `measured` (see `protocol`). The project's tables take training runs
    only: an evaluate run re-measures a checkpoint a training run already reports. Runs measured
    wsolevaluation's way are evaluate runs by construction."""
    return [run for run in runs if not run.failed and run.config.get("experiment_name") in EXPERIMENTS
            and protocol(run.config) == measured and not (measured == "infocam_lit" and is_evaluate_run(run.config))]


def duplicates_note(runs: list[Run], measured: str = "infocam_lit") -> str:
    """The duplicates `grouped_runs` leaves out, listed under a table ("" when there are none)."""
    return duplicates_markdown(one_run_per_seed(measured_runs(runs, measured))[1])


def grouped_runs(runs: list[Run], measured: str = "infocam_lit") -> dict[Key, list[Run]]:
    """(experiment, architecture, ADL, loss) -> its runs measured by `measured` (`measured_runs`), one per seed.
    A setting whose runs differ in more than the seed and the loss is split by configuration (Key.config)."""
    settings: dict[tuple, list[Run]] = defaultdict(list)  # (experiment, architecture, ADL) -> its runs, every loss
    for run in one_run_per_seed(measured_runs(runs, measured))[0]:
        settings[group_key(run.config)[:3]].append(run)
    groups: dict[Key, list[Run]] = defaultdict(list)
    for setting, setting_runs in settings.items():
        # the losses side by side within one configuration, so a PC-softmax group finds its softmax twin
        for configuration in configurations(setting_runs, ignore=("loss.name",)):
            for run in configuration.runs:
                groups[Key(*setting, run.config["loss"]["name"], configuration.label)].append(run)
    # a stable sort on the setting and loss: the configurations of a group stay in their order
    return dict(sorted(groups.items(), key=lambda item: item[0][:4]))


def grouped_metrics(runs: list[Run], measured: str = "infocam_lit") -> dict[Key, list[dict]]:
    """As `grouped_runs`, each run's metrics."""
    return {key: [run.metrics for run in group] for key, group in grouped_runs(runs, measured).items()}


def by_dataset(groups: dict[Key, list[dict]]) -> dict[str, dict[Key, list[dict]]]:
    """experiment -> its groups, in their order."""
    datasets: dict[str, dict[Key, list[dict]]] = defaultdict(dict)
    for key, metrics in groups.items():
        datasets[key.experiment][key] = metrics
    return datasets


def dataset_metrics(groups: dict[Key, list[dict]]) -> list[dict]:
    """Every run's metrics of the groups, in one list."""
    return [m for metrics in groups.values() for m in metrics]


def metric_values(metrics: list[dict], key: str) -> list[float]:
    """One value per run of a metric key, from the runs that report it."""
    return [m[key] for m in metrics if key in m]


def setting_cells(key: Key) -> list[str]:
    """A group's first cells: dataset, architecture, ADL, loss."""
    return [EXPERIMENTS[key.experiment], key.arch, "yes" if key.adl else "no", key.loss]


def with_config(columns: list[str], rows: list[list[str]], keys: list[Key | None]) -> tuple[list, list]:
    """The "config" column after "loss", where some group is one of several configurations (None: a baseline
    row)."""
    return insert_config_column(columns, rows, [key.config if key else "" for key in keys], after="loss")


def config_field(key: Key, groups) -> dict[str, str]:
    """A group's "config" field of the CSV records, where some group is one of several configurations."""
    return config_record(key.config, any(other.config for other in groups))

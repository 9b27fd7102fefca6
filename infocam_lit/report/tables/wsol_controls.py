"""Controls: what makes infoCAM differ from CAM (SPEC §7.6), from evaluations of the trained checkpoints.

Each control is an `evaluate.py` run of a study checkpoint that changes one map setting, committed under
docs/results/table4/controls/<trained run>/:

    python evaluate.py -m ckpt_path="'<results>/<run>/model.ckpt'" data.root=<folder> \\
        cam.region_padding=zeros,replicate,reflect
    python evaluate.py -m ckpt_path="'<results>/<run>/model.ckpt'" data.root=<folder> \\
        cam.region_mode=same,centered cam.region_size=2,4

- the window's padding: infoCAM's region sum with zero padding (the paper's) darkens the borders, a centre
  prior; with replicate or reflect padding it does not;
- an even window without its half-cell shift: `cam.region_mode=centered` against `same` at R = 2 and 4;
- a centre prior on CAM: `cam_x_center`, CAM times the centre Gaussian, scored in every test pass;
- the subtraction: "subtraction only" (infoCAM without the region) against CAM, beside the ratio
  ‖mean class weight‖ / mean ‖class weight‖ of each checkpoint (`test/class_weight_mean_ratio`): under SGD with
  softmax cross-entropy the mean class weight never learns, so the subtraction is CAM rescaled.

Every row is paired by checkpoint and by image (wsol_paired.py). Region-size evaluations (only
`cam.region_size` set) belong to the region-size study and are left out here.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path

import yaml

from infocam_lit.report.runs import Run, is_evaluate_run, markdown_table
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed
from infocam_lit.report.tables.wsol_groups import EXPERIMENTS, Key, group_key, group_label, protocol
from infocam_lit.report.tables.wsol_paired import COMPARISON_COLUMNS, METHOD_NOTE, compare, map_side

CONTROL_KEYS = ("cam.region_padding", "cam.region_mode", "cam.region_size")
MEASURES = {"gt_known_loc_val_tau": "GT-known (val τ)", "maxboxacc_v2": "MaxBoxAccV2"}
RATIO = "test/class_weight_mean_ratio"
CLASSES = {"wsol_tiny": 200, "wsol_cub": 200}  # the datasets' class counts, for the ratio of random weights
# a setting: (padding, mode, R)
Setting = tuple[str, str, int]


def _cam_overrides(run: Run) -> list[str]:
    path = run.folder / ".hydra" / "overrides.yaml"
    overrides = (yaml.safe_load(path.read_text()) or []) if path.is_file() else []
    return [o.split("=", 1)[0].lstrip("+~") for o in overrides if o.lstrip("+~").startswith("cam.")]


def is_control(run: Run) -> bool:
    """An evaluation of a WSOL checkpoint that changed no map setting or only those a control changes (not the
    region-size study's, which sets `cam.region_size` alone)."""
    keys = _cam_overrides(run)
    return (not run.failed and is_evaluate_run(run.config) and run.config.get("experiment_name") in EXPERIMENTS
            and protocol(run.config) == "infocam_lit" and set(keys) <= set(CONTROL_KEYS)
            and keys != ["cam.region_size"])


def setting_of(run: Run) -> Setting:
    cam = run.config["cam"]
    return cam["region_padding"], cam["region_mode"], int(cam["region_size"])


def control_runs(runs: list[Run]) -> dict[Key, dict[Setting, list[Run]]]:
    """group -> setting -> its evaluations (one per seed, `one_run_per_seed`)."""
    study: dict[Key, dict[Setting, list[Run]]] = defaultdict(lambda: defaultdict(list))
    for run in one_run_per_seed([run for run in runs if is_control(run)])[0]:
        study[group_key(run.config)][setting_of(run)].append(run)
    return {key: dict(settings) for key, settings in sorted(study.items())}


def _as_trained(settings: dict[Setting, list[Run]]) -> Setting | None:
    """The setting the checkpoints were evaluated with unchanged: zero padding, `same`, the trained R (the odd
    R with the most evaluations)."""
    plain = [s for s in settings if s[0] == "zeros" and s[1] == "same" and s[2] % 2 == 1]
    return max(plain, key=lambda s: len(settings[s])) if plain else None


def _rows(settings: dict[Setting, list[Run]]) -> list[tuple[str, str, list[Run], str, list[Run], str]]:
    """(control, first map, its runs, second map, its runs, what the row asks) for each control the runs allow."""
    base = _as_trained(settings)
    if base is None:
        return []
    _, _, r = base
    runs = settings[base]
    rows = [("as trained (zero padding)", "infocam", runs, "cam", runs, f"infoCAM vs CAM, R = {r}"),
            ("as trained (zero padding)", "infocam_plus", runs, "cam", runs, f"infoCAM+ vs CAM, R = {r}"),
            ("subtraction", "infocam_noregion", runs, "cam", runs, "subtraction only vs CAM (neither)"),
            ("window sum", "cam_region", runs, "cam", runs, f"region only vs CAM, R = {r}"),
            ("centre prior", "cam_x_center", runs, "cam", runs, "CAM × centre Gaussian vs CAM"),
            ("centre prior", "infocam", runs, "cam_x_center", runs, "infoCAM vs CAM × centre Gaussian")]
    for padding in ("replicate", "reflect"):
        padded = settings.get((padding, "same", r))
        if padded:
            rows += [(f"{padding} padding", "infocam", padded, "cam", padded, f"infoCAM vs CAM, R = {r}"),
                     (f"{padding} padding", "infocam", padded, "infocam", runs, f"infoCAM: {padding} vs zero padding"),
                     (f"{padding} padding", "infocam_plus", padded, "infocam_plus", runs,
                      f"infoCAM+: {padding} vs zero padding")]
    for even in (2, 4):
        centred, shifted = settings.get(("zeros", "centered", even)), settings.get(("zeros", "same", even))
        if centred and shifted:
            rows += [(f"even R = {even}", "infocam", centred, "infocam", shifted, "infoCAM: centred vs shifted window"),
                     (f"even R = {even}", "infocam", centred, "cam", centred, "infoCAM (centred window) vs CAM")]
    return rows


def _ratio_line(key: Key, runs: list[Run]) -> str | None:
    ratios = [run.metrics[RATIO] for run in runs if RATIO in run.metrics]
    classes = CLASSES[key.experiment]
    if not ratios:
        return None
    spread = f" ± {statistics.stdev(ratios):.4f}" if len(ratios) > 1 else ""
    return (f"- {group_label(key)}: ‖mean class weight‖ / mean ‖class weight‖ = {statistics.fmean(ratios):.4f}{spread} "
            f"over {len(ratios)} checkpoint{'s' if len(ratios) != 1 else ''} (random weights: about 1/√M = "
            f"{1 / math.sqrt(classes):.4f} for M = {classes} classes).")


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    study = control_runs(runs)
    if not study:
        return None
    parts = ["### Controls: what makes infoCAM differ from CAM (evaluations of the study's checkpoints)",
             "Each row pairs two maps over the same checkpoints and images: the window's padding "
             "(`cam.region_padding`), an even window without its half-cell shift (`cam.region_mode=centered`), a "
             "centre prior on CAM (`cam_x_center`) and the subtraction of the other classes' mean map. " + METHOD_NOTE]
    records, ratio_lines = [], []
    for key, settings in study.items():
        rows = []
        for control, first, first_runs, second, second_runs, question in _rows(settings):
            for measure, label in MEASURES.items():
                result = compare(map_side(first_runs, first, measure), map_side(second_runs, second, measure))
                if result is None:
                    continue
                rows.append([control, question, label, str(result.runs), *result.cells()])
                records.append({"table": "controls", "dataset": key.experiment, "architecture": key.arch,
                                "adl": key.adl, "loss": key.loss, "control": control, "comparison": question,
                                "measure": measure, **result.record()})
        if rows:
            parts += [f"#### {group_label(key)}",
                      markdown_table(["control", "comparison", "measure", "checkpoints", *COMPARISON_COLUMNS], rows)]
        base = _as_trained(settings)
        line = _ratio_line(key, settings[base]) if base else None
        ratio_lines += [line] if line else []
    if ratio_lines:
        parts += ["The subtraction's reach, per checkpoint (`test/class_weight_mean_ratio`):", "\n".join(ratio_lines)]
    duplicates = duplicates_markdown(one_run_per_seed([run for run in runs if is_control(run)])[1])
    return "\n\n".join(filter(None, [*parts, duplicates])), records

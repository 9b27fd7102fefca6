"""Hand-made run folders for the report's tests: a run's configs and metrics.json as train.py and
evaluate.py write them, without training."""

import json

import yaml

# the mixture runs' exact I(X;Y) (d = 5, imbalanced), and a mixture run's metrics around an estimate
EXACT = 1.4449


def gmm_metrics(estimate: float) -> dict:
    return {"test/mi": estimate, "test/mi_se": 0.004, "test/mi_true": EXACT, "test/mi_mc": EXACT, "train/mi": 1.4,
            "test/acc": 0.9, "test/acc_bayes_balanced": 0.91}


def make_run(folder, config, metrics=None):
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics))


def classification_config(experiment, imbalanced, loss, seed):
    return {"experiment_name": experiment, "seed": seed, "loss": {"name": loss},
            "data": {"_target_": "infocam_lit.data.mnist.MNISTDataModule", "imbalanced": imbalanced}}


def mi_config(model: str, seed: int, dim: int = 5, **data) -> dict:
    targets = {"mlp": "infocam_lit.modules.classifier.ClassifierModule", "mine": "infocam_lit.modules.mine.MINEModule",
               "knn": "infocam_lit.modules.knn.KNNModule"}
    return {"experiment_name": "mi_gmm", "seed": seed, "loss": {"name": "pc_softmax"},
            "model": {"_target_": targets[model]},
            "data": {"_target_": "infocam_lit.data.gmm.GMMDataModule", "dim": dim, "imbalanced": True, "seed": seed,
                     **data}}


def section(table: str, title: str) -> str:
    """The part of table.md from `title` to the next "### " heading (its "#### " sub-headings included)."""
    rest = table.split(title, 1)[1]
    return title + rest.split("\n### ", 1)[0]


def plain_wsol_metrics(shift: float) -> dict:
    """A WSOL test pass without the held-out τ keys and the no-network baselines (runs from before they were
    written): the classifier and five maps' GT-known / Top-1 Loc and MaxBoxAccV2, `shift` added to GT-known."""
    metrics = {"test/cls_top1": 0.74, "test/cls_top5": 0.92}
    for i, name in enumerate(("cam", "cam_region", "infocam_noregion", "infocam", "infocam_plus")):
        metrics |= {f"test/{name}/gt_known_loc": 0.40 + 0.05 * i + shift, f"test/{name}/top1_loc": 0.30 + 0.05 * i,
                    f"test/{name}/maxboxacc_v2": 0.60}
    return metrics


CENTRE = {"gt_known_loc": 0.45, "gt_known_loc_val_tau": 0.47, "val_tau": 0.35, "maxboxacc_v2": 0.58}
FULL_IMAGE = {"gt_known_loc": 0.30, "maxboxacc_v2": 0.31}
# per map: (GT-known Loc, GT-known Loc at val τ, MaxBoxAccV2) of seed 0; seed s adds 0.01 * s to each
MAP_VALUES = {"cam": (0.40, 0.42, 0.60), "cam_region": (0.43, 0.44, 0.61), "infocam_noregion": (0.44, 0.45, 0.61),
              "infocam": (0.50, 0.52, 0.64), "infocam_plus": (0.55, 0.57, 0.66)}


def wsol_metrics(seed: int) -> dict:
    """What a WSOL test pass writes now: five maps with their held-out τ, the classifier, and the two
    baselines (the same in every run: they need no network)."""
    step = 0.01 * seed
    metrics = {"test/cls_top1": 0.40 + step, "test/cls_top5": 0.70}
    for name, (gt_known, at_val_tau, maxboxacc) in MAP_VALUES.items():
        metrics |= {f"test/{name}/gt_known_loc": gt_known + step, f"test/{name}/top1_loc": gt_known / 2,
                    f"test/{name}/gt_known_loc_val_tau": at_val_tau + step, f"test/{name}/top1_loc_val_tau": 0.20,
                    f"test/{name}/val_tau": 0.30, f"test/{name}/maxboxacc_v2": maxboxacc + step}
    metrics |= {f"test/center_gaussian/{k}": v for k, v in CENTRE.items()}
    metrics |= {f"test/full_image/{k}": v for k, v in FULL_IMAGE.items()}
    return metrics


def training_config(seed: int, net: str = "small_gap_cnn", pretrained: bool = False, adl: bool = False,
                    experiment: str = "wsol_tiny") -> dict:
    return {"experiment_name": experiment, "task_name": "train", "seed": seed, "ckpt_path": None,
            "loss": {"name": "softmax"}, "data": {"seed": seed},
            "cam": {"region_size": 3, "threshold": 0.2, "threshold_step": 0.01, "box_convention": "infocam_lit"},
            "model": {"net": {"_target_": f"infocam_lit.nets.wsol.{net}", "pretrained": pretrained, "adl": adl}}}


def make_training_run(folder, seed: int, metrics: dict | None = None, **config):
    make_run(folder, training_config(seed, **config), wsol_metrics(seed) if metrics is None else metrics)
    (folder / "timing.json").write_text(json.dumps({"wall_time_s": 100.0 + 10 * seed, "invocations": 1}))


def make_evaluate_run(folder, seed: int, overrides: list[str], metrics: dict, region_size: int = 3,
                      checkpoint: str = "best.ckpt", **cam):
    """evaluate.py's run folder: the checkpoint's data/model/loss/cam restored, the overrides on top,
    evaluate.py's own seed (0) and the checkpoint it read (`checkpoint`: a file name under the run's
    checkpoints/, or "model.ckpt", a slim checkpoint in the run's results folder)."""
    run = f"/outputs/wsol_tiny/runs/seed{seed}"
    ckpt = f"{run}/{checkpoint}" if checkpoint == "model.ckpt" else f"{run}/checkpoints/{checkpoint}"
    config = training_config(seed) | {"task_name": "evaluate", "seed": 0, "ckpt_path": ckpt}
    config["cam"] = config["cam"] | {"region_size": region_size} | cam
    make_run(folder, config, metrics)
    (folder / ".hydra" / "overrides.yaml").write_text(
        yaml.safe_dump(["experiment=wsol_tiny", f"ckpt_path={ckpt}", "logger=csv", *overrides]))


def region_size_metrics(checkpoint: int, region_size: int) -> dict:
    """CAM does not use the region; infoCAM peaks at R = 3, infoCAM+ grows with R."""
    metrics = wsol_metrics(checkpoint)
    metrics |= {"test/infocam/gt_known_loc_val_tau": 0.50 - 0.02 * abs(region_size - 3) + 0.01 * checkpoint,
                "test/infocam_plus/gt_known_loc_val_tau": 0.50 + 0.01 * region_size,
                "test/infocam/maxboxacc_v2": 0.60 + 0.01 * region_size}
    return metrics


PER_IMAGE_COUNT = 100


def make_per_image(folder, seed: int) -> None:
    """per_image.csv.gz whose hits make `wsol_metrics(seed)`'s GT-known Loc of CAM, infoCAM, infoCAM+ and the
    centre baseline: on 100 images, a map with GT-known Loc g hits the first 100 g images (IoU 0.9), misses the
    rest (IoU 0.1)."""
    import torch

    from infocam_lit.run.run_files import write_per_image

    metrics = wsol_metrics(seed)
    table = {"image_index": torch.arange(PER_IMAGE_COUNT), "label": torch.zeros(PER_IMAGE_COUNT, dtype=torch.long),
             "predicted": torch.zeros(PER_IMAGE_COUNT, dtype=torch.long)}
    for name in ("cam", "infocam", "infocam_plus", "center_gaussian"):
        for measure, column in (("gt_known_loc", "_iou"), ("gt_known_loc_val_tau", "_iou_val_tau")):
            hits = round(PER_IMAGE_COUNT * metrics[f"test/{name}/{measure}"])
            table[f"{name}{column}"] = torch.where(torch.arange(PER_IMAGE_COUNT) < hits, 0.9, 0.1)
    write_per_image(folder, table, [f"image_{i}.JPEG" for i in range(PER_IMAGE_COUNT)])

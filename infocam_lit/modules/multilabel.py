"""Multi-label classification with sigmoid or PC-sigmoid, localised with CAM and infoCAM
(paper §6.3, Table 5, Fig. 4): the double-digit MNIST experiment.

infoCAM for a binary label. Each label l is a two-class problem whose "absent"
class has the constant logit 0 (SPEC §1.3), i.e. its weight vector is zero. The
subtraction of Eq. 14, S_l - 1/(M-1) sum_{other classes} S, therefore subtracts
the region sum of a zero map: infoCAM of a binary label is the region-summed CAM.
So here `cam` is the CAM of Eq. 12 (no region) and `infocam` its region sum over
R x R (`cam.region_size`); with R = 1 the two coincide.

Localisation is scored for every digit present in a test image: the map of that
label, boxed as SPEC §4.2, is a hit at IoU >= 0.5 with that digit's box (either
box when the digit appears twice). Per map, overall and per digit (SPEC §7.2):
    loc_acc           the paper's fixed threshold, tau = cam.threshold (0.2)
    loc_acc_val_tau   tau chosen on the validation canvases (val_tau: the best validation
                      loc_acc on the grid 0, step, ..., ties to the smallest; one per map), applied
                      to the test canvases
    maxboxacc_*       MaxBoxAccV2 (best tau on test: an optimistic reference; per digit its own)
    pointing          the pointing game: the map's maximum lies in a box of that digit
The test stage therefore evaluates the validation split too (the DataModule's
test_split_names are ("val", "test")); the validation canvases serve only to choose tau.

Per-image results (`test_per_image`, per_image.csv.gz): one row per digit present in a test canvas, in
canvas order then digit order: the canvas's index, the digit, whether it is predicted present (its logit
> 0) and, per map, the IoU of its box at cam.threshold and at the held-out tau and its pointing hit (0/1):
the values whose means make loc_acc, loc_acc_val_tau and pointing.
"""

from __future__ import annotations

import torch
from torch import nn

from infocam_lit.data.mnist import MEAN, STD
from infocam_lit.maths.boxes import best_iou, boxes_from_maps
from infocam_lit.maths.cam import upsampled_maps
from infocam_lit.maths.multilabel_losses import MultiLabelLoss
from infocam_lit.metrics.counts import HitsPerLabel, MultiLabelCounts
from infocam_lit.metrics.localization import ThresholdSweep, pointing_hits
from infocam_lit.metrics.per_image import INDEX, PerImageColumns
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.modules.components import build_net, build_optimizer
from infocam_lit.modules.epoch_values import log_epoch_values
from infocam_lit.modules.examples import keep_first
from infocam_lit.modules.hparams import to_plain
from infocam_lit.modules.summary import digits_line

MAPS = {"cam": False, "infocam": True}  # name -> with the region sum
# the sweep's values as this experiment names them (its box rule has no top-1 class to score)
RENAMED = {"gt_known_loc_val_tau": "loc_acc_val_tau", "gt_known_loc_best_tau": "loc_acc_best_tau"}
NOT_LOGGED = ("top1_loc_val_tau",)
PER_LABEL = "_per_label"
EXAMPLES_KEPT = 8


class MultiLabelLocalizationModule(ExperimentModule):

    def __init__(self, net: dict, optimizer: dict, scheduler: dict | None, loss: dict, cam: dict, channels_last: bool,
                 compile: bool, num_labels: int, label_prior: list[float], image_size: list[int]):
        super().__init__()
        net, optimizer, scheduler, loss, cam, label_prior, image_size = (
            to_plain(v) for v in (net, optimizer, scheduler, loss, cam, label_prior, image_size))
        self.save_hyperparameters()
        # a GAP network: features(x), fc (e.g. infocam_lit.nets.wsol.small_gap_cnn)
        self.net = build_net(net, num_classes=num_labels)
        self.criterion = MultiLabelLoss(loss["name"], label_prior)
        self.cam = cam
        self.metrics = nn.ModuleDict({stage: nn.ModuleDict({
            "labels": MultiLabelCounts(num_labels), **{name: HitsPerLabel(num_labels) for name in MAPS}})
            for stage in ("val", "test")})
        # the test stage's sweeps: over the validation canvases (to choose tau) and the test canvases
        self.sweeps = nn.ModuleDict({name: ThresholdSweep(cam["threshold_step"], num_labels=num_labels,
                                                          per_image=True) for name in MAPS})
        # one row per (test canvas, digit present), keyed canvas * num_labels + digit
        self.per_image = PerImageColumns(("predicted", *(f"{m}_{c}" for m in MAPS for c in ("iou", "pointing"))))
        self.pointing = nn.ModuleDict({name: HitsPerLabel(num_labels) for name in MAPS})
        self.use_channels_last(channels_last)
        self.use_compiled_network(compile)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.criterion(self(batch["image"]), batch["labels"])
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["labels"]))
        return loss

    def label_maps(self, features: torch.Tensor, image: torch.Tensor, label: torch.Tensor,
                   size: tuple[int, int]) -> dict[str, torch.Tensor]:
        """CAM and infoCAM of `label` for feature rows `image`, upsampled to `size`."""
        variants = {name: ("cam", self.cam["region_size"] if with_region else 1) for name, with_region in MAPS.items()}
        return upsampled_maps(features[image], self.net.fc.weight, label, variants, size,
                              self.cam["region_mode"], upsample=self.cam["upsample"])

    def _digit_maps(self, batch: dict) -> tuple:
        """The logits, and for every digit present in an image (a pair): its image, its label, the
        maps of that label and the pair's ground truth, the boxes of that digit in that image (the
        others become padding)."""
        images, labels = batch["image"], batch["labels"]
        features = self.net.features(images)
        logits = self.net.fc(features.mean((2, 3)))
        image, label = torch.nonzero(labels > 0.5, as_tuple=True)
        maps = self.label_maps(features, image, label, tuple(images.shape[-2:]))
        same_digit = batch["box_labels"][image] == label[:, None]
        gt = torch.where(same_digit[..., None], batch["boxes"][image], torch.full_like(batch["boxes"][image], -1.0))
        count = torch.full_like(label, gt.shape[1])
        return logits, image, label, maps, gt, count

    def _evaluate(self, batch: dict, stage: str) -> None:
        images, labels = batch["image"], batch["labels"]
        logits, image, label, maps, gt, count = self._digit_maps(batch)
        metrics = self.metrics[stage]
        metrics["labels"].update(logits > 0, labels > 0.5)
        pair = None if batch.get("index") is None else batch["index"][image] * self.hparams.num_labels + label
        columns = {}
        for name, map_ in maps.items():
            boxes = boxes_from_maps(map_, self.cam["threshold"])
            iou = best_iou(boxes, gt, count)
            metrics[name].update(iou >= 0.5, label)
            if stage == "test":
                self.sweeps[name].update(map_, gt, count, label, index=pair)
                pointing = pointing_hits(map_, gt, count)
                self.pointing[name].update(pointing, label)
                columns |= {f"{name}_iou": iou, f"{name}_pointing": pointing.long()}
                keep_first(self.test_examples, {name: map_, f"{name}_boxes": boxes}, EXAMPLES_KEPT)
        if stage == "test" and pair is not None:
            self.per_image.update(pair, predicted=(logits[image, label] > 0).long(), **columns)
        if stage == "test":
            display = (images[image] * STD + MEAN).clamp(0, 1).expand(-1, 3, -1, -1)
            keep_first(self.test_examples, {"image": images[image], "display": display, "gt_boxes": gt,
                                            "gt_count": count}, EXAMPLES_KEPT)

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> None:
        split = self.test_split_name(dataloader_idx)
        if split == "val":  # the validation canvases, only to choose each map's tau
            _, _, label, maps, gt, count = self._digit_maps(batch)
            for name, map_ in maps.items():
                self.sweeps[name].update(map_, gt, count, label, split="val")
        else:
            self._evaluate(batch, "test")

    def on_test_epoch_start(self) -> None:
        self.test_examples = {}
        self.test_per_image = None

    def _stage_values(self, stage: str) -> dict[str, torch.Tensor]:
        metrics = self.metrics[stage]
        counts = metrics["labels"].compute()
        values = {f"{stage}/exact_match": counts["exact_match"], f"{stage}/macro_f1": counts["macro_f1"],
                  f"{stage}/acc_digit_mean": counts["recall"].nanmean()}
        for k in range(self.hparams.num_labels):
            values[f"{stage}/acc_digit/{k}"] = counts["recall"][k]
            values[f"{stage}/precision_digit/{k}"] = counts["precision"][k]
            values[f"{stage}/balanced_acc_digit/{k}"] = counts["balanced_acc"][k]
        for name in MAPS:
            hits = metrics[name].compute()
            values[f"{stage}/{name}/loc_acc"] = hits["loc_acc"]
            for k in range(self.hparams.num_labels):
                values[f"{stage}/{name}/loc_acc_digit/{k}"] = hits["per_label"][k]
        for metric in metrics.values():
            metric.reset()
        return values

    def _log_finite(self, values: dict[str, torch.Tensor]) -> dict[str, float]:
        """Log and return the defined values (a digit never predicted has no precision, one absent
        from the split no recall or localisation)."""
        finite = {k: v for k, v in values.items() if torch.isfinite(torch.as_tensor(v))}
        return log_epoch_values(self, finite, add_dataloader_idx=False)

    def on_validation_epoch_end(self) -> None:
        self._log_finite(self._stage_values("val"))

    def _held_out_values(self) -> dict[str, torch.Tensor]:
        """Per map: pointing, MaxBoxAccV2 and the loc acc at the tau chosen on validation, overall and
        per digit (key pattern test/<map>/<name>_digit/<k>)."""
        values, held_out = {}, {}
        for name in MAPS:
            pointing = self.pointing[name].compute()
            overall, per_digit = {"pointing": pointing["loc_acc"]}, {"pointing": pointing["per_label"]}
            for key, value in self.sweeps[name].compute().items():
                if key.startswith("per_image"):
                    held_out[key.replace("per_image", name)] = value
                elif key not in NOT_LOGGED:
                    base = key.removesuffix(PER_LABEL)
                    (per_digit if key.endswith(PER_LABEL) else overall)[RENAMED.get(base, base)] = value
            values.update({f"test/{name}/{key}": value for key, value in overall.items()})
            for key, per_label in per_digit.items():
                for k in range(self.hparams.num_labels):
                    values[f"test/{name}/{key}_digit/{k}"] = per_label[k]
        if self.per_image.update_count:
            self.test_per_image = self._per_image_table(self.per_image.compute(), held_out)
        for metric in (*self.sweeps.values(), *self.pointing.values(), self.per_image):
            metric.reset()
        return values

    def _per_image_table(self, rows: dict[str, torch.Tensor], held_out: dict[str, torch.Tensor]) -> dict:
        """per_image.csv.gz's columns: the canvas (image_index), the digit, then `rows`' and the held-out tau's
        IoU of each map, its rows the same (canvas, digit) pairs in the same order (checked)."""
        pair = rows[INDEX]
        table = {INDEX: pair // self.hparams.num_labels, "digit": pair % self.hparams.num_labels,
                 "predicted": rows["predicted"]}
        for name in MAPS:
            table[f"{name}_iou"] = rows[f"{name}_iou"]
            if f"{name}_iou_val_tau" in held_out:  # a validation split chose tau
                if not torch.equal(held_out[f"{name}_index"], pair):
                    raise RuntimeError(f"{name}: the sweep's per-image rows are not the per-image table's pairs")
                table[f"{name}_iou_val_tau"] = held_out[f"{name}_iou_val_tau"]
            table[f"{name}_pointing"] = rows[f"{name}_pointing"]
        return table

    def on_test_epoch_end(self) -> None:
        self.test_results = self._log_finite({**self._stage_values("test"), **self._held_out_values()})

    def summary_line(self, metrics: dict[str, float]) -> str:
        return digits_line(metrics)

    def configure_optimizers(self):
        return build_optimizer(self.parameters(), self.hparams.optimizer, self.hparams.scheduler)

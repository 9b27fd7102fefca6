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
box when the digit appears twice).
"""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch import nn

from infocam_lit.boxes import best_iou, boxes_from_maps
from infocam_lit.cam import upsampled_maps
from infocam_lit.config import to_plain
from infocam_lit.data.mnist import MEAN, STD
from infocam_lit.metrics import HitsPerLabel, MultiLabelCounts
from infocam_lit.modules.epoch_values import log_epoch_values
from infocam_lit.modules.examples import keep_first
from infocam_lit.modules.optim import build_optimizer
from infocam_lit.multilabel_losses import MultiLabelLoss
from infocam_lit.nets.wsol import small_gap_cnn

MAPS = {"cam": False, "infocam": True}  # name -> with the region sum
EXAMPLES_KEPT = 8


class MultiLabelLocalizationModule(pl.LightningModule):
    reference_kinds = ()

    def __init__(self, net: dict, optimizer: dict, loss: dict, cam: dict, num_labels: int,
                 label_prior: list[float], image_size: list[int]):
        super().__init__()
        net, optimizer, loss, cam, label_prior, image_size = (
            to_plain(v) for v in (net, optimizer, loss, cam, label_prior, image_size))
        self.save_hyperparameters()
        options = {k: v for k, v in net.items() if k != "name"}
        self.net = small_gap_cnn(num_labels, **options)
        self.criterion = MultiLabelLoss(loss["name"], label_prior)
        self.cam = cam
        self.metrics = nn.ModuleDict({stage: nn.ModuleDict({
            "labels": MultiLabelCounts(num_labels), **{name: HitsPerLabel(num_labels) for name in MAPS}})
            for stage in ("val", "test")})
        self.test_results: dict[str, float] = {}
        self.test_examples: dict[str, torch.Tensor] = {}

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
                              self.cam.get("region_mode", "same"), upsample=self.cam.get("upsample", "bicubic"))

    def _evaluate(self, batch: dict, stage: str) -> None:
        images, labels = batch["image"], batch["labels"]
        features = self.net.features(images)
        logits = self.net.fc(features.mean((2, 3)))
        metrics = self.metrics[stage]
        metrics["labels"].update(logits > 0, labels > 0.5)
        image, label = torch.nonzero(labels > 0.5, as_tuple=True)  # every digit present in an image
        maps = self.label_maps(features, image, label, tuple(images.shape[-2:]))
        # the ground truth of a pair: the boxes of that digit in that image (others become padding)
        same_digit = batch["box_labels"][image] == label[:, None]
        gt = torch.where(same_digit[..., None], batch["boxes"][image], torch.full_like(batch["boxes"][image], -1.0))
        count = torch.full_like(label, gt.shape[1])
        for name, map_ in maps.items():
            boxes = boxes_from_maps(map_, self.cam.get("threshold", 0.2))
            metrics[name].update(best_iou(boxes, gt, count) >= 0.5, label)
            if stage == "test":
                keep_first(self.test_examples, {name: map_, f"{name}_boxes": boxes}, EXAMPLES_KEPT)
        if stage == "test":
            display = (images[image] * STD + MEAN).clamp(0, 1).expand(-1, 3, -1, -1)
            keep_first(self.test_examples, {"image": images[image], "display": display, "gt_boxes": gt,
                                            "gt_count": count}, EXAMPLES_KEPT)

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_test_epoch_start(self) -> None:
        self.test_examples = {}

    def _finish_stage(self, stage: str) -> dict[str, float]:
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
        finite = {k: v for k, v in values.items() if torch.isfinite(torch.as_tensor(v))}
        return log_epoch_values(self, finite)

    def on_validation_epoch_end(self) -> None:
        self._finish_stage("val")

    def on_test_epoch_end(self) -> None:
        self.test_results = self._finish_stage("test")

    def configure_optimizers(self):
        return build_optimizer(self.parameters(), self.hparams.optimizer,
                               self.trainer.max_epochs if self._trainer else None)

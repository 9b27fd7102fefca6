"""Weakly supervised object localisation (paper §5-6): train a GAP classifier with the chosen
loss; in validation and test, localise with CAM, infoCAM and infoCAM+ side by side.

Every map variant comes from the same forward pass (one test pass gives the
whole Table 8 ablation):
    cam               no region sum, no subtraction (Eq. 12)
    cam_region        region sum only
    infocam_noregion  subtraction only
    infocam           region sum and subtraction (Eq. 14)
    infocam_plus      region sum and per-location minimum subtraction (Eq. 15)
Maps are computed for the ground-truth class, upsampled to the input size,
and boxed at `cam.threshold` (GT-known and Top-1 Loc); MaxBoxAccV2 sweeps the
thresholds at test time (in validation too with `cam.maxboxacc_in_val`).
Model selection uses the validation top-1 classification, never the test set.

Baselines that need no network (maths/baselines.py) are scored in every test pass beside the maps:
`center_gaussian`, a fixed centred Gaussian map, thresholded and swept like a map; `full_image`, the
whole image as the box. Neither predicts a class, so neither has Top-1 keys. A control map is scored
there too: `cam_x_center`, CAM times the centre Gaussian (does a centre prior alone give infoCAM's gain?),
and `test/class_weight_mean_ratio` (maths/cam.py: how far infoCAM's subtraction can move a map).

Per-image results (the test pass's `test_per_image`, written as per_image.csv.gz by the run summary): for
each test image in its split's order its label, the predicted class and, for each map and baseline, the IoU
of its box at `cam.threshold` (`<map>_iou`) and at the held-out tau (`<map>_iou_val_tau`): the values
whose hits (IoU >= 0.5) make gt_known_loc and gt_known_loc_val_tau.

Held-out threshold (Choe et al., CVPR 2020; SPEC §7.2): the test stage also runs
over the validation half (the DataModule's test_split_names are ("val", "test")),
where each variant's val_tau is the threshold of the grid with the best GT-known
Loc (ties to the smallest); gt_known_loc_val_tau and top1_loc_val_tau apply it to
the test half.
"""

from __future__ import annotations

import torch
from pytorch_lightning.utilities import rank_zero_info
from torch import nn
from torchmetrics import SumMetric

from infocam_lit.maths.baselines import center_gaussian_maps, centre_weighted, full_image_boxes
from infocam_lit.maths.boxes import best_iou, boxes_from_maps
from infocam_lit.maths.cam import mean_weight_ratio, upsampled_maps
from infocam_lit.maths.losses import ClassificationLoss
from infocam_lit.metrics.counts import TopKAccuracy
from infocam_lit.metrics.localization import FixedBoxAccuracy, LocalizationAccuracy, MaxBoxAccV2, ThresholdSweep
from infocam_lit.metrics.per_image import INDEX, PerImageColumns
from infocam_lit.metrics.wsolevaluation import FRAME
from infocam_lit.modules.base import ExperimentModule
from infocam_lit.modules.components import build_net, build_optimizer
from infocam_lit.modules.epoch_values import log_epoch_values
from infocam_lit.modules.examples import keep_first
from infocam_lit.modules.hparams import to_plain
from infocam_lit.modules.summary import localization_line

MAP_VARIANTS = {  # name -> (method, with region sum)
    "cam": ("cam", False),
    "cam_region": ("cam", True),
    "infocam_noregion": ("infocam", False),
    "infocam": ("infocam", True),
    "infocam_plus": ("infocam_plus", True),
}
BASELINE_MAPS = ("center_gaussian",)  # maps that need no network, scored in the test stage only
CONTROL_MAPS = ("cam_x_center",)  # maps made to test an explanation, scored in the test stage only
TEST_MAPS = (*MAP_VARIANTS, *BASELINE_MAPS, *CONTROL_MAPS)
PER_IMAGE_MAPS = ("cam", "infocam", "infocam_plus", "cam_region", "infocam_noregion", *BASELINE_MAPS, *CONTROL_MAPS,
                  "full_image")
EXAMPLES_KEPT = 8  # test images kept for the figure grids


class WSOLModule(ExperimentModule):

    def __init__(self, net: dict, optimizer: dict, scheduler: dict | None, new_layers_lr_mult: float, loss: dict,
                 cam: dict, channels_last: bool, compile: bool, num_classes: int, class_prior: list[float],
                 image_size: int, class_names: list[str] | None):
        super().__init__()
        net, optimizer, scheduler, loss, cam, class_prior = (
            to_plain(v) for v in (net, optimizer, scheduler, loss, cam, class_prior))
        self.save_hyperparameters()
        # a GAP network: features(x), fc, parameter_groups() (e.g. infocam_lit.nets.wsol.vgg16_gap)
        self.net = build_net(net, num_classes=num_classes)
        self.criterion = ClassificationLoss(loss["name"], class_prior, loss["tau"])
        self.cam = cam
        self.metrics = nn.ModuleDict({stage: self._stage_metrics(stage) for stage in ("val", "test")})
        # ground-truth boxes a crop cut away (data.eval_transform=legacy): said in the log, not hidden
        self.dropped_boxes = nn.ModuleDict({stage: SumMetric() for stage in ("val", "test")})
        self.use_channels_last(channels_last)
        self.use_compiled_network(compile)

    def _stage_metrics(self, stage: str) -> nn.ModuleDict:
        metrics = {"classification": TopKAccuracy()}
        step = self.cam["threshold_step"]
        theirs = self.wsolevaluation_boxes
        if stage == "test":
            metrics["full_image_box"] = FixedBoxAccuracy()
            metrics["per_image"] = PerImageColumns(("label", "predicted", *(f"{m}_iou" for m in PER_IMAGE_MAPS)))
        for name in TEST_MAPS if stage == "test" else MAP_VARIANTS:
            metrics[f"{name}_loc"] = LocalizationAccuracy()
            if stage == "test":  # MaxBoxAccV2, and the held-out tau chosen on the validation half, in one sweep
                metrics[f"{name}_sweep"] = ThresholdSweep(step, every_component=not theirs,
                                                          per_image=name in PER_IMAGE_MAPS)
            if (theirs and stage == "test") or (self.cam["maxboxacc_in_val"] and stage == "val"):
                metrics[f"{name}_maxbox"] = MaxBoxAccV2(threshold_step=step, box_convention=self.box_convention)
        return nn.ModuleDict(metrics)

    @property
    def box_convention(self) -> str:
        return self.cam["box_convention"]

    @property
    def wsolevaluation_boxes(self) -> bool:
        """MaxBoxAccV2 in wsolevaluation's convention: its own metric, on the batches' boxes in its frame."""
        return self.box_convention == "wsolevaluation"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.criterion(self(batch["image"]), batch["label"])
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["label"]))
        return loss

    def localization_maps(self, features: torch.Tensor, logits: torch.Tensor, classes: torch.Tensor,
                          size: tuple[int, int]) -> dict[str, torch.Tensor]:
        """Every variant's map for `classes`, upsampled to `size`, from one set of features."""
        variants = {name: (method, self.cam["region_size"] if with_region else 1)
                    for name, (method, with_region) in MAP_VARIANTS.items()}
        return upsampled_maps(features, self.net.fc.weight, classes, variants, size, self.cam["region_mode"],
                              self.cam["plus_mode"], self.cam["upsample"], logits, self.cam["region_padding"])

    def _forward_features(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.net.features(images)
        return features, self.net.fc(features.mean((2, 3)))

    def _maps(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """The features, the logits and every variant's map for the ground-truth class, from one forward pass."""
        features, logits = self._forward_features(batch["image"])
        return features, logits, self.localization_maps(features, logits, batch["label"],
                                                        tuple(batch["image"].shape[-2:]))

    def _with_baselines(self, maps: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The maps and, at their size, the baseline maps that need no network and the control maps."""
        batch, height, width = maps["cam"].shape
        return maps | {"center_gaussian": center_gaussian_maps(batch, height, width, device=maps["cam"].device),
                       "cam_x_center": centre_weighted(maps["cam"])}

    def _boxes(self, maps: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each map's box at the fixed threshold `cam.threshold`."""
        return {name: boxes_from_maps(map_, self.cam["threshold"]) for name, map_ in maps.items()}

    def _evaluate(self, batch: dict, stage: str) -> dict[str, torch.Tensor]:
        """Every metric of the stage updated; returns the features and logits (a test step's output, from
        which callbacks such as the score-map export compute maps of their own size)."""
        images, labels = batch["image"], batch["label"]
        features, logits, maps = self._maps(batch)
        metrics = self.metrics[stage]
        metrics["classification"].update(logits, labels)
        correct = logits.argmax(1) == labels
        self.dropped_boxes[stage].update(batch.get("dropped_boxes", torch.zeros(1)).sum())
        scored = self._with_baselines(maps) if stage == "test" else maps
        boxes = self._boxes(scored)
        if stage == "test":
            boxes["full_image"] = full_image_boxes(len(images), *images.shape[-2:], device=images.device)
            metrics["full_image_box"].update(boxes["full_image"], batch["boxes"], batch["box_count"])
        in_frame = self._wsolevaluation_frame_maps(features, logits, labels, stage) if self.wsolevaluation_boxes else {}
        index = batch.get("index")  # each image's index in its split (absent from a foreign DataModule's batches)
        for name, map_ in scored.items():
            metrics[f"{name}_loc"].update(boxes[name], batch["boxes"], batch["box_count"], correct)
            if f"{name}_maxbox" in metrics:
                metrics[f"{name}_maxbox"].update(in_frame.get(name, map_), *self._maxbox_truth(batch))
            if f"{name}_sweep" in metrics:
                metrics[f"{name}_sweep"].update(map_, batch["boxes"], batch["box_count"], top1_correct=correct,
                                                index=index)
        if stage == "test" and index is not None:
            ious = {f"{m}_iou": best_iou(boxes[m], batch["boxes"], batch["box_count"]) for m in PER_IMAGE_MAPS}
            metrics["per_image"].update(index, label=labels, predicted=logits.argmax(1), **ious)
        if stage == "test":
            keep_first(self.test_examples, {"image": images, "gt_boxes": batch["boxes"],
                                            "gt_count": batch["box_count"], **maps,
                                            **{f"{name}_boxes": boxes[name] for name in maps}}, EXAMPLES_KEPT)
        return {"features": features.detach(), "logits": logits.detach()}

    def _wsolevaluation_frame_maps(self, features: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor,
                                   stage: str) -> dict[str, torch.Tensor]:
        """The maps as wsolevaluation scores them: at its 224 x 224 frame whatever the input size (as
        export=scoremaps writes them), against its boxes scaled into that frame (`boxes_wsolevaluation`)."""
        maps = self.localization_maps(features, logits, labels, (FRAME, FRAME))
        return self._with_baselines(maps) if stage == "test" else maps

    def _maxbox_truth(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.wsolevaluation_boxes:
            return batch["boxes"], batch["box_count"]
        if "boxes_wsolevaluation" not in batch:
            raise ValueError("cam.box_convention=wsolevaluation needs evaluation batches with boxes in its frame: "
                             "data.eval_transform=wsolevaluation (a plain resize)")
        return batch["boxes_wsolevaluation"], batch["box_count"]

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor] | None:
        split = self.test_split_name(dataloader_idx)
        if split == "val":  # the validation half, only to choose each variant's tau
            _, _, maps = self._maps(batch)
            for name, map_ in self._with_baselines(maps).items():
                self.metrics["test"][f"{name}_sweep"].update(map_, batch["boxes"], batch["box_count"], split="val")
            return None
        self.per_image_split = split
        return self._evaluate(batch, "test")

    def on_test_epoch_start(self) -> None:
        self.test_examples = {}
        self.test_per_image = None

    def _finish_stage(self, stage: str) -> dict[str, float]:
        values, per_image = {}, {}
        for key, metric in self.metrics[stage].items():
            if key == "per_image":  # no rows where the batches carried no image indices
                per_image.update(metric.compute() if metric.update_count else {})
                metric.reset()
                continue
            computed = metric.compute()
            if key == "classification":
                values.update({f"{stage}/{name}": value for name, value in computed.items()})
            else:
                variant = key.rsplit("_", 1)[0]
                if "per_image_index" in computed:
                    per_image[f"{variant}_val_tau"] = (computed.pop("per_image_index"),
                                                       computed.pop("per_image_iou_val_tau"))
                values.update({f"{stage}/{variant}/{name}": value for name, value in computed.items()
                               if not (variant in BASELINE_MAPS and name.startswith("top1"))})  # no class
            metric.reset()
        if stage == "test":
            values["test/class_weight_mean_ratio"] = mean_weight_ratio(self.net.fc.weight)
            self.test_per_image = per_image_table(per_image)
        dropped = int(self.dropped_boxes[stage].compute())
        self.dropped_boxes[stage].reset()
        if dropped:
            rank_zero_info(f"{stage}: {dropped} ground-truth box(es) fell wholly outside the cropped image and were "
                           "dropped (an image left with none counts as not localised)")
        return log_epoch_values(self, values, add_dataloader_idx=False)

    def on_validation_epoch_end(self) -> None:
        self._finish_stage("val")

    def on_test_epoch_end(self) -> None:
        self.test_results = self._finish_stage("test")

    def predict_step(self, batch: dict, batch_idx: int, dataloader_idx: int = 0) -> dict:
        """New images, no labels: the top-k classes (softmax of the logits, whose argmax is the prediction
        for every loss) and, for the top-1 class, every map variant at image size with its box at
        `cam.threshold`."""
        images = batch["image"]
        features, logits = self._forward_features(images)
        probabilities = logits.float().softmax(1)
        top = probabilities.topk(min(5, probabilities.shape[1]), dim=1)
        maps = self.localization_maps(features, logits, top.indices[:, 0], tuple(images.shape[-2:]))
        return {"top_classes": top.indices, "top_probabilities": top.values, "maps": maps, "boxes": self._boxes(maps)}

    def summary_line(self, metrics: dict[str, float]) -> str:
        return localization_line(metrics)

    def configure_optimizers(self):
        pretrained, new = self.net.parameter_groups()
        lr = self.hparams.optimizer["lr"]
        groups = [{"params": pretrained, "lr": lr}, {"params": new, "lr": lr * self.hparams.new_layers_lr_mult}]
        return build_optimizer(groups, self.hparams.optimizer, self.hparams.scheduler)


def per_image_table(computed: dict) -> dict[str, torch.Tensor] | None:
    """The per-image columns in the order per_image.csv.gz gives them: image_index, label, predicted, then
    `<map>_iou` and `<map>_iou_val_tau` for each map (the whole image's box has no threshold: its IoU is
    repeated); None when the batches carried no image indices. The held-out tau's IoUs come from the sweeps,
    whose rows must be the same images in the same order."""
    if INDEX not in computed:
        return None
    index = computed[INDEX]
    table = {INDEX: index, "label": computed["label"], "predicted": computed["predicted"]}
    held_out = "cam_val_tau" in computed  # no validation half (e.g. CUB's whole official test split): no tau
    for name in PER_IMAGE_MAPS:
        table[f"{name}_iou"] = computed[f"{name}_iou"]
        if name == "full_image" and held_out:
            table["full_image_iou_val_tau"] = computed["full_image_iou"]
        elif held_out:
            sweep_index, iou = computed[f"{name}_val_tau"]
            if not torch.equal(sweep_index, index):
                raise RuntimeError(f"{name}: the sweep's per-image rows are not the per-image table's images")
            table[f"{name}_iou_val_tau"] = iou
    return table

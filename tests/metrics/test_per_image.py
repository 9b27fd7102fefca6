"""Per-image results (metrics/per_image.py and ThresholdSweep(per_image=True)): rows in each split's order
whatever order the batches came in, and per-image IoUs whose hits are the aggregate metrics' hits."""

import pytest
import torch

from infocam_lit.maths.boxes import best_iou, boxes_from_maps
from infocam_lit.metrics.localization import LocalizationAccuracy, ThresholdSweep
from infocam_lit.metrics.per_image import PerImageColumns


def test_columns_come_back_in_index_order():
    table = PerImageColumns(("label", "iou"))
    table.update(torch.tensor([3, 1]), label=torch.tensor([30, 10]), iou=torch.tensor([0.3, 0.1]))
    table.update(torch.tensor([0, 2]), label=torch.tensor([0, 20]), iou=torch.tensor([0.0, 0.2]))
    computed = table.compute()
    assert computed["image_index"].tolist() == [0, 1, 2, 3]
    assert computed["label"].tolist() == [0, 10, 20, 30]
    assert computed["iou"].tolist() == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_a_missing_or_unknown_column_is_refused():
    table = PerImageColumns(("label",))
    with pytest.raises(ValueError, match="expected \\['label'\\]"):
        table.update(torch.tensor([0]), lable=torch.tensor([1]))


def blob_maps(count: int, generator: torch.Generator) -> torch.Tensor:
    """Smooth random maps with a few bright blobs: boxes that change with the threshold."""
    small = torch.rand(count, 1, 6, 6, generator=generator)
    return torch.nn.functional.interpolate(small, size=(24, 24), mode="bicubic", align_corners=False)[:, 0]


def random_boxes(count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    corner = torch.randint(0, 12, (count, 2), generator=generator)
    size = torch.randint(4, 12, (count, 2), generator=generator)
    return torch.cat([corner, corner + size], 1).float()[:, None, :], torch.ones(count, dtype=torch.long)


def test_per_image_ious_at_the_held_out_tau_make_its_accuracy():
    generator = torch.Generator().manual_seed(0)
    sweep = ThresholdSweep(threshold_step=0.05, every_component=False, per_image=True)
    val_maps, test_maps = blob_maps(40, generator), blob_maps(30, generator)
    val_gt, val_count = random_boxes(40, generator)
    test_gt, test_count = random_boxes(30, generator)
    # half the images' truth is their map's own box at 0.3: the held-out tau then has hits and misses
    val_gt[::2, 0] = boxes_from_maps(val_maps[::2], 0.3).float()
    test_gt[::2, 0] = boxes_from_maps(test_maps[::2], 0.3).float()
    sweep.update(val_maps, val_gt, val_count, split="val")
    order = torch.randperm(30, generator=generator)  # batches in any order: rows come back in the split's
    for part in order.split(7):
        sweep.update(test_maps[part], test_gt[part], test_count[part], top1_correct=torch.ones(len(part)).bool(),
                     index=part)
    values = sweep.compute()
    assert values["per_image_index"].tolist() == list(range(30))
    ious = values["per_image_iou_val_tau"]
    assert (ious >= 0.5).double().mean() == values["gt_known_loc_val_tau"]
    # the same IoUs as the box of the largest component at that tau, computed image by image
    reference = best_iou(boxes_from_maps(test_maps, float(values["val_tau"])), test_gt, test_count)
    assert torch.allclose(ious, reference.double())
    assert 0 < values["gt_known_loc_val_tau"] < 1  # a case that can tell hits from misses
    # the oracle beside it: the best of the test split's own thresholds, image by image
    by_threshold = [(best_iou(boxes_from_maps(test_maps, float(t)), test_gt, test_count) >= 0.5).double().mean()
                    for t in sweep.thresholds]
    assert values["gt_known_loc_best_tau"] == max(by_threshold) >= values["gt_known_loc_val_tau"]


def test_fixed_threshold_ious_make_gt_known_loc():
    generator = torch.Generator().manual_seed(1)
    maps = blob_maps(50, generator)
    gt, count = random_boxes(50, generator)
    boxes = boxes_from_maps(maps, 0.2)
    metric = LocalizationAccuracy()
    metric.update(boxes, gt, count, torch.ones(50).bool())
    ious = best_iou(boxes, gt, count)
    assert (ious >= 0.5).double().mean() == metric.compute()["gt_known_loc"]


def test_a_sweep_without_indices_keeps_no_rows():
    sweep = ThresholdSweep(threshold_step=0.5, every_component=False, per_image=True)
    maps = torch.rand(2, 8, 8)
    gt, count = torch.tensor([[[0.0, 0.0, 7.0, 7.0]]] * 2), torch.ones(2, dtype=torch.long)
    sweep.update(maps, gt, count, split="val")
    sweep.update(maps, gt, count)
    assert "per_image_iou_val_tau" not in sweep.compute()
    with pytest.raises(ValueError, match="largest_box"):
        ThresholdSweep(largest_box=False, per_image=True)

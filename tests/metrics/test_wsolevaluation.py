"""MaxBoxAccV2(box_convention="wsolevaluation") against a literal reading of wsolevaluation's
BoxEvaluator (compute_bboxes_from_scoremaps, calculate_multiple_iou, accumulate, compute) on realistic
maps, and against the known answers of its own unit tests."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from infocam_lit.metrics.localization import MaxBoxAccV2
from infocam_lit.metrics.wsolevaluation import inclusive_ious, wsolevaluation_boxes
from tests.helpers.reference_wsolevaluation import reference_maxboxacc_v2

pytest.importorskip("cv2", reason="the [wsolevaluation] extra (in [dev]) installs OpenCV")


# ---------------------------------------------------------------- realistic maps
def realistic_maps(count: int, size: int = 96, seed: int = 0) -> torch.Tensor:
    """CAM-like maps: a few blobs on a 14x14 grid plus noise, upsampled bicubically (overshoot and all),
    min-max normalised; some are rings (a hole in the middle), as infoCAM maps of large objects can be."""
    generator = torch.Generator().manual_seed(seed)
    grid = torch.rand(count, 1, 14, 14, generator=generator) * 0.4
    ys, xs = torch.meshgrid(torch.arange(14.0), torch.arange(14.0), indexing="ij")
    for i in range(count):
        for _ in range(int(torch.randint(1, 4, (1,), generator=generator))):
            cy, cx = torch.rand(2, generator=generator) * 13
            spread = 1 + 2 * float(torch.rand(1, generator=generator))
            grid[i, 0] += torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * spread**2))
        if i % 4 == 3:  # a ring
            grid[i, 0] -= 1.5 * torch.exp(-((ys - 7) ** 2 + (xs - 7) ** 2) / 4)
    maps = F.interpolate(grid, size=(size, size), mode="bicubic", align_corners=False)[:, 0].double()
    low, high = maps.amin((1, 2), keepdim=True), maps.amax((1, 2), keepdim=True)
    return (maps - low) / (high - low)


def random_gt(count: int, size: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    boxes = []
    for _ in range(count):
        k = int(rng.integers(1, 3))
        x0, y0 = rng.integers(0, size // 2, size=(2, k))
        w, h = rng.integers(size // 6, size // 2, size=(2, k))
        boxes.append(np.stack([x0, y0, np.minimum(x0 + w, size - 1), np.minimum(y0 + h, size - 1)], 1))
    return boxes


@pytest.mark.parametrize("step", [0.01, 0.05])
def test_equals_a_literal_reading_of_wsolevaluation_on_realistic_maps(step):
    maps = realistic_maps(24, seed=1)
    gt = random_gt(24, 96, seed=2)
    k = max(len(b) for b in gt)
    padded = torch.full((24, k, 4), -1.0)
    for i, b in enumerate(gt):
        padded[i, : len(b)] = torch.from_numpy(b).float()
    counts = torch.tensor([len(b) for b in gt])
    metric = MaxBoxAccV2(threshold_step=step, box_convention="wsolevaluation")
    for rows in torch.arange(24).split(10):  # several batches
        metric.update(maps[rows], padded[rows], counts[rows])
    result = metric.compute()
    expected = reference_maxboxacc_v2(list(maps.numpy()), gt, step)
    for key in ("iou30", "iou50", "iou70"):
        assert 100 * result[f"maxboxacc_{key}"].item() == pytest.approx(expected[key], abs=1e-9)
    assert 100 * result["maxboxacc_v2"].item() == pytest.approx(expected["v2"], abs=1e-9)
    # and the two conventions differ on the same maps (holes, the +1 box end, uint8 thresholds)
    ours = MaxBoxAccV2(threshold_step=step)
    ours.update(maps.float(), padded, counts)
    assert ours.compute()["maxboxacc_v2"].item() != result["maxboxacc_v2"].item()


def test_a_ring_counts_its_hole_as_a_candidate():
    """RETR_TREE returns the hole's contour too: a GT box on the hole is found only through it."""
    ring = np.zeros((40, 40))
    ring[5:35, 5:35] = 1.0
    ring[12:28, 12:28] = 0.0  # the hole
    gt = torch.tensor([[[12.0, 12.0, 27.0, 27.0]]])
    metric = MaxBoxAccV2(threshold_step=0.5, box_convention="wsolevaluation")
    metric.update(torch.from_numpy(ring)[None], gt, torch.tensor([1]))
    assert metric.compute()["maxboxacc_iou70"].item() == 1.0
    ours = MaxBoxAccV2(threshold_step=0.5)
    ours.update(torch.from_numpy(ring).float()[None], gt, torch.tensor([1]))
    assert ours.compute()["maxboxacc_iou70"].item() == 0.0  # components only: the ring's outer box


def test_its_own_unit_test_answers():
    """From wsolevaluation's evaluation_test.py: IoU of [1,2,5,6] and [3,1,4,5] is 8/27; box (1,2,4,3) of a
    10x20 image in a 35x10 frame is (3,1,14,1); CUB test image 1, (60,27,385,331) of 500x335, is
    (26,18,172,221) at 224."""
    assert inclusive_ious(np.array([[1, 2, 5, 6]]), np.array([[3, 1, 4, 5]]))[0, 0] == pytest.approx(8 / 27)
    assert inclusive_ious(np.zeros((1, 4)), np.zeros((1, 4)))[0, 0] == 1.0
    assert wsolevaluation_boxes(torch.tensor([[1.0, 2.0, 4.0, 3.0]]), (10, 20), (35, 10)).tolist() == [
        [3.0, 1.0, 14.0, 1.0]]
    assert wsolevaluation_boxes(torch.tensor([[60.0, 27.0, 385.0, 331.0]]), (500, 335), (224, 224)).tolist() == [
        [26.0, 18.0, 172.0, 221.0]]


def test_an_unknown_convention_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid: infocam_lit, wsolevaluation"):
        MaxBoxAccV2(box_convention="voc")


def test_eval_items_carry_cubs_boxes_in_wsolevaluations_frame(tmp_path):
    """CUB's (x, y, w, h) becomes its (x, y, x + w, y + h), scaled with int() into its evaluator's 224 x 224
    frame, whatever the crop size (the maps it scores are computed at that frame too)."""
    from infocam_lit.data.image_items import collate_items, read_rgb
    from tests.helpers.datamodules import datamodule
    from tests.helpers.fixture_data import make_cub

    _, xywh = make_cub(tmp_path, num_classes=2, train_per_class=2, test_per_class=4)
    dm = datamodule("cub_wsol", root=str(tmp_path), resize_size=72, crop_size=64, num_workers=0, pin_memory=False)
    dm.setup()
    dataset = dm.dataset("test", dm.transforms["eval"], dm.reference_frame)
    for i in range(len(dataset)):
        index = dataset.indices[i]
        height, width = read_rgb(dm.meta.paths[index]).shape[-2:]
        x, y, w, h = xywh[index + 1]
        expected = [int(x * 224.0 / width), int(y * 224.0 / height), int((x + w) * 224.0 / width),
                    int((y + h) * 224.0 / height)]
        assert dataset[i]["boxes_wsolevaluation"][0].tolist() == expected
    batch = collate_items([dataset[0], dataset[1]])
    assert batch["boxes_wsolevaluation"].shape == batch["boxes"].shape
    assert "boxes_wsolevaluation" not in dm.dataset("train", dm.transforms["train"])[0]

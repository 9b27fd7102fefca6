"""GT-known / Top-1 Loc and MaxBoxAccV2: hand-built cases, the scipy reference, and DDP-style merging."""

import numpy as np
import pytest
import torch

from infocam_lit.boxes import normalize_maps
from infocam_lit.localization_metrics import LocalizationAccuracy, MaxBoxAccV2, best_iou_per_threshold
from tests import reference_wsol


def nested_squares_map() -> torch.Tensor:
    """A ring at 0.5 (box 2..17) around a core at 1.0 (box 6..13) on a 20x20 zero map."""
    m = torch.zeros(1, 20, 20)
    m[0, 2:18, 2:18] = 0.5
    m[0, 6:14, 6:14] = 1.0
    return m


def test_maxboxacc_best_tau_differs_per_delta():
    gt = torch.tensor([[[5.0, 5.0, 14.0, 14.0]]])  # IoU 100/256 with the ring's box, 64/100 with the core's
    metric = MaxBoxAccV2()
    metric.update(nested_squares_map(), gt, torch.tensor([1]))
    result = metric.compute()
    assert result["maxboxacc_iou30"] == 1.0 and result["best_tau_iou30"] == 0.0
    assert result["maxboxacc_iou50"] == 1.0 and result["best_tau_iou50"] == pytest.approx(0.5)
    assert result["maxboxacc_iou70"] == 0.0
    assert result["maxboxacc_v2"].item() == pytest.approx(2 / 3)


def test_maxboxacc_takes_one_tau_for_the_whole_dataset():
    # image 1 hits at IoU 0.5 only with tau >= 0.5; image 2 only with tau < 0.5: no tau serves both
    second = torch.zeros(1, 20, 20)
    second[0, 2:18, 2:18] = 0.5
    second[0, 6:14, 6:14] = 1.0
    gt = torch.tensor([[[5.0, 5.0, 14.0, 14.0]], [[2.0, 2.0, 16.0, 17.0]]])
    metric = MaxBoxAccV2()
    metric.update(torch.cat([nested_squares_map(), second]), gt, torch.tensor([1, 1]))
    assert metric.compute()["maxboxacc_iou50"].item() == pytest.approx(0.5)  # not 1.0 (per-image best)


@pytest.mark.parametrize("seed", range(3))
def test_best_iou_per_threshold_equals_the_scipy_loop(seed):
    g = torch.Generator().manual_seed(seed)
    maps = torch.nn.functional.interpolate(torch.randn(3, 1, 6, 6, generator=g), size=24, mode="bicubic")[:, 0]
    gt = torch.tensor([[[2.0, 3.0, 12.0, 15.0], [-1, -1, -1, -1]],
                       [[0.0, 0.0, 23.0, 23.0], [5.0, 5.0, 9.0, 9.0]],
                       [[10.0, 1.0, 20.0, 8.0], [-1, -1, -1, -1]]])
    counts = torch.tensor([1, 2, 1])
    thresholds = torch.arange(20, dtype=torch.float64) * 0.05
    ours = best_iou_per_threshold(maps, thresholds, gt, counts).numpy()
    gt_lists = [gt[i, : counts[i]].tolist() for i in range(3)]
    reference = reference_wsol.best_iou_per_threshold(maps.double().numpy(), thresholds.numpy(), gt_lists)
    np.testing.assert_allclose(ours, reference, atol=1e-9)


def test_localization_accuracy_counts_hits():
    metric = LocalizationAccuracy()
    pred = torch.tensor([[0, 0, 9, 9], [0, 0, 9, 9], [50, 50, 60, 60]])
    gt = torch.tensor([[[0.0, 0.0, 9.0, 9.0], [-1, -1, -1, -1]],
                       [[30.0, 30.0, 40.0, 40.0], [1.0, 1.0, 9.0, 9.0]],  # the second box is the hit
                       [[0.0, 0.0, 9.0, 9.0], [-1, -1, -1, -1]]])
    metric.update(pred, gt, torch.tensor([1, 2, 1]), torch.tensor([True, False, True]))
    result = metric.compute()
    assert result["gt_known_loc"].item() == pytest.approx(2 / 3)
    assert result["top1_loc"].item() == pytest.approx(1 / 3)


def test_padding_boxes_never_count():
    metric = LocalizationAccuracy()
    pred = torch.tensor([[-1, -1, -1, -1]])  # would equal a padding row exactly
    metric.update(pred, torch.tensor([[[0.0, 0.0, 3.0, 3.0], [-1, -1, -1, -1]]]), torch.tensor([1]),
                  torch.tensor([True]))
    assert metric.compute()["gt_known_loc"].item() == 0.0


def test_states_are_sums_that_merge_exactly():
    a, b = LocalizationAccuracy(), LocalizationAccuracy()
    box = torch.tensor([[0, 0, 9, 9]])
    gt = torch.tensor([[[0.0, 0.0, 9.0, 9.0]]])
    a.update(box, gt, torch.tensor([1]), torch.tensor([True]))
    for _ in range(3):
        b.update(box + 30, gt, torch.tensor([1]), torch.tensor([True]))
    a.merge_state(b)
    assert a.compute()["gt_known_loc"].item() == pytest.approx(1 / 4)  # not the mean of 1.0 and 0.0


@pytest.mark.parametrize("kind", ["smooth", "noise", "plateaus"])
@pytest.mark.parametrize("seed", range(2))
def test_basins_equal_the_scipy_loop_on_every_kind_of_map(seed, kind):
    """Smooth maps, full-resolution noise (thousands of basins), piecewise-constant maps (plateaus:
    ties broken by pixel index) and a constant map (empty at every threshold); one or two GT boxes."""
    g = torch.Generator().manual_seed(seed)
    if kind == "smooth":
        maps = torch.nn.functional.interpolate(torch.randn(4, 1, 7, 7, generator=g), size=40, mode="bicubic")[:, 0]
    elif kind == "noise":
        maps = torch.randn(4, 40, 40, generator=g)
    else:
        maps = torch.randint(0, 4, (4, 40, 40), generator=g).float()
    maps[3] = 1.0
    gt = torch.tensor([[[3.0, 4.0, 30.0, 25.0], [20.0, 20.0, 39.0, 39.0]]]).expand(4, 2, 4).contiguous()
    counts = torch.tensor([1, 2, 2, 1])
    thresholds = torch.arange(50, dtype=torch.float64) / 50
    ours = best_iou_per_threshold(maps, thresholds, gt, counts)
    # the reference gets our float32 normalisation (already in [0, 1], so it normalises to itself)
    reference = reference_wsol.best_iou_per_threshold(normalize_maps(maps).double().numpy(), thresholds.numpy(),
                                                      [gt[i, : counts[i]].tolist() for i in range(4)])
    np.testing.assert_allclose(ours.numpy(), reference, atol=1e-12)
    assert ours[3].abs().sum() == 0 and ours[:3].amax() > 0

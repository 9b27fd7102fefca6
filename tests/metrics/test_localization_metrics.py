"""GT-known / Top-1 Loc, MaxBoxAccV2, the held-out threshold and the pointing game: hand-built cases, the
scipy reference, boxes_from_maps at every threshold, and DDP-style merging."""

import numpy as np
import pytest
import torch

from infocam_lit.maths.boxes import boxes_from_maps, normalize_maps
from infocam_lit.maths.threshold_sweep import best_iou_per_threshold, largest_component_boxes_per_threshold
from infocam_lit.metrics.functional import first_best, held_out_threshold, threshold_grid
from infocam_lit.metrics.localization import LocalizationAccuracy, MaxBoxAccV2, ThresholdSweep, pointing_hits
from tests.helpers import reference_wsol
from tests.helpers.maps import nested_squares_map


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


@pytest.mark.parametrize("pair_table", ["dense", "sorted"])
@pytest.mark.parametrize("kind", ["smooth", "noise", "plateaus"])
@pytest.mark.parametrize("seed", range(2))
def test_basins_equal_the_scipy_loop_on_every_kind_of_map(seed, kind, pair_table, monkeypatch):
    """Smooth maps, full-resolution noise (thousands of basins), piecewise-constant maps (plateaus:
    ties broken by pixel index) and a constant map (empty at every threshold); one or two GT boxes.
    Touching basins are paired in a dense table, or by sorting when a batch has too many for one."""
    from infocam_lit.maths import threshold_sweep

    if pair_table == "sorted":
        monkeypatch.setattr(threshold_sweep, "DENSE_PAIRS", 0)
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


# --------------------------------------------------------------------------- held-out tau, sweeps, pointing
def maps_of_kind(kind: str, seed: int, shape=(28, 56)) -> torch.Tensor:
    """Smooth (upsampled noise), noisy (thousands of basins) and tied (few levels: plateaus and equally
    large components) maps, and a constant one (empty at every threshold)."""
    g = torch.Generator().manual_seed(seed)
    if kind == "smooth":
        maps = torch.nn.functional.interpolate(torch.randn(5, 1, 7, 7, generator=g), size=shape, mode="bicubic")[:, 0]
    elif kind == "noise":
        maps = torch.randn(5, *shape, generator=g)
    else:
        maps = torch.randint(0, 4, (5, *shape), generator=g).float() * (torch.rand(5, *shape, generator=g) > 0.6)
    maps[4] = 1.0
    return maps


@pytest.mark.parametrize("kind", ["smooth", "noise", "tied"])
@pytest.mark.parametrize("seed", range(2))
def test_largest_component_box_at_every_threshold_equals_boxes_from_maps(kind, seed):
    maps = maps_of_kind(kind, seed)
    thresholds = threshold_grid(0.01)
    ours = largest_component_boxes_per_threshold(maps, thresholds)
    reference = torch.stack([boxes_from_maps(maps, float(tau)) for tau in thresholds], 1)
    assert torch.equal(ours, reference)
    assert (ours[:4] != 0).any() and (ours[4] == 0).all()


def test_largest_component_ties_go_to_the_first_pixel_in_raster_order_at_each_threshold():
    # A (top right, value 0.8) and B (lower left, value 1.0) are both 2x2: above 0.5 they tie and A,
    # whose first pixel comes first in raster order, wins; above 0.8 only B is left
    m = torch.zeros(1, 6, 6)
    m[0, 0:2, 4:6] = 0.8
    m[0, 3:5, 0:2] = 1.0
    thresholds = torch.tensor([0.5, 0.8, 0.1], dtype=torch.float64)  # unsorted on purpose
    boxes = largest_component_boxes_per_threshold(m, thresholds)[0].tolist()
    assert boxes == [[4, 0, 5, 1], [0, 3, 1, 4], [4, 0, 5, 1]]


def test_first_best_takes_the_smallest_threshold_among_ties():
    assert first_best(torch.tensor([1.0, 3.0, 2.0, 3.0, 3.0])) == 1
    assert first_best(torch.tensor([0.0, 0.0, 0.0])) == 0


def nested(gt: list[float]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The ring-and-core map (largest box 2..17 below tau 0.5, the core 6..13 from 0.5) with one GT box."""
    return nested_squares_map(), torch.tensor([[gt]]), torch.tensor([1])


def test_tau_is_chosen_on_validation_and_applied_to_test():
    core, ring = [6.0, 6.0, 13.0, 13.0], [2.0, 2.0, 17.0, 17.0]
    sweep = ThresholdSweep()
    sweep.update(*nested(core), split="val")  # validation: hit from tau = 0.5 on (0.5, ..., 0.99 tie: the smallest)
    sweep.update(*nested(ring), top1_correct=torch.tensor([True]))  # test: hit below 0.5 only
    values = sweep.compute()
    assert values["val_tau"].item() == pytest.approx(0.5)
    assert values["gt_known_loc_val_tau"].item() == 0.0  # choosing on test would have given 1.0
    assert values["top1_loc_val_tau"].item() == 0.0
    assert values["maxboxacc_iou50"].item() == 1.0
    assert sweep.box_hits[0, :50].sum() == 50 and sweep.box_top1_hits[0, :50].sum() == 50
    assert sweep.val_count.item() == 1 and sweep.count.item() == 1
    # the swapped roles: chosen where the ring is the target (0.0), applied where the core is: a miss
    swapped = held_out_threshold(sweep.box_hits, sweep.val_box_hits, sweep.val_box_hits, sweep.val_count,
                                 sweep.thresholds)
    assert swapped["val_tau"].item() == 0.0 and swapped["gt_known_loc_val_tau"].item() == 0.0


def test_a_sweep_reports_only_what_it_has_seen():
    sweep = ThresholdSweep()
    sweep.update(*nested([6.0, 6.0, 13.0, 13.0]))
    assert "val_tau" not in sweep.compute() and "maxboxacc_v2" in sweep.compute()
    without_components = ThresholdSweep(every_component=False)
    without_components.update(*nested([6.0, 6.0, 13.0, 13.0]), split="val")
    without_components.update(*nested([6.0, 6.0, 13.0, 13.0]))
    assert set(without_components.compute()) == {"val_tau", "gt_known_loc_val_tau", "top1_loc_val_tau",
                                                  "gt_known_loc_best_tau"}
    with pytest.raises(ValueError, match="split='train'; valid: test, val"):
        sweep.update(*nested([6.0, 6.0, 13.0, 13.0]), split="train")


def test_a_tie_over_the_whole_grid_picks_the_smallest_tau_and_labels_are_kept_apart():
    # two validation maps, one right only below 0.5 and one only from 0.5: one hit at every tau
    sweep = ThresholdSweep(num_labels=4)
    maps = torch.cat([nested_squares_map(), nested_squares_map()])
    gt = torch.tensor([[[2.0, 2.0, 17.0, 17.0]], [[6.0, 6.0, 13.0, 13.0]]])
    sweep.update(maps, gt, torch.tensor([1, 1]), torch.tensor([1, 3]), split="val")
    sweep.update(maps, gt, torch.tensor([1, 1]), torch.tensor([1, 3]))
    values = sweep.compute()
    assert values["val_tau"].item() == 0.0
    assert values["gt_known_loc_val_tau"].item() == 0.5
    per_label = values["gt_known_loc_val_tau_per_label"]
    assert per_label[1].item() == 1.0 and per_label[3].item() == 0.0 and per_label[[0, 2]].isnan().all()
    assert values["maxboxacc_iou50_per_label"][[1, 3]].tolist() == [1.0, 1.0]
    assert sweep.count.tolist() == [0, 1, 0, 1]


@pytest.mark.filterwarnings("ignore:The ``compute`` method")
def test_no_validation_data_gives_no_held_out_tau():
    assert "val_tau" not in ThresholdSweep().compute()


def test_sweep_states_merge_exactly():
    a, b = ThresholdSweep(), ThresholdSweep()
    a.update(*nested([6.0, 6.0, 13.0, 13.0]))
    for _ in range(3):
        b.update(*nested([30.0, 30.0, 39.0, 39.0]))  # never a hit
    a.merge_state(b)
    assert a.count.item() == 4 and a.box_hits[0, 60].item() == 1.0
    assert a.compute()["maxboxacc_iou50"].item() == 0.25


def test_pointing_takes_the_first_maximum_in_raster_order():
    maps = torch.zeros(4, 5, 6)
    maps[:, 1, 5] = 2.0  # the first maximum (x 5, y 1) ...
    maps[:, 3, 0] = 2.0  # ... and a tie later in raster order (x 0, y 3)
    gt = torch.tensor([[[5.0, 1.0, 5.0, 1.0], [-1, -1, -1, -1]],  # exactly the first maximum's pixel: a hit
                       [[0.0, 3.0, 1.0, 4.0], [-1, -1, -1, -1]],  # only the tied later one: a miss
                       [[0.0, 0.0, 4.0, 4.0], [4.0, 0.0, 5.0, 2.0]],  # the second box holds it: a hit
                       [[0.0, 3.0, 1.0, 4.0], [5.0, 1.0, 5.0, 1.0]]])  # would hit, but box 2 is padding
    hits = pointing_hits(maps, gt, torch.tensor([1, 1, 2, 1]))
    assert hits.tolist() == [True, False, True, False]


def test_pointing_just_outside_a_box_is_a_miss():
    maps = torch.zeros(1, 8, 8)
    maps[0, 4, 6] = 1.0
    inside = pointing_hits(maps, torch.tensor([[[2.0, 2.0, 6.0, 4.0]]]), torch.tensor([1]))
    outside = pointing_hits(maps, torch.tensor([[[2.0, 2.0, 5.0, 4.0]]]), torch.tensor([1]))
    below = pointing_hits(maps, torch.tensor([[[2.0, 5.0, 7.0, 7.0]]]), torch.tensor([1]))
    assert inside.tolist() == [True] and outside.tolist() == [False] and below.tolist() == [False]


@pytest.mark.parametrize("step", [0.01, 0.03, 0.07, 0.1, 0.3, 0.4, 0.5, 0.001])
def test_the_threshold_grid_is_wsolevaluations_arange(step):
    """round(1 / step) values lost the last threshold for 0.03, 0.07, 0.3, 0.4 (0.4 gave 0, 0.4 only)."""
    assert threshold_grid(step).numpy() == pytest.approx(np.arange(0, 1, step), abs=1e-12)


def jittered_grid(fraction: float) -> torch.Tensor:
    """threshold_grid(0.01) with each threshold but the first and last moved by up to `fraction` of a step."""
    jitter = (torch.rand(100, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 2 - 1) * fraction
    jitter[[0, -1]] = 0.0
    return threshold_grid(0.01) + jitter * 0.01


@pytest.mark.parametrize("thresholds", [threshold_grid(0.01), threshold_grid(0.001), threshold_grid(0.3),
                                        torch.tensor([0.0, 0.1, 0.5, 0.55, 0.9], dtype=torch.float64),
                                        torch.tensor([0.5], dtype=torch.float64),
                                        torch.tensor([0.2, 0.2, 0.7], dtype=torch.float64),
                                        jittered_grid(0.2), jittered_grid(0.3)], ids=lambda t: f"{len(t)}")
def test_levels_are_the_binary_search_answer_even_at_the_thresholds_themselves(thresholds):
    """The sweep's arithmetic guess and correction give searchsorted's count of thresholds below each value,
    for values on, just above and just below every threshold, far outside the grid and not numbers, on
    even, nearly even (the guess's shortcut) and uneven grids (the search)."""
    from infocam_lit.maths.threshold_sweep import _levels

    t = thresholds.float()
    up, down = torch.nextafter(t, torch.tensor(2.0)), torch.nextafter(t, torch.tensor(-2.0))
    values = torch.cat([torch.rand(20_000, generator=torch.Generator().manual_seed(0)), t, up, down,
                        torch.tensor([0.0, -0.0, 1.0, 3.0, -0.5, 1e-40, 1e30, -1e30, torch.nan, torch.inf,
                                      -torch.inf])])[None]
    assert torch.equal(_levels(values, t), torch.searchsorted(t, values, out_int32=True))


def test_the_levels_shortcut_is_taken_on_nearly_even_grids_only():
    from infocam_lit.maths.threshold_sweep import _evenly_spaced

    assert _evenly_spaced(threshold_grid(0.01)) and _evenly_spaced(jittered_grid(0.2))
    assert not _evenly_spaced(jittered_grid(0.3)) and not _evenly_spaced(torch.tensor([0.5]))
    assert not _evenly_spaced(torch.tensor([0.2, 0.2, 0.7])) and not _evenly_spaced(torch.tensor([0.0, torch.inf]))

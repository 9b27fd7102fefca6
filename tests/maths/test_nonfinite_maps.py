"""Maps holding NaN, +inf or -inf: one rule for boxes_from_maps at a fixed threshold and for the sweep over
every threshold (maths/boxes.py, maths/threshold_sweep.py): non-finite pixels are background at every
threshold, the min-max normalisation is taken over the finite pixels only, and a map with no finite pixel
is all background."""

import numpy as np
import pytest
import torch

from infocam_lit.maths.boxes import boxes_from_maps, normalize_maps
from infocam_lit.maths.threshold_sweep import best_iou_per_threshold, largest_component_boxes_per_threshold
from infocam_lit.metrics.functional import threshold_grid
from infocam_lit.metrics.localization import ThresholdSweep
from tests.helpers import reference_wsol

NON_FINITE = (float("nan"), float("inf"), float("-inf"))


def finite_minmax(map_: np.ndarray) -> np.ndarray:
    """The rule in float64: min-max over the finite pixels, NaN elsewhere; one finite value -> zeros."""
    finite = np.isfinite(map_)
    out = np.full(map_.shape, np.nan)
    if finite.any():
        low, high = map_[finite].min(), map_[finite].max()
        out[finite] = (map_[finite] - low) / (high - low) if high > low else 0.0
    return out


def with_finite_minimum(maps: torch.Tensor) -> torch.Tensor:
    """Each non-finite pixel replaced by its map's smallest finite value (at thresholds >= 0, the same boxes)."""
    finite = torch.isfinite(maps)
    low = maps.masked_fill(~finite, torch.inf).flatten(1).amin(1)
    return torch.where(finite, maps, low[:, None, None].expand_as(maps))


def sprinkle(maps: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """NaN, +inf and -inf at random pixels (about `fraction` of them, a third each)."""
    g = torch.Generator().manual_seed(seed)
    maps = maps.clone()
    where = torch.rand(maps.shape, generator=g) < fraction
    kind = torch.randint(0, 3, maps.shape, generator=g)
    for k, value in enumerate(NON_FINITE):
        maps[where & (kind == k)] = value
    return maps


def nonfinite_batch(kind: str, seed: int, shape=(24, 40)) -> torch.Tensor:
    """Six maps: sprinkled at 1 %, 10 % and 40 %, one all non-finite, one with a single finite pixel, one finite."""
    g = torch.Generator().manual_seed(seed)
    if kind == "smooth":
        maps = torch.nn.functional.interpolate(torch.randn(6, 1, 5, 7, generator=g), size=shape, mode="bicubic")[:, 0]
    elif kind == "noise":
        maps = torch.randn(6, *shape, generator=g)
    else:
        maps = torch.randint(0, 4, (6, *shape), generator=g).float() * (torch.rand(6, *shape, generator=g) > 0.6)
    maps[:3] = torch.cat([sprinkle(maps[i:i + 1], fraction, seed + i) for i, fraction in enumerate((0.01, 0.1, 0.4))])
    maps[3] = sprinkle(maps[3:4], 1.0, seed)[0]
    single = sprinkle(maps[4:5], 1.0, seed + 7)[0]
    single[11, 17] = 0.3
    maps[4] = single
    return maps


def test_the_reviews_example_an_inf_pixel_is_background_in_both_paths():
    m = torch.rand(1, 8, 8, generator=torch.Generator().manual_seed(0))
    m[0, 3, 5] = float("inf")
    thresholds = threshold_grid(0.01)
    swept = largest_component_boxes_per_threshold(m, thresholds)
    fixed = torch.stack([boxes_from_maps(m, float(tau)) for tau in thresholds], 1)
    assert torch.equal(swept, fixed)
    # the same boxes as with that pixel at the map's smallest finite value, at every threshold >= 0
    assert torch.equal(swept, largest_component_boxes_per_threshold(with_finite_minimum(m), thresholds))
    assert swept[0, 20].tolist() != [5, 3, 5, 3]  # was the sweep's answer: the inf pixel alone
    assert swept[0, 20].tolist() != [0, 0, 0, 0]  # was boxes_from_maps': an all-NaN normalised map


def test_normalisation_is_over_the_finite_pixels_only():
    g = torch.Generator().manual_seed(3)
    maps = torch.cat([nonfinite_batch("smooth", 3), sprinkle(torch.randn(2, 24, 40, generator=g) * 1e3, 0.2, 5)])
    normalised = normalize_maps(maps)
    assert normalised.dtype == torch.float32
    for map_, ours in zip(maps.double().numpy(), normalised.double().numpy(), strict=True):
        reference = finite_minmax(map_)
        np.testing.assert_array_equal(np.isnan(ours), ~np.isfinite(map_))
        np.testing.assert_allclose(ours, reference, rtol=1e-6, atol=1e-7)  # NaN where the reference has NaN
    assert normalised[3].isnan().all()  # no finite pixel: all background
    assert normalised[4, 11, 17] == 0.0 and normalised[4].isnan().sum() == 24 * 40 - 1
    assert torch.equal(normalised[5], normalize_maps(maps[5:6])[0])  # a finite map is as before, batch or not


def test_a_range_past_float32_and_float64_values_past_its_range_are_finite():
    """-3e38 .. 3e38 spans more than float32's largest number; 1e300 is finite in a float64 map."""
    wide = torch.tensor([[[-3e38, 0.0, 3e38, float("nan")]]])
    assert normalize_maps(wide)[0, 0, :3].tolist() == [0.0, 0.5, 1.0]
    huge = torch.tensor([[[0.0, 1e300, 5e299, float("-inf")]]], dtype=torch.float64)
    assert normalize_maps(huge)[0, 0, :3].tolist() == [0.0, 1.0, 0.5]
    assert boxes_from_maps(huge, 0.7).tolist() == [[1, 0, 1, 0]]
    assert largest_component_boxes_per_threshold(huge, torch.tensor([0.7], dtype=torch.float64)).tolist() == [
        [[1, 0, 1, 0]]]


@pytest.mark.parametrize("kind", ["smooth", "noise", "tied"])
@pytest.mark.parametrize("seed", range(2))
def test_largest_box_at_every_threshold_equals_boxes_from_maps_with_nonfinite_pixels(kind, seed):
    maps = nonfinite_batch(kind, seed)
    thresholds = threshold_grid(0.01)
    ours = largest_component_boxes_per_threshold(maps, thresholds)
    reference = torch.stack([boxes_from_maps(maps, float(tau)) for tau in thresholds], 1)
    assert torch.equal(ours, reference)
    assert (ours[3] == 0).all() and (ours[4] == 0).all()  # nothing finite / one finite pixel at 0: empty
    assert (ours[:3] != 0).any()
    # at thresholds >= 0 a non-finite pixel acts as the map's smallest finite value
    assert torch.equal(ours[[0, 1, 2, 5]], largest_component_boxes_per_threshold(
        with_finite_minimum(maps[[0, 1, 2, 5]]), thresholds))


@pytest.mark.parametrize("thresholds", [
    torch.tensor([-0.5, 0.0, 0.3, 0.1, 0.95], dtype=torch.float64),  # uneven and unsorted: the binary search
    torch.arange(-5, 20, dtype=torch.float64) * 0.05,  # even: the arithmetic guess
], ids=["uneven", "even"])
def test_nonfinite_pixels_are_background_even_below_zero(thresholds):
    """Below tau = 0 every finite pixel is in the mask but the non-finite ones still are not."""
    maps = nonfinite_batch("smooth", 4)
    ours = largest_component_boxes_per_threshold(maps, thresholds)
    reference = torch.stack([boxes_from_maps(maps, float(tau)) for tau in thresholds], 1)
    assert torch.equal(ours, reference)
    below = int(torch.argmin(thresholds))
    assert ours[4, below].tolist() == [17, 11, 17, 11]  # the single finite pixel alone
    assert ours[3, below].tolist() == [0, 0, 0, 0]


def reference_best_iou(maps: torch.Tensor, thresholds: torch.Tensor, gt_lists: list) -> np.ndarray:
    """The scipy loop on our normalisation, non-finite (NaN) pixels never above a threshold."""
    normalised = normalize_maps(maps).double().numpy()
    best = np.zeros((len(maps), len(thresholds)))
    for i, map_ in enumerate(normalised):
        for t, tau in enumerate(thresholds.tolist()):
            with np.errstate(invalid="ignore"):
                mask = np.nan_to_num(map_, nan=-np.inf) > tau
            for box in reference_wsol.component_boxes(mask):
                best[i, t] = max([best[i, t]] + [reference_wsol.iou(box, gt) for gt in gt_lists[i]])
    return best


@pytest.mark.parametrize("pair_table", ["dense", "sorted"])
@pytest.mark.parametrize("kind", ["smooth", "noise", "tied"])
def test_best_iou_per_threshold_equals_the_scipy_loop_with_nonfinite_pixels(kind, pair_table, monkeypatch):
    from infocam_lit.maths import threshold_sweep

    if pair_table == "sorted":
        monkeypatch.setattr(threshold_sweep, "DENSE_PAIRS", 0)
    maps = nonfinite_batch(kind, 11)
    gt = torch.tensor([[[3.0, 4.0, 30.0, 20.0], [20.0, 10.0, 39.0, 23.0]]]).expand(6, 2, 4).contiguous()
    counts = torch.tensor([1, 2, 2, 1, 2, 1])
    thresholds = torch.cat([torch.tensor([-0.1], dtype=torch.float64), threshold_grid(0.02)])
    ours = best_iou_per_threshold(maps, thresholds, gt, counts)
    reference = reference_best_iou(maps, thresholds, [gt[i, :counts[i]].tolist() for i in range(6)])
    np.testing.assert_allclose(ours.numpy(), reference, atol=1e-12)
    assert ours[3].abs().sum() == 0 and ours[:3].amax() > 0
    assert (ours[4, 0] > 0) and (ours[4, 1:] == 0).all()  # the single finite pixel: only below tau = 0


def test_threshold_sweep_metric_scores_an_inf_pixel_as_the_finite_minimum():
    m = torch.zeros(2, 20, 20)
    m[:, 2:18, 2:18] = 0.5
    m[:, 6:14, 6:14] = 1.0
    m[1, 19, 19] = float("inf")  # far from the object: without the rule, the only box above any tau
    m[1, 0, 0] = float("nan")
    gt = torch.tensor([[[6.0, 6.0, 13.0, 13.0]], [[6.0, 6.0, 13.0, 13.0]]])
    sweep = ThresholdSweep()
    sweep.update(m, gt, torch.tensor([1, 1]))
    assert torch.equal(sweep.box_hits[0], torch.cat([torch.zeros(50), 2 * torch.ones(50)]).double())
    assert torch.equal(sweep.component_hits[0, 1], sweep.box_hits[0])  # below 0.5 the ring holds the core

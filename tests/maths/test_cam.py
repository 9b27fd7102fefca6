"""compute_maps against values worked out by hand (paper Eq. 12-15, SPEC §4.1)."""

import pytest
import torch

from infocam_lit.maths.cam import compute_maps, region_sum, upsampled_maps

# two channels on a 2x3 grid, three classes
FEATURES = torch.tensor([[[[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]],
                          [[0.0, 3.0, 1.0], [1.0, 0.0, 2.0]]]])
WEIGHT = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])


def test_cam_is_the_class_weighted_sum_without_relu():
    cam = compute_maps(FEATURES, WEIGHT, torch.tensor([2]), "cam")
    assert cam.tolist() == [[[1.0, -3.0, 1.0], [-1.0, 1.0, -2.0]]]  # g0 - g1, negative values kept


def test_region_sum_same_mode_keeps_the_size_for_odd_and_even_r():
    maps = torch.arange(1.0, 7.0).view(1, 1, 2, 3)  # [[1,2,3],[4,5,6]]
    odd = region_sum(maps, 3, "same")
    assert odd.shape == (1, 1, 2, 3)
    assert odd[0, 0].tolist() == [[12.0, 21.0, 16.0], [12.0, 21.0, 16.0]]
    even = region_sum(maps, 2, "same")  # window: the cell, then one after in each axis
    assert even[0, 0].tolist() == [[12.0, 16.0, 9.0], [9.0, 11.0, 6.0]]


def test_region_sum_legacy_mode_is_a_full_convolution():
    maps = torch.arange(1.0, 7.0).view(1, 1, 2, 3)
    full = region_sum(maps, 2, "legacy")
    assert full.shape == (1, 1, 3, 4)
    assert full[0, 0].tolist() == [[1.0, 3.0, 5.0, 3.0], [5.0, 12.0, 16.0, 9.0], [4.0, 9.0, 11.0, 6.0]]


def test_infocam_subtracts_the_mean_of_the_other_classes():
    y = torch.tensor([0])
    by_definition = (compute_maps(FEATURES, WEIGHT, y, "cam")
                     - 0.5 * (compute_maps(FEATURES, WEIGHT, torch.tensor([1]), "cam")
                              + compute_maps(FEATURES, WEIGHT, torch.tensor([2]), "cam")))
    assert torch.allclose(compute_maps(FEATURES, WEIGHT, y, "infocam"), by_definition)
    # = the CAM of the effective weight w_0 - mean(w_1, w_2) = (0.5, 0)
    assert compute_maps(FEATURES, WEIGHT, y, "infocam").tolist() == [[[0.5, 0.0, 1.0], [0.0, 0.5, 0.0]]]


@pytest.mark.parametrize("mode", ["same", "legacy"])
def test_infocam_is_the_region_summed_cam_of_the_effective_weight(mode):
    g = torch.Generator().manual_seed(0)
    features, weight = torch.randn(3, 8, 5, 6, generator=g), torch.randn(7, 8, generator=g)
    classes = torch.tensor([0, 4, 6])
    effective = weight[classes] - (weight.sum(0) - weight[classes]) / 6
    expected = region_sum(torch.einsum("bkhw,bk->bhw", features, effective)[:, None], 3, mode)[:, 0]
    assert torch.allclose(compute_maps(features, weight, classes, "infocam", 3, mode), expected, atol=1e-5)


def test_infocam_plus_paper_subtracts_the_per_location_minimum():
    # per-location CAMs: class0 = g0, class1 = g1, class2 = g0 - g1
    cams = torch.stack([FEATURES[0, 0], FEATURES[0, 1], FEATURES[0, 0] - FEATURES[0, 1]])
    expected = cams[1] - cams.min(0).values
    assert torch.equal(compute_maps(FEATURES, WEIGHT, torch.tensor([1]), "infocam_plus")[0], expected)
    assert expected.tolist() == [[0.0, 6.0, 0.0], [2.0, 0.0, 4.0]]


def test_infocam_plus_legacy_subtracts_the_lowest_logit_class():
    logits = torch.tensor([[0.3, 0.9, -2.0]])  # class 2 lowest for the whole image
    legacy = compute_maps(FEATURES, WEIGHT, torch.tensor([1]), "infocam_plus", plus_mode="legacy", logits=logits)
    assert legacy.tolist() == [[[-1.0, 6.0, 0.0], [2.0, -1.0, 4.0]]]  # g1 - (g0 - g1)
    with pytest.raises(ValueError, match="needs the logits"):
        compute_maps(FEATURES, WEIGHT, torch.tensor([1]), "infocam_plus", plus_mode="legacy")


def test_infocam_plus_region_applies_before_the_minimum():
    g = torch.Generator().manual_seed(1)
    features, weight = torch.randn(2, 4, 6, 6, generator=g), torch.randn(5, 4, generator=g)
    classes = torch.tensor([1, 3])
    all_maps = region_sum(torch.einsum("bkhw,mk->bmhw", features, weight), 2, "same")
    expected = all_maps[torch.arange(2), classes] - all_maps.min(1).values
    assert torch.allclose(compute_maps(features, weight, classes, "infocam_plus", 2), expected, atol=1e-5)


def test_bad_arguments_name_the_valid_values():
    with pytest.raises(ValueError, match="cam, infocam, infocam_plus"):
        compute_maps(FEATURES, WEIGHT, torch.tensor([0]), "gradcam")
    with pytest.raises(ValueError, match="same, centered, legacy"):
        compute_maps(FEATURES, WEIGHT, torch.tensor([0]), "cam", region_size=3, region_mode="valid")
    with pytest.raises(ValueError, match="region_size must be >= 1"):
        compute_maps(FEATURES, WEIGHT, torch.tensor([0]), "cam", region_size=0)


def test_nearest_upsampling_repeats_each_cell():
    """cam.upsample=nearest: F.interpolate takes no align_corners for it."""
    from infocam_lit.maths.cam import upsampled_maps

    features = torch.rand(2, 3, 4, 4)
    weight = torch.rand(5, 3)
    classes = torch.tensor([0, 4])
    maps = upsampled_maps(features, weight, classes, {"cam": ("cam", 1)}, (8, 8), upsample="nearest")
    small = compute_maps(features, weight, classes, "cam", 1)
    assert torch.equal(maps["cam"], small.repeat_interleave(2, 1).repeat_interleave(2, 2))


def _centre_of_mass(window_sums: torch.Tensor) -> tuple[float, float]:
    rows, cols = torch.arange(window_sums.shape[0], dtype=torch.float64), torch.arange(window_sums.shape[1])
    total = window_sums.sum()
    return float((window_sums.sum(1) * rows).sum() / total), float((window_sums.sum(0) * cols).sum() / total)


@pytest.mark.parametrize("r", [2, 4])
def test_an_even_window_shifts_a_bright_cell_to_the_upper_left_and_centered_does_not(r):
    one_hot = torch.zeros(1, 1, 9, 9, dtype=torch.float64)
    one_hot[0, 0, 4, 4] = 1.0
    same = region_sum(one_hot, r, "same")[0, 0]
    # (R-1)//2 cells before, R//2 after: the cell lights rows 4 - R//2 .. 4 + (R-1)//2, half a cell up and left
    assert same[4 - r // 2: 4 + (r - 1) // 2 + 1, 4 - r // 2: 4 + (r - 1) // 2 + 1].eq(1).all()
    assert _centre_of_mass(same) == (3.5, 3.5)
    centered = region_sum(one_hot, r, "centered")[0, 0]
    assert _centre_of_mass(centered) == (4.0, 4.0)
    assert centered.sum() == r * r  # the same total weight as an R x R window
    assert centered[4 - r // 2, 4].item() == 0.5 and centered[4 - r // 2, 4 - r // 2].item() == 0.25


def test_centered_is_same_for_an_odd_window():
    maps = torch.randn(2, 3, 7, 7)
    for r in (1, 3, 5):
        assert torch.equal(region_sum(maps, r, "centered"), region_sum(maps, r, "same"))


def test_centered_even_window_is_the_mean_of_the_four_placements():
    maps = torch.randn(1, 1, 6, 5, dtype=torch.float64)
    placements = []
    for top in (0, 1):
        for left in (0, 1):  # the window's two placements in each axis: 1 cell before and 0 after, or 0 and 1
            padded = torch.nn.functional.pad(maps, (left, 1 - left, top, 1 - top))
            placements.append(torch.nn.functional.avg_pool2d(padded, 2, stride=1, divisor_override=1))
    assert torch.allclose(region_sum(maps, 2, "centered"), torch.stack(placements).mean(0))


@pytest.mark.parametrize("padding", ["replicate", "reflect"])
def test_a_padding_other_than_zeros_does_not_darken_the_borders(padding):
    flat = torch.ones(1, 1, 6, 6)
    assert region_sum(flat, 3, "same")[0, 0, 0, 0] == 4  # zeros: a corner window holds 4 of its 9 cells
    for mode in ("same", "centered"):
        for r in (2, 3, 4):
            assert region_sum(flat, r, mode, padding).eq(r * r).all()


def test_replicate_and_reflect_pad_as_named():
    maps = torch.tensor([1.0, 2.0, 4.0]).expand(1, 1, 3, 3)  # equal rows: every window sums 3 of a row's windows
    assert region_sum(maps, 3, "same", "replicate")[0, 0, 0].tolist() == [12.0, 21.0, 30.0]  # 1 [1 2 4] 4
    assert region_sum(maps, 3, "same", "reflect")[0, 0, 0].tolist() == [15.0, 21.0, 24.0]  # 2 [1 2 4] 2


def test_legacy_refuses_a_padding_other_than_zeros():
    with pytest.raises(ValueError, match="legacy"):
        region_sum(torch.ones(1, 1, 4, 4), 3, "legacy", "replicate")
    with pytest.raises(ValueError, match="valid: zeros, replicate, reflect"):
        region_sum(torch.ones(1, 1, 4, 4), 3, "same", "circular")


def test_maps_stay_fp32_under_mixed_precision():
    """trainer.precision=bf16-mixed: the network runs in bf16, the maps (and so the boxes) in fp32, equal to
    the maps of the same features outside autocast."""
    torch.manual_seed(0)
    features, weight, logits = torch.randn(2, 8, 4, 4), torch.randn(3, 8), torch.randn(2, 3)
    variants = {"cam": ("cam", 1), "infocam": ("infocam", 2), "infocam_plus": ("infocam_plus", 2)}
    arguments = (features, weight, torch.tensor([0, 2]), variants, (16, 16))
    plain = upsampled_maps(*arguments, logits=logits)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = upsampled_maps(*arguments, logits=logits)
    for name in variants:
        assert mixed[name].dtype == torch.float32 and torch.equal(mixed[name], plain[name]), name

"""compute_maps against values worked out by hand (paper Eq. 12-15, SPEC §4.1)."""

import pytest
import torch

from infocam_lit.maths.cam import compute_maps, region_sum

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
    with pytest.raises(ValueError, match="same, legacy"):
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

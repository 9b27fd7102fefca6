"""The localisation baselines that need no network (maths/baselines.py) and the fixed-box metric."""

import pytest
import torch

from infocam_lit.maths.baselines import center_gaussian_maps, full_image_boxes
from infocam_lit.maths.boxes import boxes_from_maps
from infocam_lit.metrics.functional import threshold_grid
from infocam_lit.metrics.localization import FixedBoxAccuracy


def square_sides(size: int, sigma_fraction: float = 0.22) -> set[int]:
    maps = center_gaussian_maps(1, size, size, sigma_fraction)
    boxes = [boxes_from_maps(maps, float(t))[0] for t in threshold_grid(0.01)]
    assert all(b[2] - b[0] == b[3] - b[1] for b in boxes)  # centred squares
    assert all(b[0] + b[2] == size - 1 for b in boxes)
    return {int(b[2] - b[0] + 1) for b in boxes}


def test_center_gaussian_boxes_reach_every_square_but_the_smallest_at_64():
    assert square_sides(64) == set(range(4, 65, 2))
    assert len(square_sides(224)) == 86
    # a steeper or a flatter Gaussian reaches fewer sizes (the docstring's claim)
    assert len(square_sides(64, 0.1)) < 31 and len(square_sides(64, 0.4)) < 31


def test_center_gaussian_is_the_same_centred_map_for_every_image():
    maps = center_gaussian_maps(3, 5, 7)
    assert torch.equal(maps[0], maps[2])
    assert maps[0, 2, 3] == 1.0 and maps[0].argmax() == 2 * 7 + 3
    assert torch.allclose(maps[0], maps[0].flip(0)) and torch.allclose(maps[0], maps[0].flip(1))


def test_full_image_boxes():
    assert full_image_boxes(2, 64, 48).tolist() == [[0, 0, 47, 63]] * 2


def test_fixed_box_accuracy_by_hand():
    metric = FixedBoxAccuracy()
    whole = full_image_boxes(3, 10, 10)
    # IoU with the 10 x 10 image: 1.0, 0.36 (6 x 6) and 0.64 (8 x 8, two boxes: the best counts)
    gt = torch.tensor([[[0, 0, 9, 9], [-1, -1, -1, -1]],
                       [[0, 0, 5, 5], [-1, -1, -1, -1]],
                       [[0, 0, 1, 1], [1, 1, 8, 8]]], dtype=torch.float)
    metric.update(whole, gt, torch.tensor([1, 1, 2]))
    result = metric.compute()
    assert result["gt_known_loc"] == pytest.approx(2 / 3)
    assert result["maxboxacc_v2"] == pytest.approx((3 / 3 + 2 / 3 + 1 / 3) / 3)
    with pytest.raises(ValueError, match="must include 0.5"):
        FixedBoxAccuracy((0.3, 0.7))


def test_centre_weighted_darkens_the_borders_of_a_normalised_map():
    from infocam_lit.maths.baselines import centre_weighted

    flat = torch.full((1, 8, 8), -3.0)
    flat[0, 0, 0] = 5.0  # the brightest pixel in a corner
    weighted = centre_weighted(flat)
    assert weighted[0, 0, 0] == pytest.approx(center_gaussian_maps(1, 8, 8)[0, 0, 0].item())  # 1 x the prior
    assert weighted[0, 3, 3] == 0.0  # the minimum normalises to 0, whatever its sign
    ramp = torch.arange(64.0).view(1, 8, 8)  # brighter towards the bottom right
    expected = (ramp - ramp.min()) / (ramp.max() - ramp.min()) * center_gaussian_maps(1, 8, 8)
    assert torch.allclose(centre_weighted(ramp), expected)

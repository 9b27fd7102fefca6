"""The compiled CPU path of boxes_from_maps gives the torch path's boxes bit for bit: the largest 8-connected
component, the first in raster order among equals, non-finite pixels as background, (0, 0, 0, 0) when empty."""

import pytest
import torch

from infocam_lit.maths.box_kernel import largest_component_boxes_cpu
from infocam_lit.maths.boxes import boxes_by_propagation, boxes_from_maps
from tests.helpers.map_families import FAMILIES, smooth

THRESHOLDS = (0.0, 0.2, 0.5, 0.75, 0.99, 1.0, -0.1)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_compiled_path_gives_the_torch_paths_boxes(family):
    """1,000 maps in all, each at seven thresholds (one below 0, where everything finite is foreground)."""
    generator = torch.Generator().manual_seed(sorted(FAMILIES).index(family))
    maps = FAMILIES[family](100, generator)
    _, flagged = largest_component_boxes_cpu(maps, 0.2)
    assert bool(flagged.all()) if family in ("non_finite", "huge_values") else not bool(flagged.any())
    for threshold in THRESHOLDS:
        fast = boxes_from_maps(maps, threshold)
        assert torch.equal(fast, boxes_by_propagation(maps, threshold)), (family, threshold)
        assert fast.dtype == torch.long and fast.shape == (len(maps), 4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_dtypes_give_the_torch_paths_boxes(dtype):
    maps = smooth(50, torch.Generator().manual_seed(1)).to(dtype)
    assert torch.equal(boxes_from_maps(maps, 0.2), boxes_by_propagation(maps, 0.2))


def test_maps_past_float32_are_left_to_the_torch_path():
    maps = torch.rand(3, 10, 10, dtype=torch.float64)
    maps[1, 0, 0] = 1e300  # finite in float64, inf in float32
    maps[2, 4, 4] = float("nan")
    _, flagged = largest_component_boxes_cpu(maps, 0.2)
    assert flagged.tolist() == [False, True, True]
    assert torch.equal(boxes_from_maps(maps, 0.2), boxes_by_propagation(maps, 0.2))


def test_a_map_that_needs_a_gradient_and_a_strided_view_work():
    maps = smooth(4, torch.Generator().manual_seed(2)).requires_grad_()
    view = maps.transpose(1, 2)
    assert torch.equal(boxes_from_maps(view, 0.3), boxes_by_propagation(view.detach(), 0.3))


def test_an_empty_batch_gives_no_boxes():
    assert boxes_from_maps(torch.zeros(0, 5, 5), 0.2).shape == (0, 4)

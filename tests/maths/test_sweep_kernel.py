"""The compiled CPU sweep (threshold_sweep on a CPU) gives the whole-tensor sweep's results bit for bit: per map and
threshold the best IoU of any component's box with the ground truth, and the box of the largest component."""

import pytest
import torch

from infocam_lit.maths.sweep_kernel import sweep_cpu
from infocam_lit.maths.threshold_sweep import sweep_by_basins, threshold_sweep
from infocam_lit.metrics.functional import threshold_grid
from tests.helpers.map_families import FAMILIES

GRIDS = {"paper": threshold_grid(0.01), "coarse": threshold_grid(0.1),
         "unsorted": torch.tensor([0.5, 0.1, 0.9, 0.3, 0.3, 0.0, 0.95, -0.2])}


def ground_truth(maps: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Up to three boxes an image (some of them padding), some inverted or outside the map."""
    batch, height, width = maps.shape
    corners = torch.rand(batch, 3, 4, generator=generator) * torch.tensor([width, height, width, height]) * 1.2
    boxes = torch.stack([corners[..., 0], corners[..., 1], corners[..., 0] + corners[..., 2] / 2,
                         corners[..., 1] + corners[..., 3] / 2], -1).floor()
    boxes[:, 2] = boxes[:, 2, [2, 3, 0, 1]]  # inverted: an empty box
    return boxes, torch.randint(0, 4, (batch,), generator=generator)


@pytest.mark.parametrize("grid", sorted(GRIDS))
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_compiled_sweep_gives_the_whole_tensor_sweeps_results(family, grid):
    generator = torch.Generator().manual_seed(sorted(FAMILIES).index(family))
    maps = FAMILIES[family](60, generator)
    gt, count = ground_truth(maps, generator)
    thresholds = GRIDS[grid]
    best, boxes = threshold_sweep(maps, thresholds, gt, count)
    expected_best, expected_boxes = sweep_by_basins(maps, thresholds, gt, count)
    assert torch.equal(best, expected_best) and torch.equal(boxes, expected_boxes)
    assert best.dtype == torch.float64 and boxes.dtype == torch.long
    _, _, flagged = sweep_cpu(maps, thresholds, gt, count, True, True)
    assert bool(flagged.all()) if family in ("non_finite", "huge_values") else not bool(flagged.any())


def test_one_result_alone_is_the_same_as_with_the_other():
    maps = FAMILIES["blobs"](20, torch.Generator().manual_seed(5))
    thresholds = threshold_grid(0.05)
    gt, count = ground_truth(maps, torch.Generator().manual_seed(6))
    best, boxes = threshold_sweep(maps, thresholds, gt, count)
    only_best = threshold_sweep(maps, thresholds, gt, count, largest=False)
    assert torch.equal(only_best[0], best) and only_best[1] is None
    only_boxes = threshold_sweep(maps, thresholds, every_component=False)
    assert only_boxes[0] is None and torch.equal(only_boxes[1], boxes)

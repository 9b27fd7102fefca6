"""Boxes from maps on hand-drawn masks, IoU edge cases, and agreement with scipy."""

import numpy as np
import pytest
import torch

from infocam_lit.maths.boxes import (
    box_iou,
    boxes_from_maps,
    connected_components,
    largest_component_boxes,
    normalize_maps,
)
from tests.helpers import reference_wsol


def mask_from(rows: list[str]) -> torch.Tensor:
    return torch.tensor([[c == "#" for c in row] for row in rows])


def test_two_components_the_larger_wins():
    mask = mask_from(["##....",
                      "##....",
                      "....##",
                      "...###",
                      "....#."])
    assert largest_component_boxes(mask[None]).tolist() == [[3, 2, 5, 4]]


def test_diagonal_pixels_are_connected():
    mask = mask_from(["#...",
                      ".#..",
                      "..#.",
                      "....",
                      "##.."])
    assert largest_component_boxes(mask[None]).tolist() == [[0, 0, 2, 2]]


def test_holes_do_not_matter():
    mask = mask_from(["#####",
                      "#...#",
                      "#...#",
                      "#####"])
    assert largest_component_boxes(mask[None]).tolist() == [[0, 0, 4, 3]]


def test_empty_full_and_single_pixel():
    empty = torch.zeros(4, 5, dtype=torch.bool)
    full = torch.ones(4, 5, dtype=torch.bool)
    single = torch.zeros(4, 5, dtype=torch.bool)
    single[2, 3] = True
    assert largest_component_boxes(torch.stack([empty, full, single])).tolist() == [
        [0, 0, 0, 0], [0, 0, 4, 3], [3, 2, 3, 2]]


def test_ties_go_to_the_component_met_first_in_raster_order():
    mask = mask_from(["...##",
                      "##...",
                      "....."])
    assert largest_component_boxes(mask[None]).tolist() == [[3, 0, 4, 0]]


def test_boxes_from_maps_thresholds_the_normalised_map():
    maps = torch.zeros(2, 5, 6)
    maps[0, 1:3, 2:5] = 1.0
    maps[0, 4, 0] = 0.15  # below 20 % of the maximum: dropped
    maps[1] = 7.0  # a constant map is all zeros after normalisation: empty mask
    assert boxes_from_maps(maps, threshold=0.2).tolist() == [[2, 1, 4, 2], [0, 0, 0, 0]]
    assert normalize_maps(maps)[1].abs().sum() == 0


def test_batch_is_independent_of_its_neighbours():
    g = torch.Generator().manual_seed(0)
    masks = torch.rand(6, 9, 11, generator=g) > 0.5
    together = largest_component_boxes(masks)
    alone = torch.cat([largest_component_boxes(m[None]) for m in masks])
    assert torch.equal(together, alone)


def label_boxes(labels: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The tight box of every label of an (H, W) label image (background -1)."""
    boxes = []
    for value in np.unique(labels[labels >= 0]):
        ys, xs = np.nonzero(labels == value)
        boxes.append((int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())))
    return sorted(boxes)


@pytest.mark.parametrize("seed", range(5))
def test_labelling_and_boxes_agree_with_scipy(seed):
    g = torch.Generator().manual_seed(seed)
    masks = torch.rand(4, 13, 17, generator=g) > (0.35 + 0.1 * seed)
    labels = connected_components(masks)
    for b in range(4):
        assert label_boxes(labels[b].numpy()) == sorted(reference_wsol.component_boxes(masks[b].numpy()))
        assert tuple(largest_component_boxes(masks[b][None])[0].tolist()) == \
            reference_wsol.largest_component_box(masks[b].numpy())


# --------------------------------------------------------------------------- IoU
@pytest.mark.parametrize(("a", "b", "expected"), [
    ([0, 0, 9, 9], [0, 0, 9, 9], 1.0),  # identical
    ([0, 0, 9, 9], [20, 20, 29, 29], 0.0),  # disjoint: clamped, never negative
    ([0, 0, 9, 9], [10, 0, 19, 9], 0.0),  # touching edges do not overlap (inclusive pixels)
    ([0, 0, 9, 9], [2, 2, 5, 5], 16 / 100),  # contained
    ([0, 0, 9, 9], [5, 0, 14, 9], 50 / 150),  # half overlap
    ([3, 3, 3, 3], [3, 3, 3, 3], 1.0),  # single-pixel boxes
    ([0, 0, 9, 9], [5, 5, 4, 4], 0.0),  # degenerate (empty) box
])
def test_iou_edge_cases(a, b, expected):
    assert box_iou(torch.tensor([a]), torch.tensor([b])).item() == pytest.approx(expected)
    assert box_iou(torch.tensor([b]), torch.tensor([a])).item() == pytest.approx(expected)


def test_iou_of_far_apart_boxes_is_never_counted_as_a_hit():
    # without the clamp, two negative extents multiply to a positive "intersection"
    iou = box_iou(torch.tensor([[0, 0, 4, 4]]), torch.tensor([[10, 10, 14, 14]]))
    assert iou.item() == 0.0 and np.isfinite(iou.item())

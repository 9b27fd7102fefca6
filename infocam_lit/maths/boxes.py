"""From maps to boxes, and IoU (SPEC §4.2): batched on tensors, on the maps' device.

Boxes are inclusive pixel corners (x0, y0, x1, y1). A map becomes a box by:
min-max normalising it per image (a constant map becomes all zeros), keeping
the pixels above `threshold`, taking the largest 8-connected component and its
tight box. An empty mask gives (0, 0, 0, 0). Among equally large components
the one whose first pixel comes first in raster order wins.

Non-finite pixels (NaN, +inf, -inf) are background at every threshold: the
min-max normalisation is taken over the finite pixels only and leaves NaN at
the others (never above a threshold), so a map with no finite pixel is all
background, and at thresholds >= 0 a non-finite pixel acts as the map's
smallest finite value. The sweep over every threshold at once
(threshold_sweep.py) follows the same rule.

On a CPU the boxes come from a compiled kernel (box_kernel.py: runs and union-find, one pass per map);
on other devices, and for maps with non-finite pixels, from the whole-tensor path below, with the same
boxes. Connected components are labelled there for the whole batch at once: every
foreground pixel starts with its own index as label; each round takes the
smallest label in the 3x3 neighbourhood, hooks the roots of neighbouring
labels together (scatter-min), and jumps pointers (label <- label[label]) until
nothing changes, so a component ends labelled with its smallest pixel index in
a handful of rounds rather than one per pixel of its diameter.

Example:
    >>> maps = torch.zeros(1, 5, 6); maps[0, 1:3, 2:5] = 1.0
    >>> boxes_from_maps(maps, threshold=0.2)
    tensor([[2, 1, 4, 2]])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from infocam_lit.maths.box_kernel import largest_component_boxes_cpu

BACKGROUND = -1


def normalize_maps(maps: torch.Tensor) -> torch.Tensor:
    """Per-image min-max normalisation to [0, 1] (float32) over the finite pixels, NaN at the non-finite
    ones; a map whose finite pixels are all equal (a constant map) becomes zeros there.

    Args:
        maps: (B, H, W) maps of any float dtype.

    Returns:
        (B, H, W) float32 maps in [0, 1], NaN where `maps` is not finite.

    Example:
        >>> normalize_maps(torch.tensor([[[1.0, 3.0], [5.0, float("inf")]]])).tolist()
        [[[0.0, 0.5], [1.0, nan]]]
    """
    return normalize_finite(maps)[0]


def normalize_finite(maps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """normalize_maps (B, H, W), and which pixels are finite (B, H * W), or None when all of them are.

    Maps whose float32 range is finite (all pixels finite, no overflow) take the plain float32 formula;
    min and max propagate NaN, so checking the B ranges finds the others without a pass over the pixels.
    Only those are normalised again, each on its own, over its finite pixels."""
    flat = maps.flatten(1).float()
    low, high = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    span = high - low
    # in place on one new tensor: allocating large temporaries costs as much as the arithmetic on a CPU
    normalised = (flat - low).div_(span.clamp_min(torch.finfo(flat.dtype).tiny)).masked_fill_(~(span > 0), 0.0)
    finite = None
    odd = ~torch.isfinite(span.squeeze(1))
    if bool(odd.any()):
        rows = odd.nonzero().squeeze(1)
        normalised[rows], finite_rows = _normalize_finite_pixels(maps.flatten(1)[rows])
        finite = torch.ones_like(normalised, dtype=torch.bool)
        finite[rows] = finite_rows
    return normalised.view_as(maps), finite


def _normalize_finite_pixels(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, P) maps holding a non-finite value or a range past float32's: min-max over the finite pixels,
    NaN elsewhere, in float64 for float64 maps (whose finite values may lie past float32's range) and
    else in float32 by the same formula as finite maps, so that at thresholds >= 0 a non-finite pixel acts
    exactly as the smallest finite value would. A range past the largest number is halved first: exact,
    but for subnormal values, which such a range absorbs anyway."""
    values = values.double() if values.dtype == torch.float64 else values.float()
    finite = torch.isfinite(values)
    low = values.masked_fill(~finite, torch.inf).amin(1, keepdim=True)
    high = values.masked_fill(~finite, -torch.inf).amax(1, keepdim=True)
    scale = torch.where(torch.isinf(high - low) & (high > low), 0.5, 1.0).to(values.dtype)
    values, low, high = values * scale, low * scale, high * scale
    span = high - low  # -inf where no pixel is finite
    normalised = (values - low).div_(span.clamp_min(torch.finfo(values.dtype).tiny)).masked_fill_(~(span > 0), 0.0)
    return normalised.masked_fill_(~finite, torch.nan).float(), finite


def min_3x3(grid: torch.Tensor, fill: int) -> torch.Tensor:
    """Minimum over each 3x3 neighbourhood of (B, H, W) integers, `fill` outside."""
    return extreme_3x3(F.pad(grid, (1, 1, 1, 1), value=fill), torch.minimum)


def extreme_3x3(padded: torch.Tensor, pick) -> torch.Tensor:
    """`pick` (torch.minimum or torch.maximum) over each 3x3 neighbourhood of a (B, H + 2, W + 2) grid
    padded by one, as (B, H, W): two separable passes over shifted views, written in place, several times
    faster than a 3x3 pooling on a CPU and exact on integers of any width."""
    rows = pick(padded[:, :, :-2], padded[:, :, 1:-1])
    pick(rows, padded[:, :, 2:], out=rows)
    result = pick(rows[:, :-2], rows[:, 1:-1])
    return pick(result, rows[:, 2:], out=result)


def connected_components(mask: torch.Tensor) -> torch.Tensor:
    """8-connected component labels of a (B, H, W) bool mask, as (B, H, W) long.

    A foreground pixel's label is the flat index (over the whole batch) of the
    first pixel of its component; background is BACKGROUND (-1).
    """
    batch, height, width = mask.shape
    size = batch * height * width
    # One extra slot, `size`, is the label of every background pixel and a sink that
    # absorbs their scatters, so every gather and scatter runs on whole tensors.
    foreground = torch.cat([mask.reshape(-1), mask.new_zeros(1)])
    dtype = torch.int32 if size < 2**31 - 1 else torch.int64  # half the memory traffic where it fits
    sink = torch.full((1,), size, device=mask.device, dtype=dtype)
    start = torch.arange(size + 1, device=mask.device, dtype=dtype)
    labels = torch.where(foreground, start, sink)
    while True:
        previous = labels
        neighbour_min = min_3x3(labels[:size].view(batch, height, width), fill=size).reshape(-1)
        neighbour_min = torch.where(foreground, torch.cat([neighbour_min, sink]), sink)
        # hook every root to the smallest label found next to any pixel of its tree ...
        hooked = labels.scatter_reduce(0, labels.long(), neighbour_min, reduce="amin")
        labels = torch.minimum(hooked, neighbour_min)
        # ... and jump pointers so the new roots reach the whole tree at once
        for _ in range(3):
            labels = labels.index_select(0, labels)
        if torch.equal(labels, previous):
            break
    labels = labels[:size].view(batch, height, width).long()
    return torch.where(mask, labels, torch.full_like(labels, BACKGROUND))


def largest_component_boxes(mask: torch.Tensor) -> torch.Tensor:
    """(B, 4) long tight box of each image's largest 8-connected component; empty -> zeros."""
    batch, height, width = mask.shape
    labels = connected_components(mask).view(batch, -1)
    size = batch * height * width
    counts = torch.bincount(labels[labels >= 0], minlength=size).view(batch, -1)
    # a component's label is its first pixel's flat index, so argmax takes the first of equal sizes
    best = counts.argmax(1) + torch.arange(batch, device=mask.device) * height * width
    chosen = (labels == best[:, None]).view(batch, height, width) & mask
    return mask_boxes(chosen)


def mask_boxes(mask: torch.Tensor) -> torch.Tensor:
    """(B, 4) long tight box of all True pixels of each (H, W) mask; empty -> zeros."""
    rows, cols = mask.any(2), mask.any(1)
    height, width = mask.shape[-2:]
    y0 = rows.float().argmax(1)
    y1 = height - 1 - rows.flip(1).float().argmax(1)
    x0 = cols.float().argmax(1)
    x1 = width - 1 - cols.flip(1).float().argmax(1)
    boxes = torch.stack([x0, y0, x1, y1], dim=1)
    return torch.where(rows.any(1, keepdim=True), boxes, torch.zeros_like(boxes))


def boxes_from_maps(maps: torch.Tensor, threshold: float = 0.2) -> torch.Tensor:
    """(B, H, W) maps already at image size -> (B, 4) long boxes (SPEC §4.2); non-finite pixels (NaN after
    normalisation) are never above the threshold.

    Args:
        maps: (B, H, W) maps at image size.
        threshold: the fraction of each map's min-max range a pixel must exceed.

    Returns:
        (B, 4) long inclusive boxes (x0, y0, x1, y1) of the largest 8-connected component above the
        threshold, (0, 0, 0, 0) where no pixel is above it.

    Example:
        >>> maps = torch.zeros(1, 5, 6)
        >>> maps[0, 0, 0] = 1.0  # one pixel: a smaller component than the block below
        >>> maps[0, 2:4, 2:5] = 0.8
        >>> boxes_from_maps(maps, threshold=0.5)
        tensor([[2, 2, 4, 3]])
    """
    if maps.device.type != "cpu" or 0 in maps.shape[1:]:
        return boxes_by_propagation(maps, threshold)
    boxes, flagged = largest_component_boxes_cpu(maps, threshold)  # compiled, box_kernel.py
    if bool(flagged.any()):  # non-finite pixels or ranges: the torch path's exact rules
        boxes[flagged] = boxes_by_propagation(maps[flagged], threshold)
    return boxes


def boxes_by_propagation(maps: torch.Tensor, threshold: float) -> torch.Tensor:
    """boxes_from_maps by whole-tensor label propagation on any device (a GPU's path), the same boxes."""
    return largest_component_boxes(normalize_maps(maps) > threshold)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of paired inclusive boxes, (N, 4) x (N, 4) -> (N,); the intersection is clamped at 0.

    Args:
        a: (N, 4) inclusive pixel boxes (x0, y0, x1, y1).
        b: (N, 4) boxes paired with `a` row by row.

    Returns:
        (N,) float64 IoU of each pair, 0 where the union is empty.

    Example:
        >>> a = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 1]])
        >>> b = torch.tensor([[0, 0, 1, 1], [1, 1, 2, 2]])
        >>> [round(iou, 4) for iou in box_iou(a, b).tolist()]  # the second pair shares 1 of 7 pixels
        [1.0, 0.1429]
    """
    a, b = a.double(), b.double()
    width = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0]) + 1).clamp_min(0)
    height = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1]) + 1).clamp_min(0)
    intersection = width * height
    area_a = (a[:, 2] - a[:, 0] + 1).clamp_min(0) * (a[:, 3] - a[:, 1] + 1).clamp_min(0)
    area_b = (b[:, 2] - b[:, 0] + 1).clamp_min(0) * (b[:, 3] - b[:, 1] + 1).clamp_min(0)
    union = area_a + area_b - intersection
    return torch.where(union > 0, intersection / union.clamp_min(1e-12), torch.zeros_like(union))


def best_iou(boxes: torch.Tensor, gt_boxes: torch.Tensor, gt_count: torch.Tensor) -> torch.Tensor:
    """(B,) best IoU of each predicted box (B, 4) over the image's real ground-truth boxes (B, K, 4)."""
    batch, k = gt_boxes.shape[:2]
    ious = box_iou(boxes[:, None, :].expand(-1, k, -1).reshape(-1, 4), gt_boxes.reshape(-1, 4)).view(batch, k)
    real = torch.arange(k, device=gt_boxes.device)[None, :] < gt_count[:, None]
    return torch.where(real, ious, torch.full_like(ious, -1.0)).max(1).values.clamp_min(0)

"""Every threshold of a grid at once: the boxes of the connected components of `normalised map > tau`
(8-connectivity) for each tau, without labelling one mask per threshold (SPEC §4.2, §7.2).

Only a pixel's level matters, the number of thresholds it is above: it is in the mask at the k-th
smallest threshold iff k < level. So:
1. Basins: each pixel climbs to the largest value of its 3x3 neighbourhood (one max-pool), and pointer
   jumping takes it to its peak. The climb never goes down, so the part of a basin above any threshold
   is connected to its peak.
2. Per basin and level, the box of its pixels (x and y min / max), then a cumulative min / max from
   the top: the box of its part above each threshold. The same for the pixel count and the first
   pixel in raster order (the largest component's rules).
3. Two basins touch above threshold k when two adjacent pixels of theirs are both above it: their
   saddle (the best such pair's lower level) exceeds k.
4. The components at every threshold at once: one node per (basin, threshold) where the basin has
   pixels, an edge per touching pair and threshold below its saddle, labelled by min-label hooking
   and pointer jumping; a component's box is the union of its nodes' boxes.
Every step is a whole-tensor operation on the maps' device: no per-threshold loop, no copy to the
host but the loops' convergence checks. Pathological maps (pure noise: thousands of basins per map)
are split into smaller batches so that the node count stays bounded.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from infocam_lit.maths.boxes import box_iou, normalize_maps

NODE_BUDGET = 1 << 22  # (basin, threshold) nodes handled at once
# On a CPU, images go through in chunks whose per-pixel arrays stay in cache (8: about 15 % faster per map
# than 32 at once, and than 4, whose per-call overhead shows); a GPU takes the whole batch.
CPU_CHUNK = 8


def threshold_sweep(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor | None = None,
                    gt_count: torch.Tensor | None = None, every_component: bool = True,
                    largest: bool = True) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Both threshold sweeps of SPEC §4.2 / §7.2 from one set of basins:
    (best IoU of any component's box per image and threshold (B, T), needs the GT; or None) and
    (the box of the largest component per image and threshold (B, T, 4), exactly boxes_from_maps':
    among equally large components the one whose first pixel comes first in raster order; or None)."""
    batch = len(maps)
    if maps.device.type == "cpu" and batch > CPU_CHUNK:
        return _in_parts(maps, thresholds, gt_boxes, gt_count, every_component, largest, CPU_CHUNK)
    normalised = normalize_maps(maps)
    _, height, width = normalised.shape
    order = torch.argsort(thresholds)
    # how many thresholds each pixel is above: in the mask at the k-th smallest threshold iff k < level
    level = _levels(normalised.reshape(batch, -1), thresholds[order].to(normalised.dtype))
    basin, peaks = _basins(normalised)
    peak_level = level.view(-1).index_select(0, peaks)
    if len(peak_level) * len(thresholds) > NODE_BUDGET and batch > 1:  # pathological maps: bound the memory
        return _in_parts(maps, thresholds, gt_boxes, gt_count, every_component, largest, (batch + 1) // 2)
    nodes = _node_boxes(basin, level, peak_level, len(thresholds), largest)
    component = _components(basin, level.view_as(basin), peak_level, len(thresholds))
    best = boxes = None
    roots = (component == torch.arange(len(component), device=maps.device)) & nodes["present"]
    root = roots.nonzero().squeeze(1)
    image = (peaks // (height * width)).index_select(0, root // len(thresholds))  # the image of the root's basin
    k = root % len(thresholds)
    box = _merged(nodes, component, root)
    if every_component:
        best = _best_iou(box, image, k, order, gt_boxes.double(), gt_count, batch, len(thresholds))
    if largest:
        boxes = _largest(nodes, component, root, box, image, k, order, batch, len(thresholds), height * width)
    return best, boxes


def _in_parts(maps, thresholds, gt_boxes, gt_count, every_component: bool, largest: bool, size: int):
    """threshold_sweep on parts of `size` images, concatenated."""
    parts = [threshold_sweep(maps[start:start + size], thresholds,
                             None if gt_boxes is None else gt_boxes[start:start + size],
                             None if gt_count is None else gt_count[start:start + size], every_component, largest)
             for start in range(0, len(maps), size)]
    return tuple(None if part[0] is None else torch.cat(part) for part in zip(*parts, strict=True))


def best_iou_per_threshold(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor,
                           gt_count: torch.Tensor) -> torch.Tensor:
    """(B, T): per image and threshold, the best IoU of any component's box with any real GT box."""
    best, _ = threshold_sweep(maps, thresholds, gt_boxes, gt_count, largest=False)
    return best


def largest_component_boxes_per_threshold(maps: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """(B, T, 4): boxes_from_maps(maps, tau) for every tau of `thresholds`, from one pass over the pixels."""
    _, boxes = threshold_sweep(maps, thresholds, every_component=False)
    return boxes


def _levels(values: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """searchsorted(thresholds, values) (int32) for sorted thresholds: a guess from the grid's mean step,
    corrected one step at a time until every value lies in (thresholds[level - 1], thresholds[level]].
    On an evenly spaced grid one correction does it, about 4x faster than a binary search on a CPU;
    an uneven grid falls back to the search."""
    n = len(thresholds)
    step = (thresholds[-1] - thresholds[0]) / max(n - 1, 1)
    if n < 2 or not step > 0:
        return torch.searchsorted(thresholds, values, out_int32=True)
    # NaN goes last, as in the search
    level = ((values - thresholds[0]) / step).ceil_().nan_to_num_(nan=n).clamp_(0, n).to(torch.int32)
    infinity = torch.full((1,), torch.inf, dtype=thresholds.dtype, device=thresholds.device)
    above, below = torch.cat([thresholds, infinity]), torch.cat([-infinity, thresholds])
    for _ in range(3):
        up = above.index_select(0, level.view(-1)).view_as(values) < values
        down = (below.index_select(0, level.view(-1)).view_as(values) >= values) & (level > 0)  # -inf: level 0
        if not (up.any() or down.any()):
            return level
        level += up.to(level.dtype) - down.to(level.dtype)
    return torch.searchsorted(thresholds, values, out_int32=True)


def _basins(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The basin of every pixel (B, H, W), numbered over the batch in order of its peak, and each basin's
    peak (its flat index over the batch). Each pixel climbs to the largest value of its 3x3
    neighbourhood; a step to an equal value is taken only towards a smaller flat index, so the climb
    follows a strict order (no cycle) whatever max-pooling does with ties."""
    batch, height, width = values.shape
    pixels = height * width
    _, best = F.max_pool2d(values[:, None], 3, stride=1, padding=1, return_indices=True)
    index = torch.int32 if batch * pixels < 2**31 else torch.int64  # half the memory traffic where it fits
    offset = torch.arange(batch, device=values.device, dtype=index)[:, None] * pixels
    flat_values = values.reshape(-1)
    own = torch.arange(batch * pixels, device=values.device, dtype=index)
    parent = (best.view(batch, pixels).to(index) + offset).view(-1)
    parent_value = flat_values.index_select(0, parent)
    upward = (parent_value > flat_values) | ((parent_value == flat_values) & (parent < own))
    parent = torch.where(upward, parent, own)
    while True:  # pointer jumping (four jumps between checks): every pixel ends at its peak
        for _ in range(4):
            parent = parent.index_select(0, parent)
        jumped = parent.index_select(0, parent)
        if torch.equal(jumped, parent):
            break
        parent = jumped
    is_peak = parent == own
    number = (torch.cumsum(is_peak, 0, dtype=index) - 1)
    basin = number.index_select(0, parent).view(batch, height, width)
    return basin, is_peak.nonzero().squeeze(1)


def _node_boxes(basin: torch.Tensor, level: torch.Tensor, peak_level: torch.Tensor, n_thresholds: int,
                largest: bool) -> dict[str, torch.Tensor]:
    """Per node (basin b, threshold k), flat index b * T + k: the box (x0, y0) / (x1, y1) of the basin's
    pixels above the threshold, whether it has any ("present"), and for the largest
    component its pixel count and first pixel in raster order."""
    batch, height, width = basin.shape
    pixels = height * width
    device = basin.device
    n_basins, n_levels = len(peak_level), n_thresholds + 1
    flat_key = (basin.view(batch, pixels).long() * n_levels + level).view(-1)
    ys, xs = torch.meshgrid(torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij")
    coords = torch.stack([xs.reshape(-1), ys.reshape(-1)], 1).int().repeat(batch, 1)
    key = flat_key[:, None].expand(-1, 2)
    empty = height + width  # above any coordinate: no pixel
    low = torch.full((n_basins * n_levels, 2), empty, dtype=torch.int32, device=device)
    high = torch.full((n_basins * n_levels, 2), -1, dtype=torch.int32, device=device)
    low.scatter_reduce_(0, key, coords, reduce="amin")
    high.scatter_reduce_(0, key, coords, reduce="amax")
    # above threshold k: levels k + 1 and more
    low = low.view(n_basins, n_levels, 2).flip(1).cummin(1).values.flip(1)[:, 1:].reshape(-1, 2)
    high = high.view(n_basins, n_levels, 2).flip(1).cummax(1).values.flip(1)[:, 1:].reshape(-1, 2)
    threshold = torch.arange(n_thresholds, device=device)
    nodes = {"low": low.long(), "high": high.long(), "present": (threshold[None, :] < peak_level[:, None]).reshape(-1)}
    if largest:
        raster = torch.arange(pixels, device=device).repeat(batch)
        size = torch.bincount(flat_key, minlength=n_basins * n_levels).view(n_basins, n_levels)
        nodes["size"] = size.flip(1).cumsum(1).flip(1)[:, 1:].reshape(-1)
        first = torch.full((n_basins * n_levels,), pixels, dtype=torch.long, device=device).scatter_reduce_(
            0, flat_key, raster, reduce="amin")
        nodes["first"] = first.view(n_basins, n_levels).flip(1).cummin(1).values.flip(1)[:, 1:].reshape(-1)
    return nodes


FORWARD_NEIGHBOURS = ((0, 1), (1, -1), (1, 0), (1, 1))  # each 8-neighbour pair once


def _components(basin: torch.Tensor, level: torch.Tensor, peak_level: torch.Tensor, n_thresholds: int) -> torch.Tensor:
    """The component label of every node b * T + k: the smallest node of its component."""
    device = basin.device
    batch, height, width = basin.shape
    n_basins = len(peak_level)
    flat_basin, flat_level = basin.view(-1), level.reshape(-1)
    pairs, saddles = [], []
    for dy, dx in FORWARD_NEIGHBOURS:
        step = dy * width + dx
        across = (flat_basin[:-step] != flat_basin[step:]).nonzero().squeeze(1)  # few: basin borders
        # on the flat grid, a neighbour past the right or left edge or below the last row is another pixel
        x, y = across % width + dx, across // width % height + dy
        across = across[(x >= 0) & (x < width) & (y < height)]
        saddle = torch.minimum(flat_level.index_select(0, across), flat_level.index_select(0, across + step))
        across, saddle = across[saddle >= 1], saddle[saddle >= 1]
        a, b = flat_basin.index_select(0, across).long(), flat_basin.index_select(0, across + step).long()
        pairs.append(torch.minimum(a, b) * n_basins + torch.maximum(a, b))
        saddles.append(saddle.long())
    pairs, inverse = torch.unique(torch.cat(pairs), return_inverse=True)
    saddle = torch.zeros(len(pairs), dtype=torch.long, device=device).scatter_reduce_(
        0, inverse, torch.cat(saddles), reduce="amax")
    # one edge per pair and threshold below its saddle: nodes (a, k) - (b, k), k = 0 ... saddle - 1
    start = torch.cumsum(saddle, 0) - saddle
    k = torch.arange(int(saddle.sum()), device=device) - start.repeat_interleave(saddle)
    u = (pairs // n_basins).repeat_interleave(saddle) * n_thresholds + k
    v = (pairs % n_basins).repeat_interleave(saddle) * n_thresholds + k
    label = torch.arange(n_basins * n_thresholds, device=device)
    while True:  # hook each root to the smallest label across an edge, then jump pointers
        label_u, label_v = label.index_select(0, u), label.index_select(0, v)
        smaller = torch.minimum(label_u, label_v)
        hooked = label.scatter_reduce(0, label_u, smaller, reduce="amin").scatter_reduce_(
            0, label_v, smaller, reduce="amin")
        hooked = hooked.index_select(0, hooked).index_select(0, hooked)
        if torch.equal(hooked, label):
            return label
        label = hooked


def _merged(nodes: dict[str, torch.Tensor], component: torch.Tensor, root: torch.Tensor) -> torch.Tensor:
    """(R, 4) the box of each component (its root node), the union of its nodes' boxes."""
    index = component[:, None].expand(-1, 2)
    low = torch.full_like(nodes["low"], 1 << 30).scatter_reduce_(0, index, nodes["low"], reduce="amin")
    high = torch.full_like(nodes["high"], -1).scatter_reduce_(0, index, nodes["high"], reduce="amax")
    return torch.cat([low[root], high[root]], 1)


def _best_iou(box, image, k, order, gt, gt_count, batch: int, n_thresholds: int) -> torch.Tensor:
    real = torch.arange(gt.shape[1], device=gt.device)[None, :] < gt_count[:, None]
    n_gt = gt.shape[1]
    ious = box_iou(box[:, None, :].expand(-1, n_gt, -1).reshape(-1, 4), gt[image].reshape(-1, 4)).view(-1, n_gt)
    ious = torch.where(real[image], ious, torch.zeros_like(ious)).amax(1)
    best = torch.zeros(batch * n_thresholds, dtype=torch.float64, device=gt.device)
    best.scatter_reduce_(0, image * n_thresholds + order[k], ious, reduce="amax")
    return best.view(batch, n_thresholds)


def _largest(nodes, component, root, box, image, k, order, batch: int, n_thresholds: int,
             pixels: int) -> torch.Tensor:
    """(B, T, 4): per image and threshold the box of the largest component, ties to the first pixel in
    raster order (the largest rank size * pixels - first, unique within an image)."""
    size = torch.zeros_like(nodes["size"]).scatter_add_(0, component, nodes["size"])
    first = torch.full_like(nodes["first"], pixels).scatter_reduce_(0, component, nodes["first"], reduce="amin")
    rank = size[root] * pixels - first[root]
    slot = image * n_thresholds + order[k]
    best_rank = torch.full((batch * n_thresholds,), -pixels, dtype=torch.long, device=box.device).scatter_reduce_(
        0, slot, rank, reduce="amax")
    chosen = rank == best_rank[slot]
    boxes = torch.zeros(batch * n_thresholds, 4, dtype=torch.long, device=box.device)
    boxes[slot[chosen]] = box[chosen]
    return boxes.view(batch, n_thresholds, 4)

"""Every threshold of a grid at once: the boxes of the connected components of `normalised map > tau` (8-connectivity)
for each tau, without labelling one mask per threshold (SPEC §4.2, §7.2).

Only a pixel's level matters, the number of thresholds it is above: it is in the mask at the k-th smallest threshold
iff k < level. So:
1. Basins: each pixel climbs to the largest of its 3x3 neighbourhood (a max over shifted views of 64-bit keys:
   value, then position), and pointer jumping takes it to its peak. The climb never goes down, so the part of a
   basin above any threshold is connected to its peak.
2. Per basin and level, the box of its pixels (first and last pixel in raster order, smallest and largest x), then a
   cumulative min / max from the top: the box of its part above each threshold. The same for the pixel count (the
   largest component's rules).
3. Two basins touch above threshold k when two adjacent pixels of theirs are both above it: their saddle (the best
   such pair's lower level) exceeds k.
4. The components at every threshold at once: one node per (basin, threshold) where the basin has pixels, an edge
   per touching pair and threshold below its saddle, labelled by min-label hooking and pointer jumping; a
   component's box is the union of its nodes' boxes.
On a CPU the same steps run compiled, a pass over each map's pixels apiece (sweep_kernel.py, equal bit for bit);
the whole-tensor form below is a GPU's path, and the CPU's for maps with non-finite pixels.
Every step is a whole-tensor operation on the maps' device: no per-threshold loop, no copy to the host but the
loops' convergence checks and the grid's spacing check (T numbers). Pathological maps (pure noise: thousands of
basins per map) are split into smaller batches so that the node count stays bounded. On a CPU, allocating a large
temporary costs about as much as a pass over it, so the per-pixel steps write in place where they can.

Non-finite pixels (NaN, +inf, -inf) follow boxes_from_maps' rule: background at every threshold, the min-max
normalisation taken over the finite pixels only (boxes.normalize_finite), so a map with no finite pixel is empty at
every threshold. Here they get level 0 and the smallest keys of the climb (below every finite value, above the
border), so they never lead a finite pixel's climb away from its peak. Maps without them take none of these steps."""

from __future__ import annotations

import torch

from infocam_lit.maths.boxes import box_iou, extreme_3x3, normalize_finite
from infocam_lit.maths.sweep_kernel import sweep_cpu

NODE_BUDGET = 1 << 22  # (basin, threshold) nodes handled at once
# On a CPU, images go through in chunks whose per-pixel arrays stay in cache (8: as fast as 4, about 5 %
# faster per map than 16 and 30 % than 32 at once); a GPU takes the whole batch.
CPU_CHUNK = 8


def threshold_sweep(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor | None = None,
                    gt_count: torch.Tensor | None = None, every_component: bool = True,
                    largest: bool = True) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Both threshold sweeps of SPEC §4.2 / §7.2 from one set of basins:
    (best IoU of any component's box per image and threshold (B, T), needs the GT; or None) and
    (the box of the largest component per image and threshold (B, T, 4), exactly boxes_from_maps':
    among equally large components the one whose first pixel comes first in raster order; or None)."""
    if maps.device.type == "cpu" and 0 not in maps.shape and len(thresholds) > 0:
        return _compiled_with_fallback(maps, thresholds, gt_boxes, gt_count, every_component, largest)
    return sweep_by_basins(maps, thresholds, gt_boxes, gt_count, every_component, largest)


def _compiled_with_fallback(maps, thresholds, gt_boxes, gt_count, every_component: bool, largest: bool):
    """The compiled CPU sweep (sweep_kernel.py); the maps it leaves (non-finite pixels or ranges) by the
    whole-tensor steps."""
    best, boxes, flagged = sweep_cpu(maps, thresholds, gt_boxes, gt_count, every_component, largest)
    if bool(flagged.any()):
        rows = flagged.nonzero().squeeze(1)
        rest = sweep_by_basins(maps[rows], thresholds, None if gt_boxes is None else gt_boxes[rows],
                               None if gt_count is None else gt_count[rows], every_component, largest)
        for result, part in zip((best, boxes), rest, strict=True):
            if result is not None:
                result[rows] = part
    return best, boxes


def sweep_by_basins(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor | None = None,
                    gt_count: torch.Tensor | None = None, every_component: bool = True,
                    largest: bool = True) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """threshold_sweep by the whole-tensor steps above, on any device (a GPU's path): the same results."""
    batch = len(maps)
    if maps.device.type == "cpu" and batch > CPU_CHUNK:
        return _in_parts(maps, thresholds, gt_boxes, gt_count, every_component, largest, CPU_CHUNK)
    normalised, finite = normalize_finite(maps)
    background = None if finite is None else ~finite  # non-finite pixels, if any: NaN in `normalised`
    _, height, width = normalised.shape
    order = torch.argsort(thresholds)
    # how many thresholds each pixel is above: in the mask at the k-th smallest threshold iff k < level
    level = _levels(normalised.reshape(batch, -1), thresholds[order].to(normalised.dtype))
    if background is not None:
        level.masked_fill_(background, 0)  # (_levels ranks NaN above every threshold)
    basin, peaks = _basins(normalised, background)
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
    parts = [sweep_by_basins(maps[start:start + size], thresholds,
                             None if gt_boxes is None else gt_boxes[start:start + size],
                             None if gt_count is None else gt_count[start:start + size], every_component, largest)
             for start in range(0, len(maps), size)]
    return tuple(None if part[0] is None else torch.cat(part) for part in zip(*parts, strict=True))


def best_iou_per_threshold(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor,
                           gt_count: torch.Tensor) -> torch.Tensor:
    """(B, T): per image and threshold, the best IoU of any component's box with any real GT box."""
    return threshold_sweep(maps, thresholds, gt_boxes, gt_count, largest=False)[0]


def largest_component_boxes_per_threshold(maps: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """(B, T, 4): boxes_from_maps(maps, tau) for every tau of `thresholds`, from one pass over the pixels."""
    return threshold_sweep(maps, thresholds, every_component=False)[1]


def _levels(values: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """searchsorted(thresholds, values) (int32) for sorted thresholds. On an evenly spaced grid (each
    threshold within a quarter step of its place) the arithmetic guess ceil((value - first) / step) is
    off by at most one, so comparing each value with the thresholds on either side of its guess gives
    the answer: one gather, 3-4x faster than a binary search on a CPU. Other grids take the search."""
    n = len(thresholds)
    if not _evenly_spaced(thresholds):
        return torch.searchsorted(thresholds, values, out_int32=True)
    step = (thresholds[-1] - thresholds[0]) / (n - 1)
    guess = values.sub(thresholds[0]).mul_(1 / step).ceil_().nan_to_num_(nan=n).clamp_(0, n).to(torch.int32)
    # row g: the thresholds just below and at guess g; NaN below the first (no comparison holds), inf past the last
    edge = torch.full((1,), torch.nan, dtype=thresholds.dtype, device=thresholds.device)
    sides = torch.stack([torch.cat([edge, thresholds]), torch.cat([thresholds, edge.fill_(torch.inf)])], 1)
    below, above = sides.index_select(0, guess.view(-1)).view(*values.shape, 2).unbind(-1)
    return guess.add_(above < values).sub_((below >= values).to(torch.int32))


def _evenly_spaced(thresholds: torch.Tensor) -> bool:
    """At least two thresholds, increasing by a finite step, each within a quarter step of its place."""
    grid = thresholds.detach().double().cpu()
    if len(grid) < 2:
        return False
    step = (grid[-1] - grid[0]) / (len(grid) - 1)
    if not (step > 0 and torch.isfinite(step)):
        return False
    places = grid[0] + step * torch.arange(len(grid), dtype=torch.float64)
    return bool(((grid - places).abs() <= step / 4).all())


def _basins(values: torch.Tensor, background: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The basin of every pixel (B, H, W), numbered over the batch in order of its peak, and each basin's
    peak (its flat index over the batch). `values` are normalised maps (float32, >= 0 or NaN) of up to
    2**32 pixels; `background` (B, H * W), if given, marks the non-finite pixels (NaN), which take the
    smallest keys instead of the largest.
    Each pixel climbs to the largest of its 3x3 neighbourhood in a strict order (by value, then the
    earlier pixel in raster order), so the climb never goes down and has no cycle, and pointer jumping
    takes it to its peak."""
    batch, height, width = values.shape
    pixels = height * width
    device = values.device
    bits = max(pixels - 1, 1).bit_length()
    # the pixel's key: a non-negative float's bits count up with its value (NaN, the non-finite pixels, would
    # be above all once the sign is cleared: `background` moves them below), then its position counted from
    # the end, so that the earlier of two equal pixels is larger; a border of -1 is below every key. Written
    # in place: on a CPU large temporaries cost as much as the arithmetic.
    key = torch.full((batch, height + 2, width + 2), -1, dtype=torch.int64, device=device)
    countdown = torch.arange(pixels - 1, -1, -1, device=device).view(height, width)
    interior = key[:, 1:-1, 1:-1].copy_(values.view(torch.int32)).bitwise_and_(0x7FFFFFFF)
    if background is not None:  # finite values one up, non-finite ones at 0: below them all, above the border
        interior.add_(1).masked_fill_(background.view(batch, height, width), 0)
    interior.bitwise_left_shift_(bits).bitwise_or_(countdown)
    best = extreme_3x3(key, torch.maximum)
    index = torch.int32 if batch * pixels < 2**31 else torch.int64  # half the memory traffic where it fits
    last = torch.arange(batch, device=device, dtype=index)[:, None] * pixels + pixels - 1  # each image's last pixel
    parent = best.bitwise_and_((1 << bits) - 1).to(index).view(batch, pixels).neg_().add_(last).view(-1)
    parent, spare = _jump_to_roots(parent)
    is_peak = parent == torch.arange(batch * pixels, device=device, dtype=index)
    number = torch.cumsum(is_peak, 0, dtype=index).sub_(1)
    basin = torch.index_select(number, 0, parent, out=spare).view(batch, height, width)
    return basin, is_peak.nonzero().squeeze(1)


def _jump_to_roots(parent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pointer jumping (parent <- parent[parent]) until every entry points at a root, checked after every
    eight jumps (climbs of up to 256 steps: realistic maps need one check); returns the result and a spare
    buffer of its size (two buffers take turns)."""
    spare = torch.empty_like(parent)
    while True:
        for _ in range(8):
            parent, spare = torch.index_select(parent, 0, parent, out=spare), parent
        jumped = torch.index_select(parent, 0, parent, out=spare)
        if torch.equal(jumped, parent):
            return parent, spare
        parent, spare = jumped, parent


def _node_boxes(basin: torch.Tensor, level: torch.Tensor, peak_level: torch.Tensor, n_thresholds: int,
                largest: bool) -> dict[str, torch.Tensor]:
    """Per node (basin b, threshold k), flat index b * T + k: the box (x0, y0) / (x1, y1) of the basin's
    pixels above the threshold, whether it has any ("present"), and for the largest
    component its pixel count and first pixel in raster order."""
    batch, height, width = basin.shape
    pixels = height * width
    device = basin.device
    n_basins, n_levels = len(peak_level), n_thresholds + 1
    n_keys = n_basins * n_levels
    key_type = basin.dtype if n_keys < 2**31 else torch.int64  # int32 arithmetic where it fits
    flat_key = basin.view(batch, pixels).to(key_type).mul(n_levels).add_(level).view(-1).long()
    # per key, one scatter per extreme on plain vectors (a scatter of (N, 2) rows is 3x slower): the first
    # and last pixel in raster order give the top and bottom rows, x the left and right columns
    raster = torch.arange(pixels, device=device, dtype=torch.int32).repeat(batch)
    x = torch.arange(width, device=device, dtype=torch.int32).repeat(batch * height)
    first = torch.full((n_keys,), pixels, dtype=torch.int32, device=device).scatter_reduce_(
        0, flat_key, raster, reduce="amin")
    last = torch.full((n_keys,), -1, dtype=torch.int32, device=device).scatter_reduce_(
        0, flat_key, raster, reduce="amax")
    x0 = torch.full((n_keys,), width, dtype=torch.int32, device=device).scatter_reduce_(0, flat_key, x, reduce="amin")
    x1 = torch.full((n_keys,), -1, dtype=torch.int32, device=device).scatter_reduce_(0, flat_key, x, reduce="amax")

    def above(per_key: torch.Tensor, accumulate: str) -> torch.Tensor:
        """Per node: the cumulative "min", "max" or "sum" over levels k + 1 and more (above threshold k)."""
        top_down = per_key.view(n_basins, n_levels).flip(1)
        result = top_down.cumsum(1) if accumulate == "sum" else getattr(top_down, f"cum{accumulate}")(1).values
        return result.flip(1)[:, 1:].reshape(-1).long()

    first, last = above(first, "min"), above(last, "max")
    # an empty node keeps first = pixels and last = -1: its rows, height and -1, are outside any box
    low = torch.stack([above(x0, "min"), first.div(width, rounding_mode="floor")], 1)
    high = torch.stack([above(x1, "max"), last.div(width, rounding_mode="floor")], 1)
    threshold = torch.arange(n_thresholds, device=device)
    nodes = {"low": low, "high": high, "present": (threshold[None, :] < peak_level[:, None]).reshape(-1)}
    if largest:
        nodes["size"] = above(torch.bincount(flat_key, minlength=n_keys), "sum")
        nodes["first"] = first
    return nodes


FORWARD_NEIGHBOURS = ((0, 1), (1, -1), (1, 0), (1, 1))  # (dy, dx): each 8-neighbour pair once
DENSE_PAIRS = 1 << 22  # the largest table of all basin pairs (n_basins ** 2); more basins sort their pairs


def _components(basin: torch.Tensor, level: torch.Tensor, peak_level: torch.Tensor, n_thresholds: int) -> torch.Tensor:
    """The component label of every node b * T + k: the smallest node of its component."""
    device = basin.device
    batch, height, width = basin.shape
    n_basins = len(peak_level)
    # where each pixel's forward neighbour is in another basin, compared on windows of the image so that
    # no pair leaves it
    differs = torch.zeros(len(FORWARD_NEIGHBOURS), batch, height, width, dtype=torch.bool, device=device)
    for direction, (dy, dx) in enumerate(FORWARD_NEIGHBOURS):
        rows, columns = slice(0, height - dy), slice(max(0, -dx), width - max(0, dx))
        neighbours = basin[:, dy:, columns.start + dx:columns.stop + dx]
        torch.ne(basin[:, rows, columns], neighbours, out=differs[direction, :, rows, columns])
    on_border = differs[0] | differs[1]  # (chained ORs: differs.any(0) is about 5x slower on a CPU)
    for direction in range(2, len(FORWARD_NEIGHBOURS)):
        on_border |= differs[direction]
    border = on_border.view(-1).nonzero().squeeze(1)  # few: basin borders
    # every (border pixel, direction) whose neighbour is in another basin, all directions at once
    direction, which = differs.view(len(FORWARD_NEIGHBOURS), -1).index_select(1, border).nonzero().unbind(1)
    steps = torch.tensor([dy * width + dx for dy, dx in FORWARD_NEIGHBOURS], device=device)
    here = border.index_select(0, which)
    there = here + steps.index_select(0, direction)
    flat_basin, flat_level = basin.view(-1), level.reshape(-1)
    a, b = flat_basin.index_select(0, here), flat_basin.index_select(0, there)
    pair = torch.minimum(a, b).long() * n_basins + torch.maximum(a, b).long()
    saddle = torch.minimum(flat_level.index_select(0, here), flat_level.index_select(0, there)).long()
    if n_basins**2 <= DENSE_PAIRS:  # the best saddle of each pair in a table over all pairs
        table = torch.zeros(n_basins**2, dtype=torch.long, device=device).scatter_reduce_(
            0, pair, saddle, reduce="amax")
        pair = table.nonzero().squeeze(1)
        saddle = table.index_select(0, pair)
    else:
        pair, inverse = torch.unique(pair, return_inverse=True)
        saddle = torch.zeros(len(pair), dtype=torch.long, device=device).scatter_reduce_(
            0, inverse, saddle, reduce="amax")
    # one edge per pair and threshold below its saddle: nodes (a, k) - (b, k), k = 0 ... saddle - 1
    start = torch.cumsum(saddle, 0) - saddle
    k = torch.arange(int(saddle.sum()), device=device) - start.repeat_interleave(saddle)
    u = (pair // n_basins).repeat_interleave(saddle) * n_thresholds + k
    v = (pair % n_basins).repeat_interleave(saddle) * n_thresholds + k
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

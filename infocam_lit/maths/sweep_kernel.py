"""threshold_sweep on the CPU, compiled (numba): the steps of threshold_sweep.py, each a pass over a map's pixels,
with the same results bit for bit (per map and threshold, the best IoU of any component's box with the ground
truth, and the box of the largest component).

Per map:
1. Range and cuts (box_kernel.py): each threshold becomes the smallest float32 value whose normalised value
   exceeds it, and a pixel's level (how many thresholds it is above) comes from comparing its raw value with
   the cuts, starting from the level an evenly spaced grid predicts. A map with a non-finite pixel or range is
   flagged and left to the whole-tensor path.
2. Basins: each pixel climbs to the largest of its 3 x 3 neighbourhood by 64-bit keys (raw value, then the
   earlier pixel), two separable passes of maxima with no data-dependent branch; a walk along the climbs
   numbers the peaks. The climb never goes down, so the part of a basin above a threshold touches its peak.
3. Per (basin, level): pixel count, first and last pixel in raster order, smallest and largest x. Per pair of
   touching basins: the saddle, the best level of two adjacent pixels of theirs.
4. From the top level down, each basin's pixels of that level join its component (a union-find over basins
   whose roots keep the component's count, first pixel and box), then the pairs whose saddle is that level
   join their components. The largest component (largest count, then earliest first pixel: a rank that only
   grows, so one comparison per change keeps it) and the best IoU over the live components are read there.
Every step is linear in the pixels; per threshold, one look at each basin and each live component.
"""

from __future__ import annotations

import numpy as np
import torch
from numba import njit

from infocam_lit.maths.box_kernel import _cut, _range, _root

DENSE_PAIRS = 1 << 22  # the largest table of all basin pairs (n_basins ** 2); more basins sort their pairs
LOWEST = np.int64(-(2**63))


def sweep_cpu(maps: torch.Tensor, thresholds: torch.Tensor, gt_boxes: torch.Tensor | None,
              gt_count: torch.Tensor | None, every_component: bool, largest: bool):
    """threshold_sweep's two results for (B, H, W) CPU maps ((B, T) float64 best IoU or None, (B, T, 4) long
    boxes or None), and (B,) bool: the maps left to the whole-tensor path (non-finite pixels or range)."""
    batch, n_thresholds = len(maps), len(thresholds)
    order = torch.argsort(thresholds)
    values = maps.detach().float().contiguous().numpy()
    best = np.zeros((batch, n_thresholds), np.float64)
    boxes = np.zeros((batch, n_thresholds, 4), np.int64)
    gt = np.zeros((batch, 0, 4)) if gt_boxes is None else gt_boxes.detach().double().contiguous().numpy()
    count = np.zeros(batch, np.int64) if gt_count is None else gt_count.detach().long().contiguous().numpy()
    flagged = _sweep(values, thresholds[order].float().contiguous().numpy(), gt, count, best, boxes,
                     every_component, largest)
    unsorted = torch.empty_like(order).scatter_(0, order, torch.arange(n_thresholds))  # sorted place of each
    return (torch.from_numpy(best)[:, unsorted] if every_component else None,
            torch.from_numpy(boxes)[:, unsorted] if largest else None, torch.from_numpy(flagged))


@njit(cache=True, nogil=True)
def _sweep(maps, thresholds, gt, gt_count, best_iou, boxes, every_component, largest):
    batch, height, width = maps.shape
    pixels = height * width
    flagged = np.zeros(batch, np.bool_)
    cuts = np.empty(len(thresholds), np.float32)
    level = np.empty(pixels, np.int32)
    basin = np.empty(pixels, np.int32)
    up = np.empty(pixels, np.int32)
    for b in range(batch):
        image = maps[b].ravel()
        low, high, finite = _range(maps[b])
        if not finite:
            flagged[b] = True
            continue
        top = _cuts(low, high, thresholds, cuts)
        if top == 0:
            continue  # no pixel above any threshold: zeros
        _levels(image, low, high, thresholds, cuts, top, level)
        n_basins = _basins(image.view(np.int32), height, width, basin, up)
        nodes = _node_stats(basin, level, n_basins, top, width)
        edges = _edges_by_saddle(basin, level, n_basins, top, height, width)
        _components(nodes, edges, n_basins, top, width, gt[b], gt_count[b], best_iou[b], boxes[b],
                    every_component, largest)
    return flagged


@njit(cache=True, nogil=True)
def _cuts(low, high, thresholds, cuts):
    """Each sorted threshold's cut; the number some pixel exceeds (a prefix: the cuts never decrease)."""
    top = 0
    for k in range(len(thresholds)):
        cuts[k], above = _cut(low, high, thresholds[k])
        if above:
            top = k + 1
    return top


@njit(cache=True, nogil=True)
def _levels(image, low, high, thresholds, cuts, top, level):
    """level[p]: how many of the first `top` cuts image[p] reaches. The guess of an evenly spaced grid is
    corrected by comparing with the cuts, so any sorted grid gives the exact count."""
    n = len(thresholds)
    span = np.float32(high - low)
    step = (thresholds[n - 1] - thresholds[0]) / max(n - 1, 1)
    scale = 1.0 / (span * step) if span > 0 and step > 0 else 0.0
    offset = thresholds[0] / step if step > 0 else 0.0
    for p in range(len(image)):
        value = image[p]
        guess = min(max(int(np.ceil((value - low) * scale - offset)), 0), top)
        while guess < top and value >= cuts[guess]:
            guess += 1
        while guess > 0 and value < cuts[guess - 1]:
            guess -= 1
        level[p] = guess


@njit(cache=True, nogil=True)
def _basins(bits, height, width, basin, up):
    """up[p]: the largest pixel of p's 3 x 3 neighbourhood (by value, then the earlier pixel); basin[p]: the
    number of the peak its climb ends at. `bits` are the float32 values' bits. Returns the number of basins."""
    pixels = height * width
    padded = width + 2
    keys = np.full((height + 2) * padded, LOWEST, np.int64)
    for p in range(pixels):  # value order (negative floats' magnitude bits flipped), then the earlier pixel
        ordered = np.int64(bits[p]) if bits[p] >= 0 else np.int64(bits[p] ^ 0x7FFFFFFF)
        keys[(p // width + 1) * padded + p % width + 1] = (ordered << 32) | (pixels - 1 - p)
    rows = np.full((height + 2) * width, LOWEST, np.int64)  # the max of each pixel's row of three
    for y in range(height):
        for x in range(width):
            source = (y + 1) * padded + x
            rows[(y + 1) * width + x] = max(keys[source], max(keys[source + 1], keys[source + 2]))
    for p in range(pixels):
        best = max(rows[p], max(rows[p + width], rows[p + 2 * width]))
        up[p] = pixels - 1 - np.int32(best & 0xFFFFFFFF)
    basin[:] = -1
    n_basins = 0
    for start in range(pixels):
        p = start
        while basin[p] == -1 and up[p] != p:  # climb until a numbered pixel or a peak, marking the path
            basin[p] = -2
            p = up[p]
        if basin[p] < 0:  # a peak
            basin[p] = n_basins
            n_basins += 1
        label, p = basin[p], start
        while basin[p] == -2:
            basin[p] = label
            p = up[p]
    return n_basins


@njit(cache=True, nogil=True)
def _node_stats(basin, level, n_basins, top, width):
    """Per node (basin, level), flat basin * (top + 1) + level: pixel count, first and last pixel in raster
    order, smallest and largest x; level 0 is in no mask."""
    levels = top + 1
    count = np.zeros(n_basins * levels, np.int64)
    first = np.empty(n_basins * levels, np.int64)
    last = np.empty(n_basins * levels, np.int64)
    x0 = np.empty(n_basins * levels, np.int64)
    x1 = np.empty(n_basins * levels, np.int64)
    for p in range(len(level)):
        if level[p] == 0:
            continue
        node = basin[p] * levels + level[p]
        x = p % width
        if count[node] == 0:
            first[node], x0[node], x1[node] = p, x, x
        else:
            x0[node], x1[node] = min(x0[node], x), max(x1[node], x)
        last[node] = p
        count[node] += 1
    return count, first, last, x0, x1


@njit(cache=True, nogil=True)
def _edges_by_saddle(basin, level, n_basins, top, height, width):
    """The touching basin pairs (a, b) whose saddle is above level 0, ordered by saddle from the top: (a, b,
    begin, counted), the pairs of saddle s at begin[s] : begin[s] + counted[s]."""
    pair_a, pair_b, saddle = _saddles(basin, level, n_basins, height, width)
    counted = np.zeros(top + 2, np.int64)
    for i in range(len(saddle)):
        counted[saddle[i]] += 1
    begin = np.zeros(top + 2, np.int64)
    position = 0
    for s in range(top, 0, -1):
        begin[s] = position
        position += counted[s]
    a, b = np.empty(position, np.int64), np.empty(position, np.int64)
    fill = begin.copy()
    for i in range(len(saddle)):
        a[fill[saddle[i]]], b[fill[saddle[i]]] = pair_a[i], pair_b[i]
        fill[saddle[i]] += 1
    return a, b, begin, counted


@njit(cache=True, nogil=True)
def _saddles(basin, level, n_basins, height, width):
    """Each pair of touching basins (a < b) and its saddle: the best level of two 8-adjacent pixels of theirs,
    the lower of the two; pairs whose saddle is 0 are left out."""
    dense = n_basins * n_basins <= DENSE_PAIRS
    table = np.zeros(n_basins * n_basins if dense else 1, np.int32)
    keys = np.empty(0 if dense else 4 * height * width, np.int64)
    values = np.empty(0 if dense else 4 * height * width, np.int32)
    n_keys = 0
    for y in range(height):
        for x in range(width):
            p = y * width + x
            for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):  # each neighbour pair once
                row, column = y + dy, x + dx
                if row >= height or column < 0 or column >= width or basin[p] == basin[row * width + column]:
                    continue
                q = row * width + column
                s = min(level[p], level[q])
                if s == 0:
                    continue
                key = min(basin[p], basin[q]) * n_basins + max(basin[p], basin[q])
                if dense:
                    table[key] = max(table[key], s)
                else:
                    keys[n_keys], values[n_keys] = key, s
                    n_keys += 1
    if dense:
        found = np.nonzero(table)[0]
        return found // n_basins, found % n_basins, table[found]
    return _reduce_pairs(keys[:n_keys], values[:n_keys], n_basins)


@njit(cache=True, nogil=True)
def _reduce_pairs(keys, values, n_basins):
    """The best saddle of each pair key, from the keys sorted (many basins: no table of all pairs)."""
    order = np.argsort(keys)
    pair_a, pair_b = np.empty(len(keys), np.int64), np.empty(len(keys), np.int64)
    saddle = np.empty(len(keys), np.int32)
    n_pairs = 0
    for i in order:
        if n_pairs > 0 and pair_a[n_pairs - 1] * n_basins + pair_b[n_pairs - 1] == keys[i]:
            saddle[n_pairs - 1] = max(saddle[n_pairs - 1], values[i])
        else:
            pair_a[n_pairs], pair_b[n_pairs], saddle[n_pairs] = keys[i] // n_basins, keys[i] % n_basins, values[i]
            n_pairs += 1
    return pair_a[:n_pairs], pair_b[:n_pairs], saddle[:n_pairs]


@njit(cache=True, nogil=True)
def _components(nodes, edges, n_basins, top, width, gt, gt_count, best_iou, boxes, every_component, largest):
    """From the top level down: the level's nodes join their basins' components, then the pairs whose saddle
    is that level join; the largest component's box and the best IoU are read after each level."""
    count, first, last, x0, x1 = nodes
    pair_a, pair_b, begin, counted = edges
    parent = np.arange(n_basins)
    stats = np.zeros((n_basins, 6), np.int64)  # count, first pixel, x0, y0, x1, y1 at each root
    live = np.empty(n_basins, np.int64)
    alive = np.zeros(n_basins, np.bool_)
    n_live, best = 0, -1
    for current in range(top, 0, -1):
        for b in range(n_basins):
            node = b * (top + 1) + current
            if count[node] == 0:
                continue
            root = _root(parent, b)
            if not alive[root] and stats[root, 0] == 0:  # the basin's peak level: a new component
                alive[root] = True
                live[n_live] = root
                n_live += 1
                stats[root, 1:] = first[node], x0[node], first[node] // width, x1[node], last[node] // width
            _extend(stats[root], count[node], first[node], x0[node], first[node] // width, x1[node],
                    last[node] // width)
            best = _larger(root, best, stats, alive) if largest else best
        for i in range(begin[current], begin[current] + counted[current]):
            root = _union(parent, stats, alive, _root(parent, pair_a[i]), _root(parent, pair_b[i]))
            best = _larger(root, best, stats, alive) if largest else best
        if largest:
            boxes[current - 1] = stats[best, 2:]
        if every_component:
            n_live = _compact(live, n_live, alive)
            best_iou[current - 1] = _best_iou(live, n_live, stats, gt, gt_count)


@njit(cache=True, nogil=True)
def _extend(stats, count, first, x0, y0, x1, y1):
    stats[0] += count
    stats[1], stats[2], stats[3] = min(stats[1], first), min(stats[2], x0), min(stats[3], y0)
    stats[4], stats[5] = max(stats[4], x1), max(stats[5], y1)


@njit(cache=True, nogil=True)
def _union(parent, stats, alive, a, b):
    """Union by count of the components rooted at a and b; the surviving root."""
    if a == b:
        return a
    if stats[b, 0] > stats[a, 0]:
        a, b = b, a
    parent[b] = a
    alive[b] = False
    _extend(stats[a], stats[b, 0], stats[b, 1], stats[b, 2], stats[b, 3], stats[b, 4], stats[b, 5])
    return a


@njit(cache=True, nogil=True)
def _larger(candidate, best, stats, alive):
    """The largest component so far: more pixels, then the earlier first pixel (boxes.py's tie rule)."""
    if best < 0 or not alive[best] or stats[candidate, 0] > stats[best, 0] or (
            stats[candidate, 0] == stats[best, 0] and stats[candidate, 1] < stats[best, 1]):
        return candidate
    return best


@njit(cache=True, nogil=True)
def _compact(live, count, alive):
    """Keep the roots of `live` still alive; their number."""
    kept = 0
    for i in range(count):
        if alive[live[i]]:
            live[kept] = live[i]
            kept += 1
    return kept


@njit(cache=True, nogil=True)
def _best_iou(live, count, stats, gt, gt_count):
    """The best IoU of any live component's box with a real ground-truth box, as boxes.box_iou computes it
    (float64, inclusive corners); 0 with none."""
    best = 0.0
    for i in range(count):
        root = live[i]
        x0, y0, x1, y1 = float(stats[root, 2]), float(stats[root, 3]), float(stats[root, 4]), float(stats[root, 5])
        own = max(x1 - x0 + 1.0, 0.0) * max(y1 - y0 + 1.0, 0.0)
        for g in range(gt_count):
            width = max(min(x1, gt[g, 2]) - max(x0, gt[g, 0]) + 1.0, 0.0)
            height = max(min(y1, gt[g, 3]) - max(y0, gt[g, 1]) + 1.0, 0.0)
            overlap = width * height
            union = own + max(gt[g, 2] - gt[g, 0] + 1.0, 0.0) * max(gt[g, 3] - gt[g, 1] + 1.0, 0.0) - overlap
            if union > 0:
                best = max(best, overlap / max(union, 1e-12))
    return best

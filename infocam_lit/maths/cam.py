"""Class activation maps: CAM, infoCAM and infoCAM+ (paper §5, Eq. 12-15), as plain
batched functions on tensors, usable on any GAP network (features -> GAP -> linear).

    features (B, K, h, w)   the last convolutional features, before global average pooling
    weight   (M, K)         the final linear layer (bias unused: it does not depend on location)
    classes  (B,)           the class to map per image (the ground-truth class in WSOL)

- CAM (Eq. 12):        M_y(a, b) = sum_k w_yk g_k(a, b)            (no ReLU)
- region sum:          S_y(a, b) = sum of M_y over the R x R window at (a, b)
- infoCAM (Eq. 14):    S_y - 1/(M-1) sum_{y' != y} S_y'
  which, being linear, is the region-summed CAM of the effective weight
  w_y - mean_{y' != y} w_y': one channel, one einsum, no loop over classes.
- infoCAM+ (Eq. 15):   S_y - S_y', y' = argmin_m S_m at each location (plus_mode="paper"),
  or the class with the lowest logit for the whole image (plus_mode="legacy", the authors' code).

region_mode="same" sums the window with zero padding, (R-1)//2 cells before and
R//2 after in each axis, so the map keeps its h x w size for odd and even R; for an
even R the window is not centred on its cell, so the map moves by half a cell towards
the upper left (a bright cell at row i lights rows i-1 and i for R = 2).
region_mode="centered" is "same" for an odd R; for an even R it is the mean of the
window's two placements in each axis, a centred (R+1)-tap window whose end taps
weigh 1/2: the same total weight R, no shift (a control for that shift).
region_mode="legacy" is the authors' "full" convolution with a ones kernel and
padding R-1, of size (h+R-1) x (w+R-1).
region_padding fills the cells outside the map for "same" and "centered": "zeros"
(the paper's; it darkens the window sums near the borders, a centre prior),
"replicate" or "reflect" (controls for that prior).

Example:
    >>> features = torch.randn(2, 512, 14, 14); weight = torch.randn(200, 512)
    >>> maps = compute_maps(features, weight, torch.tensor([3, 7]), "infocam", region_size=5)
    >>> maps.shape
    torch.Size([2, 14, 14])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

METHODS = ("cam", "infocam", "infocam_plus")
REGION_MODES = ("same", "centered", "legacy")
REGION_PADDINGS = ("zeros", "replicate", "reflect")
PLUS_MODES = ("paper", "legacy")


def region_sum(maps: torch.Tensor, region_size: int, region_mode: str = "same",
               region_padding: str = "zeros") -> torch.Tensor:
    """Sum over the R x R window at every location of (B, C, h, w) maps (SPEC §4.1, the S_y of Eq. 14).

    Args:
        maps: (B, C, h, w) maps.
        region_size: R, the window's side; 1 returns `maps` itself.
        region_mode: "same" ((R-1)//2 cells before and R//2 after: h x w kept; an even R shifts the map half a
            cell towards the upper left), "centered" (as "same" for an odd R; for an even R the mean of the
            window's placements, no shift) or "legacy" (the authors' full convolution: (h+R-1) x (w+R-1)).
        region_padding: the cells outside the map, for "same" and "centered": "zeros", "replicate" or
            "reflect" ("legacy" is zero-padded by definition).

    Returns:
        The window sums, (B, C, h, w) for "same" and "centered", (B, C, h+R-1, w+R-1) for "legacy".

    Example:
        >>> region_sum(torch.ones(1, 1, 3, 3), region_size=2)[0, 0]
        tensor([[4., 4., 2.],
                [4., 4., 2.],
                [2., 2., 1.]])
        >>> region_sum(torch.ones(1, 1, 3, 3), region_size=2, region_padding="replicate")[0, 0]
        tensor([[4., 4., 4.],
                [4., 4., 4.],
                [4., 4., 4.]])
    """
    if region_mode not in REGION_MODES:
        raise ValueError(f"region_mode={region_mode!r} is not known; valid: {', '.join(REGION_MODES)}")
    if region_padding not in REGION_PADDINGS:
        raise ValueError(f"region_padding={region_padding!r} is not known; valid: {', '.join(REGION_PADDINGS)}")
    if region_mode == "legacy" and region_padding != "zeros":
        raise ValueError("region_mode='legacy' is the authors' zero-padded full convolution: region_padding='zeros'")
    if region_size == 1:
        return maps
    r = region_size
    if region_mode == "legacy":
        padded = F.pad(maps, (r - 1, r - 1, r - 1, r - 1))
    elif region_mode == "centered" and r % 2 == 0:
        return _centred_even_window_sum(maps, r, region_padding)
    else:
        padded = _pad(maps, ((r - 1) // 2, r // 2, (r - 1) // 2, r // 2), region_padding)
    return F.avg_pool2d(padded, r, stride=1, divisor_override=1)  # divisor 1: a plain window sum


def _pad(maps: torch.Tensor, pads: tuple[int, int, int, int], region_padding: str) -> torch.Tensor:
    if region_padding == "zeros":
        return F.pad(maps, pads)
    return F.pad(maps, pads, mode=region_padding)


def _centred_even_window_sum(maps: torch.Tensor, r: int, region_padding: str) -> torch.Tensor:
    """The mean of an even R x R window's four placements around each cell: one (R+1) x (R+1) window centred on
    the cell, whose taps weigh 1 inside and 1/2 on its first and last row and column (separable)."""
    taps = torch.ones(r + 1, dtype=maps.dtype, device=maps.device)
    taps[[0, -1]] = 0.5
    kernel = (taps[:, None] * taps[None, :])[None, None]
    batch, channels, height, width = maps.shape
    padded = _pad(maps.reshape(batch * channels, 1, height, width), (r // 2,) * 4, region_padding)
    return F.conv2d(padded, kernel).view(batch, channels, height, width)


def _weighted_map(features: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """sum_k weights[b, k] * features[b, k] for each image: (B, h, w)."""
    return torch.einsum("bkhw,bk->bhw", features, weights.to(features.dtype))


def compute_maps(features: torch.Tensor, weight: torch.Tensor, classes: torch.Tensor, method: str,
                 region_size: int = 1, region_mode: str = "same", plus_mode: str = "paper",
                 logits: torch.Tensor | None = None, region_padding: str = "zeros") -> torch.Tensor:
    """One map per image for `classes`: CAM (Eq. 12), infoCAM (Eq. 14) or infoCAM+ (Eq. 15); see the
    module docstring.

    Args:
        features: (B, K, h, w) last convolutional features, before global average pooling.
        weight: (M, K) weight of the final linear layer.
        classes: (B,) the class to map per image.
        method: "cam", "infocam" or "infocam_plus".
        region_size: R of the region sum (1: none, the plain CAM of Eq. 12).
        region_mode, region_padding: as in `region_sum`.
        plus_mode: infoCAM+'s subtracted class: "paper" (the lowest region sum at each location) or
            "legacy" (the lowest logit of the image, which needs `logits`).
        logits: (B, M) logits, for plus_mode="legacy" only.

    Returns:
        (B, h', w') maps, h' x w' = h x w but for region_mode="legacy" and R > 1.

    Example:
        >>> features = torch.arange(8.0).view(1, 2, 2, 2)
        >>> weight = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> compute_maps(features, weight, torch.tensor([0]), "cam")
        tensor([[[0., 1.],
                 [2., 3.]]])
        >>> # infoCAM of class 0: the CAM of w_0 - mean(w_1, w_2) = (0.5, -1)
        >>> compute_maps(features, weight, torch.tensor([0]), "infocam")
        tensor([[[-4.0000, -4.5000],
                 [-5.0000, -5.5000]]])
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not known; valid: {', '.join(METHODS)}")
    if region_size < 1:
        raise ValueError(f"region_size must be >= 1, got {region_size}")
    if method == "infocam_plus" and plus_mode == "paper":
        return _infocam_plus_maps(features, weight, classes, region_size, region_mode, region_padding)
    effective = _effective_weights(weight, classes, method, plus_mode, logits)
    return region_sum(_weighted_map(features, effective).unsqueeze(1), region_size, region_mode,
                      region_padding).squeeze(1)


def _effective_weights(weight: torch.Tensor, classes: torch.Tensor, method: str, plus_mode: str,
                       logits: torch.Tensor | None) -> torch.Tensor:
    """(B, K): the weights whose map is the method's before the region sum (a map is linear in its weights):
    CAM's class weight, infoCAM's class weight less the other classes' mean, or legacy infoCAM+'s class weight
    less the lowest-logit class's."""
    num_classes = weight.shape[0]
    if method == "cam":
        return weight[classes]
    if method == "infocam":
        if num_classes < 2:
            raise ValueError("infoCAM needs at least two classes")
        return (num_classes * weight[classes] - weight.sum(0)) / (num_classes - 1)
    if plus_mode == "legacy":
        if logits is None:
            raise ValueError("plus_mode='legacy' needs the logits (the lowest-logit class is subtracted)")
        return weight[classes] - weight[logits.argmin(1)]
    raise ValueError(f"plus_mode={plus_mode!r} is not known; valid: {', '.join(PLUS_MODES)}")


def _infocam_plus_maps(features: torch.Tensor, weight: torch.Tensor, classes: torch.Tensor, region_size: int,
                       region_mode: str, region_padding: str) -> torch.Tensor:
    """infoCAM+ as the paper defines it (Eq. 15): the class's region sum less the lowest region sum of any
    class at each location, so every class's map is needed."""
    all_maps = region_sum(torch.einsum("bkhw,mk->bmhw", features, weight.to(features.dtype)),
                          region_size, region_mode, region_padding)
    own = all_maps.gather(1, classes.view(-1, 1, 1, 1).expand(-1, 1, *all_maps.shape[-2:])).squeeze(1)
    return own - all_maps.min(1).values


def upsampled_maps(features: torch.Tensor, weight: torch.Tensor, classes: torch.Tensor,
                   variants: dict[str, tuple[str, int]], size: tuple[int, int], region_mode: str = "same",
                   plus_mode: str = "paper", upsample: str = "bicubic",
                   logits: torch.Tensor | None = None, region_padding: str = "zeros") -> dict[str, torch.Tensor]:
    """Several maps from one set of features, each upsampled to `size` (B, H, W), in float32 even
    under mixed precision. `variants` maps a name to (method, region size).

    Args:
        features, weight, classes, region_mode, plus_mode, logits, region_padding: as in `compute_maps`.
        variants: name -> (method, region size), one map each.
        size: (H, W), the image size the maps are upsampled to.
        upsample: F.interpolate's mode ("bicubic", "bilinear", "nearest", ...).

    Returns:
        name -> (B, H, W) float32 maps.

    Example:
        >>> features = torch.arange(8.0).view(1, 2, 2, 2)
        >>> weight = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> variants = {"cam": ("cam", 1), "infocam_r2": ("infocam", 2)}
        >>> maps = upsampled_maps(features, weight, torch.tensor([0]), variants, size=(4, 4), upsample="nearest")
        >>> {name: tuple(m.shape) for name, m in maps.items()}
        {'cam': (1, 4, 4), 'infocam_r2': (1, 4, 4)}
        >>> maps["cam"][0]
        tensor([[0., 0., 1., 1.],
                [0., 0., 1., 1.],
                [2., 2., 3., 3.],
                [2., 2., 3., 3.]])
    """
    features, weight = features.float(), weight.float()
    logits = logits.float() if logits is not None else None
    maps = {}
    corners = None if upsample == "nearest" else False  # nearest takes no align_corners
    # in fp32 under mixed precision too: autocast would run the einsums and the region sum in bf16 / fp16,
    # and the boxes of a threshold sweep in steps of 0.01 would move with the rounding
    with torch.autocast(features.device.type, enabled=False):
        for name, (method, region_size) in variants.items():
            small = compute_maps(features, weight, classes, method, region_size, region_mode, plus_mode, logits,
                                 region_padding)
            maps[name] = F.interpolate(small[:, None], size=size, mode=upsample, align_corners=corners)[:, 0]
    return maps


def mean_weight_ratio(weight: torch.Tensor) -> torch.Tensor:
    """||mean_m w_m|| / mean_m ||w_m|| of a final layer's class weights (M, K): how far infoCAM's subtraction of
    the other classes' mean map (Eq. 14) can move a map. Under softmax or PC-softmax cross-entropy the
    gradients of the class weights sum to zero over the classes, so SGD never moves their mean (weight decay
    only shrinks it) and the ratio stays near its value at initialisation, about 1 / sqrt(M) for random weights.

    Example:
        >>> mean_weight_ratio(torch.tensor([[1.0, 0.0], [-1.0, 0.0]])).item()
        0.0
        >>> mean_weight_ratio(torch.tensor([[1.0, 0.0], [1.0, 0.0]])).item()
        1.0
    """
    weight = weight.detach().double()
    return weight.mean(0).norm() / weight.norm(dim=1).mean()

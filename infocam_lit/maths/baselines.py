"""Localisation baselines that need no network: what a box earns on a dataset by knowing nothing about
the image. Scored beside the maps of every WSOL test pass, so a number can be read against them.

- center_gaussian: the centre-Gaussian baseline of Choe et al. (CVPR 2020), an isotropic Gaussian
  centred on the image, the same for every image; boxed and swept like any map. Its box at a threshold
  is a centred square; σ only sets which square sizes the 0.01 threshold grid reaches.
  SIGMA_FRACTION = 0.22 of the image side reaches 31 of the 32 sizes (even sides 2 to 64) at 64 x 64,
  all but the 2 x 2 square, and 86 of the 112 at 224 x 224 (100 thresholds cannot reach them all; 13 of
  the missing ones are below 46 pixels, 13 above 160): the most of the fractions 0.05 to 0.5 tried at
  both sizes. A flatter Gaussian loses the smallest squares, a steeper one the largest.
- full_image: the whole image as the box.
- centre_weighted: a map, min-max normalised, times the centre Gaussian: a control for how much of a map's
  score a centre prior alone explains (`cam_x_center` in the WSOL test pass).

Example:
    >>> center_gaussian_maps(2, 64, 64).shape
    torch.Size([2, 64, 64])
    >>> full_image_boxes(1, 64, 48)
    tensor([[ 0,  0, 47, 63]])
"""

from __future__ import annotations

import torch

from infocam_lit.maths.boxes import normalize_maps

SIGMA_FRACTION = 0.22  # σ / image side (the geometric mean of height and width)


def center_gaussian_maps(batch: int, height: int, width: int, sigma_fraction: float = SIGMA_FRACTION,
                         device: torch.device | None = None) -> torch.Tensor:
    """(batch, height, width) float32: exp(-d² / 2σ²), d the distance to the image's centre
    ((width - 1) / 2, (height - 1) / 2) in pixels, σ = sigma_fraction * sqrt(height * width)."""
    sigma = sigma_fraction * (height * width) ** 0.5
    y = torch.arange(height, dtype=torch.float64, device=device) - (height - 1) / 2
    x = torch.arange(width, dtype=torch.float64, device=device) - (width - 1) / 2
    gaussian = torch.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2)).float()
    return gaussian.expand(batch, height, width)


def full_image_boxes(batch: int, height: int, width: int, device: torch.device | None = None) -> torch.Tensor:
    """(batch, 4) long: the inclusive corners of the whole image, (0, 0, width - 1, height - 1)."""
    return torch.tensor([0, 0, width - 1, height - 1], device=device).expand(batch, 4)


def centre_weighted(maps: torch.Tensor, sigma_fraction: float = SIGMA_FRACTION) -> torch.Tensor:
    """(B, H, W) float32: each map min-max normalised to [0, 1] (as boxes are made), times the centre Gaussian
    of its size. Normalised first so that the prior darkens the borders whatever the map's sign (a raw CAM
    is not rectified, and a negative border times the Gaussian would move towards 0, i.e. brighten).

    Example:
        >>> centre_weighted(torch.ones(1, 3, 3) * torch.tensor([0.0, 1.0, 2.0])).round(decimals=3)
        tensor([[[0.0000, 0.1590, 0.1010],
                 [0.0000, 0.5000, 0.3170],
                 [0.0000, 0.1590, 0.1010]]])
    """
    batch, height, width = maps.shape
    return normalize_maps(maps) * center_gaussian_maps(batch, height, width, sigma_fraction, maps.device)

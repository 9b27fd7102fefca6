"""Families of maps on which the compiled CPU kernels must equal the torch paths: smooth CAM-like maps, many local
maxima, noise, plateaus with ties, checkerboards, non-finite pixels, constant maps, tiny and huge ranges, thin maps."""

import torch
import torch.nn.functional as F


def smooth(n, generator, size=64, cells=7):
    noise = torch.rand(n, 1, cells, cells, generator=generator)
    return F.interpolate(noise, size=(size, size), mode="bicubic", align_corners=False)[:, 0]


def blobs(n, generator, size=64):
    """Sums of 20 to 60 Gaussian blobs of random widths: many local maxima."""
    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    maps = torch.zeros(n, size, size)
    for i in range(n):
        count = int(torch.randint(20, 61, (1,), generator=generator))
        centres = torch.rand(count, 2, generator=generator) * size
        widths = 1 + torch.rand(count, generator=generator) * size / 8
        distance = (yy[None] - centres[:, 0, None, None]) ** 2 + (xx[None] - centres[:, 1, None, None]) ** 2
        maps[i] = torch.exp(-distance / (2 * widths[:, None, None] ** 2)).sum(0)
    return maps


def plateaus(n, generator, size=32):
    """Few levels, so that normalised values land exactly on thresholds and equal components tie."""
    return torch.randint(0, 5, (n, size, size), generator=generator).float() / 4


def checkerboards(n, generator, size=16):
    """Equal one-pixel and diagonal components: ties broken by the first pixel in raster order."""
    board = ((torch.arange(size)[:, None] + torch.arange(size)[None]) % 2).float()
    return board.expand(n, size, size) * torch.randint(1, 3, (n, 1, 1), generator=generator).float()


def non_finite(n, generator, size=32):
    maps = smooth(n, generator, size)
    specials = torch.tensor([float("nan"), float("inf"), float("-inf")])
    where = torch.rand(n, size, size, generator=generator) < 0.05
    maps[where] = specials[torch.randint(0, 3, (int(where.sum()),), generator=generator)]
    maps[0] = float("nan")  # no finite pixel at all
    return maps


FAMILIES = {
    "smooth": smooth,
    "blobs": blobs,
    "noise": lambda n, g: torch.rand(n, 48, 48, generator=g),
    "plateaus": plateaus,
    "checkerboards": checkerboards,
    "non_finite": non_finite,
    "all_equal": lambda n, g: torch.full((n, 8, 9), 3.0),
    "tiny_ranges": lambda n, g: 1.0 + torch.rand(n, 24, 24, generator=g) * 1e-6,
    "huge_values": lambda n, g: (torch.rand(n, 24, 24, generator=g) - 0.5) * 6e38,
    "thin": lambda n, g: torch.rand(n, 1, 40, generator=g),
}

"""Compatibility name of the README's Python API: the maps live in infocam_lit.maths.cam."""

from infocam_lit.maths.cam import compute_maps, region_sum, upsampled_maps

__all__ = ["compute_maps", "region_sum", "upsampled_maps"]

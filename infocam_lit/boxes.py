"""Compatibility name of the README's Python API: boxes and IoU live in infocam_lit.maths.boxes."""

from infocam_lit.maths.boxes import box_iou, boxes_from_maps, normalize_maps

__all__ = ["box_iou", "boxes_from_maps", "normalize_maps"]

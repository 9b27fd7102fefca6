"""Compatibility name of the README's Python API: the metrics live in infocam_lit.metrics.localization."""

from infocam_lit.metrics.localization import LocalizationAccuracy, MaxBoxAccV2

__all__ = ["LocalizationAccuracy", "MaxBoxAccV2"]

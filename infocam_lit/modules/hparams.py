"""Module hyper-parameters as plain Python values."""

from __future__ import annotations

from enum import Enum

from omegaconf import OmegaConf


def to_plain(value):
    """DictConfig / ListConfig / Enum values as plain dicts, lists and strings, which
    is what module hyper-parameters must be for checkpoints to load with weights_only."""
    if OmegaConf.is_config(value):
        return OmegaConf.to_container(value, resolve=True, enum_to_str=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value

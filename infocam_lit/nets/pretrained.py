"""Pretrained ImageNet weights through torchvision's weights API, or from a local file.

Never hangs offline: the download gets a socket timeout, and any failure is a
clear error saying how to run without the network.
"""

from __future__ import annotations

import socket
from pathlib import Path

import torch
from torch import nn
from torchvision.models import WeightsEnum

DOWNLOAD_TIMEOUT_S = 30


class PretrainedWeightsError(RuntimeError):
    pass


def load_pretrained(model: nn.Module, weights: WeightsEnum, pretrained: bool | str, arch: str) -> None:
    """pretrained=True: torchvision's `weights` (cache, else download); a string: a local file."""
    if isinstance(pretrained, str):
        state = _load_local(Path(pretrained), arch)
    else:
        state = _download(weights, arch)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise PretrainedWeightsError(
            f"{arch} weights do not fit the network: missing {missing[:5]}, unexpected {unexpected[:5]}")


def _load_local(path: Path, arch: str) -> dict:
    if not path.is_file():
        raise PretrainedWeightsError(f"model.net.pretrained={str(path)!r}: no such file (expected a state dict "
                                     f"of torchvision's {arch})")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state.get("state_dict", state) if isinstance(state, dict) else state


def _download(weights: WeightsEnum, arch: str) -> dict:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return weights.get_state_dict(progress=False, check_hash=True)  # the file's SHA-256 prefix is in its name
    except Exception as error:  # URLError, timeouts, SSL errors, ...
        raise PretrainedWeightsError(
            f"could not get torchvision's ImageNet weights for {arch} ({weights.url}): {error}. "
            f"Without network access, set model.net.pretrained=false, or model.net.pretrained=<file> "
            f"with the downloaded file (or put it in {torch.hub.get_dir()}/checkpoints/).") from error
    finally:
        socket.setdefaulttimeout(previous)

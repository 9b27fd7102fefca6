"""Build a network from its plain config (the `model.net` node)."""

from __future__ import annotations

from torch import nn

from infocam_lit.nets.mlp import mlp

NETS = ("mlp",)


def build_net(net: dict, input_dim: int | None, num_classes: int) -> nn.Module:
    options = {k: v for k, v in net.items() if k != "name"}
    name = net.get("name")
    if name == "mlp":
        return mlp(input_dim, num_classes, **options)
    raise ValueError(f"model.net.name={name!r} is not a known network; valid: {', '.join(NETS)}")

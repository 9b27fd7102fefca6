"""Build a network from its plain config (the `model.net` node)."""

from __future__ import annotations

from torch import nn

NETS = ("mlp", "mnist_cnn", "inception_v3")


def build_net(net: dict, input_dim: int | None, num_classes: int) -> nn.Module:
    name = net.get("name")
    if name == "mlp":
        from infocam_lit.nets.mlp import mlp

        return mlp(input_dim, num_classes, net["hidden_sizes"])
    if name == "mnist_cnn":
        from infocam_lit.nets.mnist_cnn import mnist_cnn

        return mnist_cnn(num_classes)
    if name == "inception_v3":
        from infocam_lit.nets.inception import InceptionV3Classifier

        return InceptionV3Classifier(num_classes, net.get("pretrained", True), net.get("freeze_backbone", False),
                                     aux_logits=net.get("aux_loss_weight", 0.4) > 0)
    raise ValueError(f"model.net.name={name!r} is not a known network; valid: {', '.join(NETS)}")

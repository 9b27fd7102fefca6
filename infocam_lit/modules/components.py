"""Networks, optimisers and learning-rate schedules from their config: each a `_target_` and its
arguments, as Hydra instantiates them. Modules keep these as plain dicts in their hyper-parameters
(YAML-able; checkpoints load with weights_only=True) and build the objects here."""

from __future__ import annotations

from hydra.utils import instantiate
from torch import nn


def build_net(net: dict, **data_sizes) -> nn.Module:
    """`model.net` (`_target_`: a network class or function) called with its arguments and the
    sizes only the data knows (e.g. num_classes, input_dim)."""
    if "_target_" not in net:
        raise ValueError(f"model.net needs a _target_ (a network class or function), got the keys {sorted(net)}")
    return instantiate(net, **data_sizes, _convert_="all")


def build_optimizer(params, optimizer: dict, scheduler: dict | None = None):
    """`model.optimizer` (`_partial_: true`, e.g. torch.optim.SGD) over `params`; with `model.scheduler`
    (also `_partial_`, e.g. torch.optim.lr_scheduler.MultiStepLR, stepped each epoch) Lightning's
    {"optimizer", "lr_scheduler"} dict."""
    built = instantiate(optimizer, _convert_="all")(params)
    if not scheduler:
        return built
    return {"optimizer": built, "lr_scheduler": {"scheduler": instantiate(scheduler, _convert_="all")(built),
                                                 "interval": "epoch"}}

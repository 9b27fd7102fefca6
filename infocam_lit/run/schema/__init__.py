"""Structured config schemas, registered in Hydra's ConfigStore.

Each YAML file of a group starts from one of these schemas (its defaults list names
`/schema/<group>/<name>@_here_`; a model file also names its network, `/schema/net/<name>@net`), so a
wrong type or an unknown key fails at composition with OmegaConf's message naming the key. Every default
has one source: a value all options of a group share lives here; a value that differs by option (`???`
here) lives in each option's YAML file; constructors take no defaults, and modules read their config
without defaults of their own (tests/run/test_config_defaults.py checks all of it). Ranges and cross-field
rules live in each dataclass's `__post_init__`, which runs in `validate_config` (run/preflight.py) before
any work is done.

One module per group: data.py, model.py (modules and networks), maps.py (loss and cam), trainer.py
(trainer and callbacks); base.py holds the pieces several schemas share.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from infocam_lit.run.schema.checks import ConfigError, require, require_known
from infocam_lit.run.schema.data import DATA_SCHEMAS
from infocam_lit.run.schema.maps import CamConfig, LossConfig
from infocam_lit.run.schema.model import MODEL_SCHEMAS, NET_SCHEMAS
from infocam_lit.run.schema.trainer import CallbacksConfig, TrainerConfig

# group -> {name: schema}, each stored as schema/<group>/<name>
SCHEMAS = {"data": DATA_SCHEMAS, "model": MODEL_SCHEMAS, "net": NET_SCHEMAS, "loss": {"loss": LossConfig},
           "cam": {"cam": CamConfig}, "trainer": {"trainer": TrainerConfig},
           "callbacks": {"callbacks": CallbacksConfig}}

__all__ = ["ConfigError", "SCHEMAS", "register_configs", "require", "require_known", "section"]


def register_configs() -> None:
    """Put the schemas into Hydra's ConfigStore, under schema/<group>/ so that they are not listed among a
    group's options (called by the entry points, beside run/resolvers.py's register_resolvers)."""
    store = ConfigStore.instance()
    for group, schemas in SCHEMAS.items():
        for name, node in schemas.items():
            store.store(group=f"schema/{group}", name=name, node=node)


def section(schema, **values) -> dict:
    """A config section as plain values: the schema's defaults with `values` on top, for code that builds
    a module outside Hydra (tests, benchmarks), e.g. section(CamConfig, region_size=3)."""
    from omegaconf import OmegaConf

    from infocam_lit.modules.hparams import to_plain

    return to_plain(OmegaConf.merge(OmegaConf.structured(schema), values))

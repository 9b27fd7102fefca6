"""Composing the project's configs in a test as the entry points do."""

from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf, open_dict

from infocam_lit.run.resolvers import register_resolvers
from infocam_lit.run.schema import register_configs
from tests.helpers.paths import ROOT

CONF = ROOT / "conf"

register_configs()
register_resolvers()


def compose_train(*overrides, config_name="train"):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=list(overrides), return_hydra_config=True)
        OmegaConf.set_readonly(cfg.hydra, False)
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = "/tmp/infocam_lit_test_run"
        HydraConfig.instance().set_config(cfg)
        return cfg

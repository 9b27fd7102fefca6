"""DataModules built in a test the way train.py builds them."""


def datamodule(name: str, **values):
    """The DataModule of conf/data/<name> built the way train.py builds it: the schema's defaults with
    `values` on top (and, outside a run, root "data", seed 0 and no cache unless given)."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from infocam_lit.run.schema import SCHEMAS

    schema = SCHEMAS["data"][name]
    outside_a_run = {"root": "data", "seed": 0, "cache_dir": None}
    node = OmegaConf.merge(OmegaConf.structured(schema),
                           {k: v for k, v in outside_a_run.items() if k in schema.__dataclass_fields__}, values)
    OmegaConf.to_object(node)  # the schema's range checks, as validate_config runs them
    return instantiate(OmegaConf.to_container(node, resolve=True, enum_to_str=True))

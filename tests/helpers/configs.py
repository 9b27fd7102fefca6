"""Config sections for modules built outside Hydra: the schema's defaults with a test's values on top."""

from infocam_lit.run.schema import section
from infocam_lit.run.schema.maps import CamConfig, LossConfig


def loss_config(name: str, **values) -> dict:
    return section(LossConfig, name=name, **values)


def cam_config(**values) -> dict:
    return section(CamConfig, **values)

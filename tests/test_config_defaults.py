"""One source per default: a value every option of a group shares lives in its schema
(infocam_lit/run/config.py), a value that differs by option lives in that option's YAML file, and
the DataModules and LightningModules the schemas name take their configured arguments without
defaults. A copy of a default in a second place fails here."""

import inspect
from pathlib import Path

import pytest
from hydra.utils import get_class
from omegaconf import OmegaConf

from infocam_lit.run.config import DATA_SCHEMAS, MODEL_SCHEMAS, SCHEMAS
from tests.test_config import compose_train

CONF = Path(__file__).resolve().parents[1] / "conf"
GROUPS = ("data", "model", "loss", "cam", "trainer", "callbacks")
SCHEMA_OF = {f"/schema/{group}/{name}@_here_": node for group, name, node in SCHEMAS}


def schema_of(path: Path):
    """The schema an option file starts from, directly or through another option of its group."""
    defaults = OmegaConf.load(path).get("defaults") or []
    for entry in defaults:
        if entry in SCHEMA_OF:
            return SCHEMA_OF[entry]
        if isinstance(entry, str) and (path.parent / f"{entry}.yaml").is_file():
            return schema_of(path.parent / f"{entry}.yaml")
    return None


def leaves(node, prefix=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, node


OPTION_FILES = [p for group in GROUPS for p in sorted((CONF / group).glob("*.yaml")) if schema_of(p) is not None]


@pytest.mark.parametrize("path", OPTION_FILES, ids=lambda p: str(p.relative_to(CONF)))
def test_an_option_file_sets_only_what_differs_from_its_schema(path):
    schema = OmegaConf.to_container(OmegaConf.structured(schema_of(path)), resolve=False, enum_to_str=True)
    option = {k: v for k, v in OmegaConf.to_container(OmegaConf.load(path), resolve=False).items() if k != "defaults"}
    for key, value in leaves(option):
        if key.split(".")[-1] == "_target_":
            continue  # which class or function: an identity, shown where a reader looks for it
        default = OmegaConf.select(OmegaConf.create(schema), key, throw_on_missing=False)
        name = path.relative_to(CONF) if path.is_relative_to(CONF) else path.name
        assert default is None or default != value, f"{name}: {key} repeats the schema's {value!r}"


@pytest.mark.parametrize("option", sorted(p.stem for p in (CONF / "model").glob("*.yaml")))
def test_every_model_option_fills_what_its_schema_leaves_to_it(option):
    OmegaConf.to_object(compose_train(f"model={option}").model)  # raises on a ??? value left unset


@pytest.mark.parametrize("schema", DATA_SCHEMAS + MODEL_SCHEMAS, ids=lambda s: s.__name__)
def test_constructors_take_their_configured_arguments_without_defaults(schema):
    parameters = inspect.signature(get_class(schema._target_).__init__).parameters
    with_defaults = [name for name in schema.__dataclass_fields__
                     if name in parameters and parameters[name].default is not inspect.Parameter.empty]
    assert not with_defaults, f"{schema._target_} repeats the defaults of {with_defaults} (the schema has them)"


def test_the_check_sees_a_repeated_default(tmp_path):
    repeated = tmp_path / "gmm.yaml"
    repeated.write_text("defaults:\n  - /schema/data/gmm@_here_\n  - _self_\n\nbatch_size: 512\n")
    with pytest.raises(AssertionError, match="batch_size repeats the schema's 512"):
        test_an_option_file_sets_only_what_differs_from_its_schema(repeated)

"""One source per default: a value every option of a group shares lives in its schema
(infocam_lit/run/schema/), a value that differs by option lives in that option's YAML file, the
DataModules and LightningModules the schemas name take their configured arguments without defaults,
and no code reads a configured key with a default of its own (`cam.get("threshold", 0.2)`): a checkpoint
that lacks a key gets the schema's default when it is restored (run/restore.py). A copy of a default in
a second place fails here."""

import ast
import inspect
from pathlib import Path

import pytest
from hydra.utils import get_class
from omegaconf import OmegaConf

from infocam_lit.run.schema import SCHEMAS
from tests.helpers.compose import CONF, compose_train
from tests.helpers.paths import ROOT

PACKAGE = ROOT / "infocam_lit"
GROUPS = ("data", "model", "loss", "cam", "trainer", "callbacks")
SCHEMA_OF = {f"/schema/{group}/{name}": node for group, schemas in SCHEMAS.items() for name, node in schemas.items()}


def schema_of(path: Path) -> dict | None:
    """The schema an option file starts from, directly or through another option of its group, as
    plain defaults; the network a model file names under `net`."""
    defaults = OmegaConf.load(path).get("defaults") or []
    for entry in defaults:
        if isinstance(entry, str) and entry.endswith("@_here_") and entry.removesuffix("@_here_") in SCHEMA_OF:
            schema = plain_defaults(SCHEMA_OF[entry.removesuffix("@_here_")])
            nets = [e.removesuffix("@net") for e in defaults if isinstance(e, str) and e.endswith("@net")]
            return schema | ({"net": plain_defaults(SCHEMA_OF[nets[0]])} if nets else {})
        if isinstance(entry, str) and (path.parent / f"{entry}.yaml").is_file():
            return schema_of(path.parent / f"{entry}.yaml")
    return None


def plain_defaults(schema) -> dict:
    return OmegaConf.to_container(OmegaConf.structured(schema), resolve=False, enum_to_str=True)


def leaves(node, prefix=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, node


OPTION_FILES = [p for group in GROUPS for p in sorted((CONF / group).glob("*.yaml")) if schema_of(p) is not None]


@pytest.mark.parametrize("path", OPTION_FILES, ids=lambda p: str(p.relative_to(CONF)))
def test_an_option_file_sets_only_what_differs_from_its_schema(path):
    schema = schema_of(path)
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


@pytest.mark.parametrize("schema", [*SCHEMAS["data"].values(), *SCHEMAS["model"].values()], ids=lambda s: s.__name__)
def test_constructors_take_their_configured_arguments_without_defaults(schema):
    parameters = inspect.signature(get_class(schema._target_).__init__).parameters
    with_defaults = [name for name in schema.__dataclass_fields__
                     if name in parameters and parameters[name].default is not inspect.Parameter.empty]
    assert not with_defaults, f"{schema._target_} repeats the defaults of {with_defaults} (the schema has them)"


def configured_keys() -> set[str]:
    """Every key a schema configures, nested sections included (`_target_` aside: any config has one)."""
    keys = set()
    for schemas in SCHEMAS.values():
        for schema in schemas.values():
            for key, _ in leaves(plain_defaults(schema)):
                keys.update(key.split("."))
    return keys - {"_target_"}


def defaulted_reads(source: str, keys: set[str]) -> list[str]:
    """`x.get("<configured key>", <default>)` calls in `source`: a second source of that key's default."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                and len(node.args) == 2 and isinstance(node.args[0], ast.Constant) and node.args[0].value in keys):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


# The code a run's config reaches. The report is not: it reads run folders that any version wrote, of any
# dataset, and its fallbacks name what a run without the key did (e.g. CUB has no data.imbalance_ratio).
RUN_CODE = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "report")


@pytest.mark.parametrize("path", RUN_CODE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_code_reads_a_configured_key_with_a_default_of_its_own(path):
    found = defaulted_reads(path.read_text(), configured_keys())
    assert not found, f"{path.relative_to(PACKAGE)} re-defaults configured keys: {found}"


def test_the_checks_see_a_repeated_default(tmp_path):
    repeated = tmp_path / "gmm.yaml"
    repeated.write_text("defaults:\n  - /schema/data/gmm@_here_\n  - _self_\n\nbatch_size: 512\n")
    with pytest.raises(AssertionError, match="batch_size repeats the schema's 512"):
        test_an_option_file_sets_only_what_differs_from_its_schema(repeated)
    source = 'def f(cam, batch):\n    return cam.get("threshold", 0.2), batch.get("image", None), cam["upsample"]\n'
    assert defaulted_reads(source, configured_keys()) == ['line 2: cam.get(\'threshold\', 0.2)']

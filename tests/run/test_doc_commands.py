"""Every command in the bash blocks of README.md and docs/ is checked without training: `python train.py` ones
are composed with Hydra's compose API, one sweep point per value of each axis, and pass the checks train.py
makes before any work; `make` targets, modules and scripts exist, and so do the paths an unmarked command names.
A command that needs what the tests lack says so (`# needs: GPU`, `real data`, `runs`; docs/USAGE.md, "Commands
in these pages"). The evaluate and predict commands run end to end in tests/run/test_readme_commands.py."""

from __future__ import annotations

import importlib.util
import re
import shlex

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from infocam_lit.run import preflight
from infocam_lit.run.cli import missing_plugin
from infocam_lit.run.preflight import validate_config
from tests.helpers.compose import compose_train
from tests.helpers.doc_commands import DOC_FILES, doc_commands
from tests.helpers.paths import ROOT
from tests.report.test_results import CHECK_COMMAND

COMMANDS = doc_commands()
TRAIN = [c for c in COMMANDS if c.line.startswith("python train.py")]
PLACEHOLDER = re.compile(r"<[^<>]*>")
PARSER = OverridesParser.create()
# the README's experiments table prints one train command per experiment, inline
TABLE_COMMANDS = re.findall(r"^\| `(\w+)`.*?\| `(python train\.py [^`]*)` \|$", (ROOT / "README.md").read_text(), re.M)


def kind(line: str) -> str | None:
    for prefix, name in (("python train.py", "train"), ("python evaluate.py ", "run"), ("python predict.py ", "run"),
                         ("python -m ", "module"), ("make ", "make"), ("python benchmarks/", "script"),
                         ("bash benchmarks/", "script")):
        if line.startswith(prefix):
            return name
    return None


def test_the_docs_print_commands_of_every_kind_this_test_checks():
    kinds = {kind(c.line) for c in COMMANDS}
    assert {"train", "run", "module", "make"} <= kinds
    assert {c.source.split(":")[0] for c in COMMANDS} >= {"README.md", "docs/USAGE.md", "docs/RESULTS.md"}
    assert set(DOC_FILES) <= {str(p.relative_to(ROOT)) for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]}


@pytest.mark.parametrize("command", COMMANDS, ids=[c.source for c in COMMANDS])
def test_every_command_is_of_a_kind_the_tests_check(command):
    assert kind(command.line) is not None, f"{command.source}: no test checks `{command.line}`; add its kind here"


def test_the_readme_sets_up_with_two_commands_and_ci_runs_the_second():
    """A fresh machine needs `make train` and `make test` only; CI runs the same test command."""
    readme = (ROOT / "README.md").read_text()
    assert "## Set-up: two commands\n\n```bash\nmake train   # creates .venv, installs, runs the default " in readme
    assert [c.line for c in COMMANDS if c.source.startswith("README.md")] == ["make train", "make test"]
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)


# ----------------------------------------------------------------------------- markers
@pytest.mark.parametrize("command", TRAIN, ids=[c.source for c in TRAIN])
def test_a_train_command_says_what_it_needs(command):
    words = command.words
    if any(re.fullmatch(r"trainer=(gpu|ddp)", w) for w in words):
        assert "GPU" in command.needs, f"{command.source}: add `# needs: GPU`"
    if any(w.startswith("data.root=") or w == "data.download=true" for w in words):
        assert "real data" in command.needs, f"{command.source}: add `# needs: real data`"
    assert "runs" not in command.needs  # a training command makes runs


# ----------------------------------------------------------------------------- train.py: composed, not run
def sweep_points(overrides: list[str]) -> tuple[list[list[str]], dict[str, list[str]]]:
    """The command's jobs as composable override lists, and the axes they vary. As in Hydra's multirun, the sweep's
    own config is composed from the plain overrides alone (a swept `experiment=` cannot bring the `data.*` keys
    another override sets), and a key on the command line replaces the sweep or search file's axis of that key.
    One job per value of each axis, the other axes at their first value; an interval (an Optuna search) at its
    lower end."""
    parsed = [PARSER.parse_override(o) for o in overrides]
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    params = compose_train(*plain).hydra.sweeper.get("params")
    axes = {key: values(PARSER.parse_override(f"{key}={value}"))
            for key, value in (OmegaConf.to_container(params) if params is not None else {}).items()}
    for override in parsed:
        axes.pop(override.get_key_element().lstrip("+~"), None)
        if override.is_sweep_override():
            axes[override.get_key_element()] = values(override)
    first = {key: vals[0] for key, vals in axes.items()}
    points = [[*plain, *(f"{k}={v}" for k, v in first.items())]]
    for key, vals in axes.items():
        for value in vals[1:]:
            points.append([*plain, *(f"{k}={value if k == key else v}" for k, v in first.items())])
    return points, axes


def values(override) -> list[str]:
    if not override.is_sweep_override():
        return [override.get_value_element_as_str()]
    if override.is_interval_sweep():
        return [str(override.value().start)]
    return list(override.sweep_string_iterator())


def train_overrides(line: str, tmp_path) -> list[str]:
    words = shlex.split(PLACEHOLDER.sub(str(tmp_path), line))
    assert words[:2] == ["python", "train.py"], line
    return [w for w in words[2:] if w not in ("-m", "--multirun")]


@pytest.mark.parametrize("command", TRAIN, ids=[c.source for c in TRAIN])
def test_each_train_command_composes_and_passes_the_checks_before_any_work(command, tmp_path, monkeypatch):
    if "bf16 CPU" in command.needs:  # as on a CPU that has it (this one may not)
        monkeypatch.setattr(preflight, "cpu_has_native_bf16", lambda: True)
    overrides = train_overrides(command.line, tmp_path)
    assert missing_plugin(overrides) is None
    points, axes = sweep_points(overrides)
    for point in points:
        validate_config(compose_train(*point))
    if re.search(r"(^| )(sweep=|hparams_search=|-m )", command.line):
        assert axes, command.line  # the sweep's axes were found


@pytest.mark.parametrize(("experiment", "line"), TABLE_COMMANDS, ids=[e for e, _ in TABLE_COMMANDS])
def test_each_command_of_the_readme_experiments_table_composes(experiment, line, tmp_path):
    cfg = compose_train(*train_overrides(line, tmp_path))
    validate_config(cfg)
    assert cfg.experiment_name == experiment


def test_the_experiments_table_covers_every_experiment():
    assert sorted(e for e, _ in TABLE_COMMANDS) == sorted(p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml"))


# ----------------------------------------------------------------------------- make, modules, scripts
OTHER = [c for c in COMMANDS if kind(c.line) in ("make", "module", "script")]


@pytest.mark.parametrize("command", OTHER, ids=[c.source for c in OTHER])
def test_each_other_command_names_what_exists(command):
    words = shlex.split(command.line)
    if words[0] == "make":
        targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
        assert set(words[1:]) <= targets, f"{command.source}: no Makefile target {set(words[1:]) - targets}"
        return
    if words[:2] == ["python", "-m"]:
        module, arguments = words[2], words[3:]
        spec = importlib.util.find_spec(module)
        assert spec is not None, f"{command.source}: no module {module}"
        if spec.submodule_search_locations is not None:  # a package runs its __main__
            assert importlib.util.find_spec(f"{module}.__main__") is not None, module
    else:
        script, arguments = words[1], words[2:]
        assert (ROOT / script).is_file(), f"{command.source}: no {script}"
    if not command.needs:  # what it reads is in the checkout
        for path in (a for a in arguments if not a.startswith("-") and "=" not in a):
            assert not PLACEHOLDER.search(path) and (ROOT / path).exists(), f"{command.source}: {path} is missing"


def test_the_check_the_suite_runs_is_the_one_results_prints():
    assert " ".join(CHECK_COMMAND) in {c.line for c in COMMANDS if c.source.startswith("docs/RESULTS.md")}


# ----------------------------------------------------------------------------- README's numbers
def test_every_number_of_readmes_results_summary_is_in_a_results_table():
    """README's claim paragraphs quote the tables; a number that is in no table (or in the benchmark file named
    beside it) was typed, not read."""
    readme = (ROOT / "README.md").read_text()
    summary = readme[readme.index("## What reproduces"):readme.index("## Documentation")]
    sources = (ROOT / "docs" / "RESULTS.md").read_text() + (
        ROOT / "benchmarks" / "results" / "paper_box_reading_tiny.txt").read_text()
    numbers = set(re.findall(r"\d+\.\d+(?:e-\d+)?", summary))
    assert len(numbers) > 50
    assert sorted(n for n in numbers if n not in sources) == []

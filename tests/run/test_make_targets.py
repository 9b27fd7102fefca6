"""The Makefile's housekeeping targets and the pre-commit hooks, read as make and pre-commit would run them:
`make clean` spares .venv and the runs in outputs/ (debug runs go), `make distclean` removes everything,
`make format` applies ruff's fixes, and the hooks are local commands that need no network."""

import shutil
import subprocess

import pytest
import yaml

from tests.helpers.paths import ROOT

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(target: str) -> list[str]:
    """The commands `make <target>` would run after its prerequisites (install is up to date or not)."""
    result = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return result.stdout.splitlines()


@needs_make
def test_clean_removes_caches_and_debug_runs_and_keeps_the_venv_and_results():
    commands = " ".join(dry_run("clean"))
    assert ".pytest_cache" in commands and ".ruff_cache" in commands and "outputs/debug" in commands
    assert "__pycache__" in commands and "-path ./.venv -prune" in commands
    assert "rm -rf .venv" not in commands and " outputs " not in f"{commands} "


@needs_make
def test_distclean_removes_the_venv_and_the_runs():
    assert "rm -rf .venv outputs" in dry_run("distclean")


@needs_make
def test_format_applies_ruffs_fixes():
    assert any(line.startswith(".venv/bin/ruff check --fix infocam_lit tests") for line in dry_run("format"))


def test_the_pre_commit_hooks_are_local_ruff_commands():
    hooks = [hook for repo in yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"]
             for hook in repo["hooks"]]
    assert {hook["entry"] for hook in hooks} == {".venv/bin/ruff check --fix", ".venv/bin/ruff check"}
    assert all(hook["language"] == "system" for hook in hooks)  # no environment to download

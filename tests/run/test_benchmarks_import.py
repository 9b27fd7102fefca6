"""Every script of benchmarks/ imports (what it reads from the package and the tests still exists), without
running it: a renamed helper would otherwise break `make bench` unseen."""

import importlib.util

import pytest

from tests.helpers.paths import ROOT

SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_a_benchmark_script_imports(script):
    spec = importlib.util.spec_from_file_location(f"benchmark_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # runs its imports; main() runs only as __main__
    assert callable(getattr(module, "main", None)) or script.name == "timing.py"

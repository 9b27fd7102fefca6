"""Every docstring example of the package runs as a test: pytest collects them (`--doctest-modules` over
infocam_lit, pyproject.toml), so no list of modules is kept by hand and the documentation cannot drift from
the code. Here: the public API documents its arguments, returns and an example, and a wrong example fails."""

import subprocess
import sys

import pytest

import infocam_lit
from tests.helpers.paths import ROOT


@pytest.mark.parametrize("name", sorted(infocam_lit.__all__))
def test_each_public_api_entry_shows_returns_and_an_example(name):
    doc = getattr(infocam_lit, name).__doc__ or ""
    assert "Returns:" in doc and ">>> " in doc, f"infocam_lit.{name} lacks Returns or an example"


def test_the_package_configuration_runs_examples_and_a_wrong_one_fails(tmp_path):
    (tmp_path / "wrong_example.py").write_text('def double(x):\n    """Example:\n        >>> double(2)\n        5\n'
                                               '    """\n    return 2 * x\n')
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
                             str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), str(tmp_path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout[-2000:]

"""pyproject.toml names the wheel's packages: every package setuptools finds under infocam_lit/, and conf/,
which ships as infocam_lit/conf (mapped by package-dir, which setuptools' own discovery cannot do). A
subpackage added without its entry fails here, before a wheel lacks it."""

import tomllib
from setuptools import find_packages

from tests.helpers.paths import ROOT


def test_the_listed_packages_are_the_ones_setuptools_finds_and_the_config():
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = find_packages(where=str(ROOT), include=["infocam_lit", "infocam_lit.*"])
    assert sorted(listed) == sorted([*found, "infocam_lit.conf"])

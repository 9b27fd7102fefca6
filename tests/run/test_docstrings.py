"""The examples in the public API's docstrings run and print what they show, so the documentation cannot
drift from the code."""

import doctest
import importlib
import types

import pytest

MODULES = (
    "infocam_lit",
    "infocam_lit.maths.cam",
    "infocam_lit.maths.boxes",
    "infocam_lit.maths.knn_mi",
    "infocam_lit.maths.mi_readout",
    "infocam_lit.metrics.functional",
    "infocam_lit.metrics.localization",
)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def run_examples(module: types.ModuleType) -> doctest.TestResults:
    """Every example of the module's docstrings (module, functions, classes), run in the module's globals."""
    return doctest.testmod(module, optionflags=OPTIONS, report=False)


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_print_what_they_show(name):
    failed, attempted = run_examples(importlib.import_module(name))
    assert attempted > 0, f"{name} shows no example"
    assert failed == 0, f"{failed} of {attempted} examples of {name} fail (the doctest report is above)"


def test_a_wrong_example_fails_the_check():
    module = types.ModuleType("wrong_example")
    exec(
        'def double(x):\n'
        '    """Example:\n'
        '        >>> double(2)\n'
        '        5\n'
        '    """\n'
        '    return 2 * x\n',
        module.__dict__,
    )
    assert tuple(run_examples(module)) == (1, 1)

"""Every error a run reports in one line (its message, exit status 1, no traceback on the terminal): the
run layer's own, and those of the layers below that say all a user needs.

- ConfigError: a config value out of range, a checkpoint that does not fit; the message names the key.
- RunRefused: a run refused before it started (its folder holds work, the sweep cannot run as asked, a
  module or DataModule without the project's contracts). It is no failure of a run: nothing is written (no
  failed.txt) and the folder stays as it was.
- UnknownObjective: optimized_metric names no value of the run (a mistake in the command; a search stops).
- DatasetError (data/idx.py): a dataset file missing, truncated or malformed, named.
- PretrainedWeightsError (nets/pretrained.py): ImageNet weights that cannot be had, and what to do.
"""

from __future__ import annotations

from infocam_lit.data.idx import DatasetError
from infocam_lit.nets.pretrained import PretrainedWeightsError


class ConfigError(ValueError):
    """A config value is out of its valid range; the message names the key."""


class RunRefused(ConfigError):
    """A run refused before it started: nothing is written and its folder stays as it was."""


class UnknownObjective(RunRefused):
    """optimized_metric names no value of the run. A mistake in the command, not a failure of the run (its
    metrics.json stands), so no failed.txt is written, and a search stops at once: every trial would fail alike."""


EXPECTED_ERRORS = (ConfigError, DatasetError, PretrainedWeightsError)

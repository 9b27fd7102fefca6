"""The entry points: `python train.py` / `evaluate.py` / `predict.py` in a checkout, and the console
scripts `infocam-train` / `infocam-evaluate` / `infocam-predict` of an installed wheel. All read the
same conf/."""

from __future__ import annotations

import difflib
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

from infocam_lit.run.errors import EXPECTED_ERRORS, RunRefused
from infocam_lit.run.help_text import config_dir
from infocam_lit.run.jobs import record_failure, refuse, remove_if_set_up_only
from infocam_lit.run.resolvers import register_resolvers
from infocam_lit.run.restore import with_checkpoint_experiment
from infocam_lit.run.run_files import FAILED_FILE
from infocam_lit.run.schema import register_configs

# Hydra plugins: (config group, option) -> (the plugin's module, the extra of infocam_lit that installs it)
OPTUNA = ("hydra_plugins.hydra_optuna_sweeper", "optuna")
PLUGIN_EXTRAS = {
    ("hydra/launcher", "slurm"): ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    ("hydra/launcher", "submitit_slurm"): ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    ("hydra/launcher", "submitit_local"): ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    ("hydra/launcher", "joblib"): ("hydra_plugins.hydra_joblib_launcher", "joblib"),
    ("hydra/sweeper", "optuna"): OPTUNA,
}
SEARCH_GROUP = "hparams_search"  # every option of conf/hparams_search runs on Optuna's sweeper


def missing_plugin(arguments: list[str]) -> str | None:
    """The message for a `hydra/launcher=<name>`, `hydra/sweeper=optuna` or `hparams_search=<name>` whose
    plugin is not installed (Hydra itself would only say that the config group option is unknown), or None."""
    for argument in arguments:
        key, _, value = argument.removeprefix("override ").lstrip("+~").partition("=")
        plugin = OPTUNA if key == SEARCH_GROUP and value not in ("", "null") else PLUGIN_EXTRAS.get((key, value))
        if plugin is None:
            continue
        module, extra = plugin
        if importlib.util.find_spec(module.split(".")[0]) is None or importlib.util.find_spec(module) is None:
            return (f"{key}={value} needs the {module.split('.')[-1].replace('_', '-')} plugin, which is "
                    f"not installed: pip install \"infocam_lit[{extra}]\" (make install includes it)")
    return None


def did_you_mean(error: ConfigCompositionException) -> str | None:
    """One line for an override of an unknown key that names the closest valid key under the same node
    (`trainer.max_epoch` -> trainer.max_epochs), or None when none is close (Hydra's message stands)."""
    cause = error.__cause__
    if not isinstance(cause, (ConfigKeyError, ConfigAttributeError)) or cause.parent_node is None:
        return None
    valid = [str(key) for key in cause.parent_node.keys() if not str(key).startswith("_")]
    close = difflib.get_close_matches(str(cause.key), valid, n=1, cutoff=0.5)
    if not close:
        return None
    parent = str(cause.full_key).rpartition(".")[0]
    return (f"Error: Could not override '{cause.full_key}': {str(cause.msg).splitlines()[0]}; "
            f"did you mean {f'{parent}.' if parent else ''}{close[0]}?")


def wrong_value(error: ConfigCompositionException) -> str | None:
    """One line for an override whose value the key's type cannot take (`data.dim=abc`), or None."""
    cause, message = error.__cause__, str(error)
    if not isinstance(cause, ValidationError) or not message.startswith("Error merging override "):
        return None
    override = message.removeprefix("Error merging override ").splitlines()[0]
    return f"Error: {override}: {str(cause.msg).splitlines()[0]}"


@contextmanager
def suggesting_keys() -> Iterator[None]:
    """Hydra reports a composition error itself and exits (hydra._internal.utils.run_and_report, its only
    seam), so an unknown key with a close valid one, or a value of the wrong type, is caught before that,
    around the function Hydra reports on: its one line, exit status 1. Other errors, or HYDRA_FULL_ERROR=1,
    go on to Hydra. A Hydra release without that private seam gets its own messages: nothing is patched."""
    import hydra._internal.utils as hydra_utils

    report = getattr(hydra_utils, "run_and_report", None)
    if not callable(report):
        yield
        return

    def suggesting(func):
        try:
            return func()
        except ConfigCompositionException as error:
            line = did_you_mean(error) or wrong_value(error)
            if line is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            print(line, file=sys.stderr)
            sys.exit(1)

    hydra_utils.run_and_report = lambda func: report(lambda: suggesting(func))
    try:
        yield
    finally:
        hydra_utils.run_and_report = report


def _run_hydra(config_name: str, task) -> None:
    """Compose conf/<config_name>.yaml with the command line's overrides and hand it to `task`, whose
    return value goes to Hydra's sweeper (a hyper-parameter search reads it). An
    expected error prints its message and exits with status 1; its traceback goes to failed.txt in
    the run folder (and to the terminal too with HYDRA_FULL_ERROR=1, as Hydra's own errors do)."""
    register_configs()
    register_resolvers()
    problem = missing_plugin(sys.argv[1:])
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
        sys.exit(1)

    @hydra.main(version_base="1.3", config_path=config_dir(), config_name=config_name)
    def main(cfg: DictConfig):
        try:
            return task(cfg)  # a sweeper may read it: the value of optimized_metric
        except EXPECTED_ERRORS as error:
            if os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            output_dir = Path(cfg.paths.output_dir)
            removed = remove_if_set_up_only(output_dir, HydraConfig.get().job.name)
            if isinstance(error, RunRefused):
                refuse(error)  # it never started: nothing is recorded, and a folder it made is gone again
            if removed:
                print(f"Error: {error}\n(HYDRA_FULL_ERROR=1 prints the traceback)", file=sys.stderr)
                sys.exit(1)
            record_failure(output_dir, error)
            print(f"Error: {error}\n(traceback in {output_dir / FAILED_FILE}; HYDRA_FULL_ERROR=1 prints it here)",
                  file=sys.stderr)
            sys.exit(1)

    with suggesting_keys():
        main()


def train_main() -> None:
    from infocam_lit.run.train import train

    _run_hydra("train", train)


def _restoring_the_experiment() -> None:
    """evaluate.py and predict.py with no `experiment=` compose the checkpoint's own (run/restore.py:
    with_checkpoint_experiment)."""
    sys.argv[1:] = with_checkpoint_experiment(sys.argv[1:], Path(config_dir()) / "experiment")


def evaluate_main() -> None:
    from infocam_lit.run.evaluate import evaluate

    _restoring_the_experiment()
    _run_hydra("evaluate", evaluate)


def predict_main() -> None:
    from infocam_lit.run.predict import predict

    _restoring_the_experiment()
    _run_hydra("predict", predict)

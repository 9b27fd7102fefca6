"""The OmegaConf resolvers conf/ uses, registered by the entry points (run/cli.py) before Hydra composes:
run and sweep folder names (conf/hydra/default.yaml), the checkpoint's experiment and an evaluate job's
folder (conf/evaluate.yaml, conf/predict.yaml), and --help's text."""

from __future__ import annotations

from omegaconf import OmegaConf

from infocam_lit.run.help_text import help_text
from infocam_lit.run.restore import checkpoint_experiment
from infocam_lit.run.run_key import evaluate_job_folder, run_folder_name, run_key, sweep_folder_name

RESOLVERS = {
    "infocam.run_key": run_key,
    "infocam.run_folder": run_folder_name,
    "infocam.sweep_folder": sweep_folder_name,
    "infocam.evaluate_job": evaluate_job_folder,
    "infocam.checkpoint_experiment": checkpoint_experiment,
    "infocam.help": help_text,
}


def register_resolvers() -> None:
    """Register every resolver above (once; a second call changes nothing)."""
    for name, function in RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)

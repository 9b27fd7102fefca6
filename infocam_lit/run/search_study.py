"""A hyper-parameter search kept in its sweep folder, re-launched without duplicates or mixed settings.

A search's study (optuna.db) lives in its sweep folder, beside `search.yaml`, the settings it was started
with: the overrides that change results, the search space, the direction and the value optimised.
`hydra.sweeper.n_trials` is the size of the study, so the same command is safe to repeat:
- a re-launch runs only the trials the study lacks, with the sampler's seed moved on by the trials it
  holds (the same seed would propose the first launch's parameters again, whose finished folders would
  then enter the study a second time);
- a study that holds n_trials finished trials runs none (raise n_trials to search further);
- a re-launch whose settings differ from search.yaml's is refused, naming the difference: its trials
  would be compared with trials of another search.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from infocam_lit.run.run_key import changes_results

log = logging.getLogger(__name__)
SETTINGS_FILE = "search.yaml"
DONE_STATES = ("COMPLETE", "FAIL", "PRUNED")  # a RUNNING trial was killed part-way: it is run again


def is_search(config: DictConfig) -> bool:
    """A sweep whose sweeper keeps a study (Optuna's, with storage)."""
    return OmegaConf.select(config, "hydra.sweeper.storage") is not None


def search_settings(config: DictConfig) -> dict:
    """What makes two launches one search: the overrides that change results (the search space is not
    among them), the search space, the direction and the value optimised."""
    sweeper = config.hydra.sweeper
    overrides = [str(o) for o in config.hydra.overrides.task if changes_results(str(o))]
    return {"overrides": sorted(o for o in overrides if not o.lstrip("+~").startswith("hydra")),
            "params": OmegaConf.to_container(sweeper.get("params") or {}, resolve=True),
            "direction": OmegaConf.to_container(sweeper.direction, resolve=True)
            if OmegaConf.is_config(sweeper.direction) else sweeper.direction,
            "optimized_metric": config.get("optimized_metric")}


def differences(stored: dict, now: dict) -> list[str]:
    """"overrides: [a] then, [b] now" for each setting that changed."""
    return [f"{key}: {stored.get(key)} then, {now.get(key)} now" for key in now if stored.get(key) != now.get(key)]


def finished_trials(storage_path: Path, study_name: str) -> int:
    """How many trials of the study in `storage_path` have ended (0 for no study yet)."""
    if not storage_path.is_file():
        return 0
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{storage_path}")
    except KeyError:  # the file holds no study of this name
        return 0
    return sum(trial.state.name in DONE_STATES for trial in study.trials)


def prepare_search(config: DictConfig) -> str | None:
    """Before the sweeper starts: a refusal's message when the settings differ from the stored ones; else
    n_trials set to the trials the study lacks (the program ends at once when it lacks none), with the
    sampler's seed moved on by those it holds, and None."""
    if not is_search(config):
        return None
    sweep_dir = Path(OmegaConf.select(config, "hydra.sweep.dir"))
    settings = search_settings(config)
    stored_file = sweep_dir / SETTINGS_FILE
    if stored_file.is_file():
        changed = differences(yaml.safe_load(stored_file.read_text()) or {}, settings)
        if changed:
            return (f"{sweep_dir} holds a search with other settings ({'; '.join(changed)}): give this one another "
                    "sweep_id")
    sweeper = config.hydra.sweeper
    done = finished_trials(Path(str(OmegaConf.select(config, "hydra.sweeper.storage.path"))), sweeper.study_name)
    if done >= sweeper.n_trials:
        print(f"The search in {sweep_dir} is finished: its study holds {done} trials (hydra.sweeper.n_trials="
              f"{sweeper.n_trials}); the best are in optimization_results.yaml. Raise n_trials to search further.")
        sys.exit(0)
    with read_write(config.hydra), open_dict(config.hydra):
        sweeper.n_trials = sweeper.n_trials - done
        if done and sweeper.get("sampler") is not None and sweeper.sampler.get("seed") is not None:
            sweeper.sampler.seed = sweeper.sampler.seed + done
    if done:
        log.info("the study holds %d finished trials: %d more to run", done, sweeper.n_trials)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    if not stored_file.is_file():
        stored_file.write_text(yaml.safe_dump(settings, sort_keys=False))
    return None

"""hparams_search=...: Optuna's sweeper runs trials as sweep jobs, each returning the value of
`optimized_metric`; the study lives in the sweep folder, a failed trial never stops the search, and a
name no run keeps is refused with the names it could be."""

import csv
import importlib.util
import math
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from infocam_lit.run.cli import missing_plugin
from infocam_lit.run.preflight import check_optimized_metric, validate_config
from infocam_lit.run.run_key import run_key
from infocam_lit.run.search import UnknownObjective, objective, sqlite_storage
from tests.helpers.compose import CONF, compose_train
from tests.helpers.runs import run_entry

SEARCHES = sorted(p.stem for p in (CONF / "hparams_search").glob("*.yaml"))
needs_optuna = pytest.mark.skipif(importlib.util.find_spec("hydra_plugins.hydra_optuna_sweeper") is None,
                                  reason='the [optuna] extra is not installed: pip install "infocam_lit[optuna]"')
# A tiny search: one or two short epochs on 1 % of the mixture's train and validation points
TINY = ("logger=csv", "data.size_factor=0.01", "trainer.enable_progress_bar=false")
STUDY_OVERRIDES = ("data.size_factor=0.01", "trainer.max_epochs=2")  # what of TINY and the command changes results


# ----------------------------------------------------------------------------- the value a run returns
def test_objective_is_a_final_metric_or_the_checkpoints_best_score():
    cfg = OmegaConf.create({"optimized_metric": "val/loss"})
    assert objective(cfg, {"test/mi": 1.4}, "val/loss", 0.25) == 0.25
    assert objective(OmegaConf.create({"optimized_metric": "test/mi"}), {"test/mi": 1.4}, "val/loss", 0.25) == 1.4
    assert objective(OmegaConf.create({"optimized_metric": None}), {"test/mi": 1.4}, "val/loss", 0.25) is None


def test_a_value_that_is_not_finite_fails_the_trial():
    """None, not NaN: the sweeper (1.3.0) records None as a failed trial, and crashes on NaN."""
    cfg = OmegaConf.create({"optimized_metric": "test/mi"})
    assert objective(cfg, {"test/mi": math.nan}, None, None) is None
    assert objective(cfg, {"test/mi": None}, None, None) is None  # metrics.json's null


def test_an_unknown_name_lists_the_available_ones():
    cfg = OmegaConf.create({"optimized_metric": "test/mii"})
    with pytest.raises(UnknownObjective, match=r"optimized_metric=test/mii is none of this run's values; "
                                               r"available: test/acc, test/mi, val/loss$"):
        objective(cfg, {"test/mi": 1.4, "test/acc": 0.9}, "val/loss", 0.25)
    with pytest.raises(UnknownObjective, match="available: test/mi$"):  # no training, no best score
        objective(OmegaConf.create({"optimized_metric": "val/loss"}), {"test/mi": 1.4}, "val/loss", None)


def test_a_validation_value_must_be_the_checkpoints_monitor():
    check_optimized_metric(compose_train("optimized_metric=val/loss"))
    check_optimized_metric(compose_train("optimized_metric=test/anything"))  # known only when the run ends
    with pytest.raises(UnknownObjective, match=r"callbacks.model_checkpoint.monitor=val/loss\), its best score; set "
                                               r"optimized_metric=val/loss, or monitor val/mi"):
        check_optimized_metric(compose_train("optimized_metric=val/mi"))
    check_optimized_metric(compose_train("optimized_metric=val/mi", "callbacks.model_checkpoint.monitor=val/mi"))


def test_what_a_search_optimises_never_names_a_folder():
    assert run_key(["hparams_search=mi_gmm_optuna", "optimized_metric=test/mi", "model.optimizer.lr=0.01"]) == \
        "model.optimizer.lr=0.01"


def test_the_study_file_gets_its_folder(tmp_path):
    url = sqlite_storage(str(tmp_path / "sweep" / "optuna.db"))
    assert url == f"sqlite:///{tmp_path}/sweep/optuna.db" and (tmp_path / "sweep").is_dir()


def test_a_search_without_its_plugin_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if "optuna" in name else real(name, *a))
    for argument in ("hparams_search=mi_gmm_optuna", "hydra/sweeper=optuna"):
        assert missing_plugin([argument]).endswith('not installed: pip install "infocam_lit[optuna]" '
                                                   "(make install includes it)")
    assert missing_plugin(["hparams_search=null", "seed=0"]) is None


# ----------------------------------------------------------------------------- the search files
@needs_optuna
@pytest.mark.parametrize("search", SEARCHES)
def test_a_search_optimises_its_checkpoints_monitor_and_keeps_its_study(search):
    cfg = compose_train(f"hparams_search={search}", "sweep_id=s", "paths.log_dir=/logs")
    validate_config(cfg)
    sweeper = cfg.hydra.sweeper
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN" and sweeper._target_.endswith("OptunaSweeper")
    assert cfg.optimized_metric == cfg.callbacks.model_checkpoint.monitor  # a validation value, never a test one
    assert sweeper.direction == {"min": "minimize", "max": "maximize"}[cfg.callbacks.model_checkpoint.mode]
    assert sweeper.storage.path == f"/logs/{cfg.experiment_name}/multirun/s/optuna.db"
    assert sweeper.study_name == cfg.experiment_name and sweeper.sampler.seed == 0
    assert sweeper.max_failure_rate == 1.0 and len(sweeper.params) == 2


@needs_optuna
def test_the_searches_start_from_their_experiment():
    assert compose_train("hparams_search=mi_gmm_optuna").experiment_name == "mi_gmm"
    mnist = compose_train("hparams_search=mnist_optuna", "data.root=/elsewhere")
    assert mnist.experiment_name == "mnist" and mnist.data.root == "/elsewhere"
    assert set(mnist.hydra.sweeper.params) == {"model.optimizer.lr", "model.optimizer.momentum"}


# ----------------------------------------------------------------------------- searches, run
def trials(sweep_dir: Path) -> list:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name="mi_gmm", storage=f"sqlite:///{sweep_dir}/optuna.db").trials


def best_val_loss(folder: Path) -> float:
    with (folder / "csv" / "metrics.csv").open() as f:
        return min(float(row["val/loss"]) for row in csv.DictReader(f) if row["val/loss"])


def trial_folder(sweep_dir: Path, params: dict) -> Path:
    """The job folder of a trial's parameters (folder names may end in a hash: read each config)."""
    for config_file in sweep_dir.glob("*/config.yaml"):
        config = yaml.safe_load(config_file.read_text())
        if (config["model"]["optimizer"]["lr"] == params["model.optimizer.lr"]
                and str(config["model"]["net"]["hidden_sizes"]).replace(" ", "") == params["model.net.hidden_sizes"]):
            return config_file.parent
    raise AssertionError(f"no job folder for {params}")


@needs_optuna
@pytest.mark.subprocess
def test_three_trials_give_the_best_of_their_values_and_a_relaunch_adds_no_duplicate(tmp_path):
    command = ("hparams_search=mi_gmm_optuna", f"hydra.sweep.dir={tmp_path}", *TINY, "trainer.max_epochs=2")
    run_entry("train.py", None, *command, "hydra.sweeper.n_trials=3")
    results = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())
    best = results["best_params"]
    assert set(best) == {"model.optimizer.lr", "model.net.hidden_sizes"}
    assert 1e-4 <= best["model.optimizer.lr"] <= 1e-1
    assert best["model.net.hidden_sizes"] in ("[32,32,32]", "[100,100,100]", "[256,256,256]")
    done = trials(tmp_path)
    assert [t.state.name for t in done] == ["COMPLETE"] * 3
    for trial in done:  # each trial's value: its job's best validation loss, as its CSV file logged it
        assert trial.value == pytest.approx(best_val_loss(trial_folder(tmp_path, trial.params)), rel=1e-6)
    assert isinstance(results["best_value"], float) and results["best_value"] == min(t.value for t in done)
    assert trial_folder(tmp_path, best).is_dir()

    # the same command again: the study holds its 3 trials, so nothing runs and nothing is added
    before = [(t.params, t.value) for t in done]
    rerun = run_entry("train.py", None, *command, "hydra.sweeper.n_trials=3")
    assert f"The search in {tmp_path} is finished: its study holds 3 trials" in rerun.stdout
    assert [(t.params, t.value) for t in trials(tmp_path)] == before
    # a larger n_trials runs only the trials the study lacks, with new parameters (no finished folder re-entered)
    run_entry("train.py", None, *command, "hydra.sweeper.n_trials=4")
    again = trials(tmp_path)
    assert len(again) == 4 and again[3].state.name == "COMPLETE" and again[3].params not in [p for p, _ in before]
    assert again[3].value == pytest.approx(best_val_loss(trial_folder(tmp_path, again[3].params)), rel=1e-6)
    results = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())
    assert results["best_value"] == min(t.value for t in again)
    # other settings in the same folder: refused, naming the difference, and the study is left as it was
    other = run_entry("train.py", None, *command, "hydra.sweeper.n_trials=5", "data.dim=2", check=False)
    assert other.returncode == 1 and other.stderr.strip().splitlines() == [
        f"Error: {tmp_path} holds a search with other settings (overrides: {sorted(STUDY_OVERRIDES)} then, "
        f"{sorted([*STUDY_OVERRIDES, 'data.dim=2'])} now): give this one another sweep_id"]
    assert len(trials(tmp_path)) == 4


@needs_optuna
@pytest.mark.subprocess
def test_a_failed_trial_is_recorded_and_the_search_goes_on(tmp_path):
    """lr=0 is refused by the config check inside the job: that trial fails, the others are searched."""
    result = run_entry("train.py", None, "hparams_search=mi_gmm_optuna", f"hydra.sweep.dir={tmp_path}", *TINY,
                       "trainer.max_epochs=1", "hydra.sweeper.n_trials=3", "hydra/sweeper/sampler=random",
                       "model.optimizer.lr=choice(0.0,0.001)", "model.net.hidden_sizes=[8,8,8]", multirun=True,
                       check=False)
    assert result.returncode == 1 and "1 job(s) of the sweep failed" in result.stdout + result.stderr
    failed = next(tmp_path.glob("*model.optimizer.lr=0.0,*"))
    assert "model.optimizer.lr must be > 0" in (failed / "failed.txt").read_text()
    states = [t.state.name for t in trials(tmp_path)]
    assert len(states) == 3 and "FAIL" in states and "COMPLETE" in states
    results = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())
    assert results["best_params"] == {"model.optimizer.lr": 0.001}
    assert results["best_value"] == pytest.approx(best_val_loss(next(tmp_path.glob("*model.optimizer.lr=0.001,*"))))


@pytest.mark.subprocess
def test_a_validation_value_no_run_keeps_is_refused_before_anything_is_written(tmp_path):
    result = run_entry("train.py", tmp_path / "run", "logger=csv", "optimized_metric=val/acc", check=False)
    assert result.returncode == 1 and not (tmp_path / "run").exists()
    assert result.stderr.strip().splitlines()[-1].startswith("Error: optimized_metric=val/acc: the validation value")

"""debug=default|fdr|limit|overfit|profiler: quick runs under outputs/debug/<experiment>/ with W&B off, each with a
trainer setting that keeps it out of every report table; the default run is untouched by the group."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from infocam_lit.report.configs import debug_settings
from infocam_lit.run.preflight import validate_config
from tests.helpers.compose import CONF, compose_train
from tests.helpers.runs import read_metrics, run_entry

DEBUG_OPTIONS = sorted(p.stem for p in (CONF / "debug").glob("*.yaml"))


def resolved(cfg) -> dict:
    return OmegaConf.to_container(cfg, resolve=True)


def test_every_debug_option_is_tested():
    assert DEBUG_OPTIONS == ["default", "fdr", "limit", "overfit", "profiler"]


@pytest.mark.parametrize("option", DEBUG_OPTIONS)
@pytest.mark.parametrize("experiment", ["mi_gmm", "mnist"])
def test_a_debug_option_composes_validates_and_never_passes_for_a_result(option, experiment):
    cfg = compose_train(f"experiment={experiment}", f"debug={option}", "paths.log_dir=/logs", "run_id=x")
    validate_config(cfg)
    assert list(cfg.logger) == ["csv"]  # W&B off
    assert cfg.hydra.run.dir == f"/logs/debug/{experiment}/x"
    assert cfg.hydra.sweep.dir.startswith(f"/logs/debug/{experiment}/multirun/")
    assert debug_settings(resolved(cfg)), "the report would take this run for a result"


def test_debug_settings_win_over_the_experiments():
    assert compose_train("experiment=mnist").trainer.max_epochs == 8
    limit = compose_train("experiment=mnist", "debug=limit").trainer
    assert limit.max_epochs == 2 and (limit.limit_train_batches, limit.limit_val_batches, limit.limit_test_batches) == (
        5, 2, 2)
    overfit = compose_train("debug=overfit")  # mi_gmm stops early by default: here every epoch runs
    assert overfit.trainer.overfit_batches == 1 and overfit.callbacks.early_stopping is None
    assert compose_train("debug=fdr").trainer.fast_dev_run is True
    default = compose_train("experiment=mnist", "debug=default").trainer
    assert (default.max_epochs, default.accelerator, default.devices, default.detect_anomaly) == (1, "cpu", 1, True)
    profiler = compose_train("debug=profiler").trainer
    assert profiler.max_epochs == 1 and profiler.profiler._target_ == "pytorch_lightning.profilers.SimpleProfiler"


def test_the_default_run_is_no_debug_run():
    cfg = compose_train("paths.log_dir=/logs", "run_id=x")
    assert cfg.hydra.run.dir == "/logs/mi_gmm/x" and "wandb" in cfg.logger
    assert cfg.trainer.profiler is None and cfg.trainer.overfit_batches == 0
    assert debug_settings(resolved(cfg)) == []


@pytest.mark.subprocess
def test_a_limited_run_lands_under_debug_with_wandb_off(tmp_path):
    run_entry("train.py", None, "debug=limit", f"paths.log_dir={tmp_path}", "run_id=quick")
    run_dir = tmp_path / "debug" / "mi_gmm" / "quick"
    assert {"test/mi", "test/acc"} <= set(read_metrics(run_dir))
    assert (run_dir / "csv" / "metrics.csv").is_file() and (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert not list(run_dir.rglob("*wandb*"))
    assert [p.name for p in tmp_path.iterdir()] == ["debug"]
    config = OmegaConf.load(run_dir / "config.yaml")
    assert (config.trainer.limit_train_batches, config.trainer.max_epochs) == (5, 2)


@pytest.mark.subprocess
def test_the_profiler_writes_its_report_into_the_run_folder(tmp_path):
    run_entry("train.py", None, "debug=profiler", f"paths.log_dir={tmp_path}", "run_id=timed", "data.size_factor=0.1")
    run_dir: Path = tmp_path / "debug" / "mi_gmm" / "timed"
    fit, test = (run_dir / "fit-profiler.txt").read_text(), (run_dir / "test-profiler.txt").read_text()
    assert fit.startswith("FIT Profiler Report") and "run_training_batch" in fit
    assert test.startswith("TEST Profiler Report")
    assert debug_settings(resolved(OmegaConf.load(run_dir / "config.yaml"))) == [
        "trainer.profiler=pytorch_lightning.profilers.SimpleProfiler"]

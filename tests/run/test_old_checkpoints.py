"""Checkpoints written before the config schemas became a package still evaluate, through run/restore.py
alone, to the metrics they were trained to (tests/helpers/checkpoints/README.md says how they were made)."""

import json
import shutil

import pytest
import torch

from infocam_lit.run.restore import RUN_CONFIG_KEY
from tests.helpers.fixture_data import make_tiny_imagenet
from tests.helpers.paths import ROOT
from tests.helpers.runs import read_metrics, run_entry

pytestmark = pytest.mark.subprocess

CHECKPOINTS = ROOT / "tests" / "helpers" / "checkpoints"


def trained_metrics(name: str) -> dict:
    return json.loads((CHECKPOINTS / f"{name}.metrics.json").read_text())


def test_an_old_mi_checkpoint_evaluates_to_its_metrics(tmp_path):
    ckpt = shutil.copy(CHECKPOINTS / "mi_gmm.ckpt", tmp_path / "mi_gmm.ckpt")
    run_entry("evaluate.py", tmp_path / "eval", f"ckpt_path={ckpt}", "logger=csv")
    assert read_metrics(tmp_path / "eval") == pytest.approx(trained_metrics("mi_gmm"))


def test_keys_an_older_checkpoint_lacks_take_the_schemas_defaults(tmp_path):
    """As written before loss.posthoc_tau and model.channels_last existed: restored, the module gets both."""
    checkpoint = torch.load(CHECKPOINTS / "mi_gmm.ckpt", map_location="cpu", weights_only=True)
    config, hparams = checkpoint[RUN_CONFIG_KEY], checkpoint["hyper_parameters"]
    del config["loss"]["posthoc_tau"], config["model"]["channels_last"]
    del hparams["loss"]["posthoc_tau"], hparams["channels_last"]
    torch.save(checkpoint, tmp_path / "older.ckpt")
    run_entry("evaluate.py", tmp_path / "eval", f"ckpt_path={tmp_path / 'older.ckpt'}", "logger=csv")
    assert read_metrics(tmp_path / "eval") == pytest.approx(trained_metrics("mi_gmm"))
    config = (tmp_path / "eval" / "config.yaml").read_text()
    assert "posthoc_tau: 1.0" in config and "channels_last: false" in config


def test_an_old_wsol_checkpoint_evaluates_and_predicts(tmp_path):
    make_tiny_imagenet(tmp_path / "data")  # the fixture it was trained on, rebuilt from its seed
    ckpt = shutil.copy(CHECKPOINTS / "wsol_tiny.ckpt", tmp_path / "wsol_tiny.ckpt")
    run_entry("evaluate.py", tmp_path / "eval", "experiment=wsol_tiny", f"ckpt_path={ckpt}",
              f"data.root={tmp_path / 'data'}", "logger=csv")
    evaluated, trained = read_metrics(tmp_path / "eval"), trained_metrics("wsol_tiny")
    # every key it was trained to, the same; the test pass reports more now (cam_x_center, the weights' ratio)
    assert {key: evaluated[key] for key in trained} == pytest.approx(trained)
    assert {"test/cam_x_center/gt_known_loc", "test/class_weight_mean_ratio"} <= set(evaluated)
    image = next((tmp_path / "data" / "tiny-imagenet-200" / "val" / "images").glob("*.JPEG"))
    run_entry("predict.py", tmp_path / "predict", f"ckpt_path={ckpt}", f"images={image}")
    predictions = json.loads((tmp_path / "predict" / "predictions.json").read_text())
    assert predictions[0]["top_names"][0].startswith("thing ")  # the class names the checkpoint kept

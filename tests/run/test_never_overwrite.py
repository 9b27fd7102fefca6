"""Finished work is never overwritten or mixed: sweeps without a sweep_id get folders of their own, an
evaluate sweep gives each checkpoint its folder and skips its finished jobs, and train, evaluate and predict
refuse a folder that holds another run, leaving it byte-identical."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from PIL import Image

from infocam_lit.run.run_key import checkpoint_label, evaluate_job_folder, sweep_folder_name
from tests.helpers.compose import compose_train
from tests.helpers.paths import ROOT
from tests.helpers.runs import read_metrics, run_entry

CHECKPOINTS = ROOT / "tests" / "helpers" / "checkpoints"
TIME = r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


# --------------------------------------------------------------------------- folder names
def test_a_sweep_without_sweep_id_is_named_by_its_start_time():
    assert sweep_folder_name(None, "2026-12-07_21-00-00") == "2026-12-07_21-00-00"
    assert sweep_folder_name("table4", "2026-12-07_21-00-00") == "table4"
    sweep_dir = OmegaConf.select(compose_train(), "hydra.sweep.dir")
    assert re.search(rf"/multirun/{TIME}$", sweep_dir), sweep_dir  # not multirun/None, shared by every sweep
    assert OmegaConf.select(compose_train("sweep_id=abc"), "hydra.sweep.dir").endswith("/multirun/abc")


def test_a_search_without_sweep_id_keeps_its_study_in_its_own_folder():
    cfg = compose_train("hparams_search=mi_gmm_optuna")
    assert re.search(rf"/multirun/{TIME}/optuna.db$", OmegaConf.select(cfg, "hydra.sweeper.storage.path"))


def test_checkpoint_labels_tell_checkpoints_apart_and_find_them_again(tmp_path, monkeypatch):
    best = tmp_path / "seed=1" / "checkpoints" / "best.ckpt"
    label = checkpoint_label(str(best))
    assert re.fullmatch(r"seed=1_best-[0-9a-f]{8}", label)
    monkeypatch.chdir(tmp_path)
    assert checkpoint_label("seed=1/checkpoints/best.ckpt") == label  # the same file, given relative
    assert checkpoint_label(str(tmp_path / "other" / "seed=1" / "checkpoints" / "best.ckpt")) != label
    assert checkpoint_label(str(tmp_path / "run" / "model.ckpt")).startswith("run_model-")
    assert evaluate_job_folder(str(best), ["cam.region_size=3", "data.root=/x"]) == f"{label}/cam.region_size=3"


# --------------------------------------------------------------------------- evaluate sweeps
@pytest.mark.subprocess
def test_an_evaluate_sweep_gives_each_checkpoint_a_folder_and_skips_finished_jobs(tmp_path):
    a, b = tmp_path / "a" / "model.ckpt", tmp_path / "b" / "model.ckpt"
    for ckpt in (a, b):
        ckpt.parent.mkdir()
        shutil.copy(CHECKPOINTS / "mi_gmm.ckpt", ckpt)
    sweep = ("logger=csv", f"ckpt_path='{a}','{b}'", "sweep_id=twice", f"paths.log_dir={tmp_path / 'out'}")
    run_entry("evaluate.py", None, *sweep, multirun=True)
    sweep_dir = tmp_path / "out" / "mi_gmm" / "evaluate" / "multirun" / "twice"
    jobs = sorted(path.parent for path in sweep_dir.rglob("metrics.json"))
    assert [job.relative_to(sweep_dir).as_posix() for job in jobs] == [
        f"{checkpoint_label(str(a))}/default", f"{checkpoint_label(str(b))}/default"]
    expected = read_metrics(jobs[0])
    assert read_metrics(jobs[1]) == expected  # one checkpoint copied: the same metrics, each in its folder
    before = snapshot(sweep_dir)
    again = run_entry("evaluate.py", None, *sweep, multirun=True)
    assert (again.stdout + again.stderr).count("finished already, skipped") == 2
    after = snapshot(sweep_dir)
    assert {name: data for name, data in after.items() if ".hydra" not in name and not name.endswith(".log")} == {
        name: data for name, data in before.items() if ".hydra" not in name and not name.endswith(".log")}


# --------------------------------------------------------------------------- single runs refuse occupied folders
def fake_run(folder: Path, task: str, *files: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(f"task_name: {task}\n")
    for name in files:
        (folder / name).write_text("{}\n")
    return folder


@pytest.mark.subprocess
def test_evaluate_and_predict_refuse_a_folder_that_holds_a_run(tmp_path):
    trained = fake_run(tmp_path / "trained", "train", "metrics.json")
    before = snapshot(trained)
    result = run_entry("evaluate.py", trained, f"ckpt_path={CHECKPOINTS / 'mi_gmm.ckpt'}", "logger=csv", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {trained} holds a finished train run (metrics.json); evaluate.py writes a folder of its own: leave "
        "hydra.run.dir out (a new time-stamped folder), or name an empty one"]
    result = run_entry("predict.py", trained, f"ckpt_path={CHECKPOINTS / 'wsol_tiny.ckpt'}", f"images={tmp_path}",
                       check=False)
    assert result.returncode == 1 and "holds a finished train run (metrics.json); predict.py" in result.stderr
    assert snapshot(trained) == before


@pytest.mark.subprocess
def test_train_refuses_a_folder_that_holds_a_prediction(tmp_path):
    predicted = fake_run(tmp_path / "predicted", "predict", "predictions.json")
    before = snapshot(predicted)
    result = run_entry("train.py", predicted, "logger=csv", "trainer.max_epochs=1", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {predicted} holds a finished predict run (predictions.json); train.py writes a folder of its own: "
        "choose another run_id (or hydra.run.dir), or leave it out"]
    assert snapshot(predicted) == before


# --------------------------------------------------------------------------- errors before any work
@pytest.mark.subprocess
def test_a_wrong_value_leaves_no_new_folder(tmp_path):
    result = run_entry("train.py", tmp_path / "new", "logger=csv", "data.dim=0", check=False)
    assert result.returncode == 1 and "Error: data.dim must be >= 1, got 0" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "new").exists()


@pytest.mark.subprocess
def test_train_from_a_file_that_is_not_a_checkpoint_says_so_in_one_line(tmp_path):
    text = tmp_path / "notes.ckpt"
    text.write_text("not a checkpoint")
    result = run_entry("train.py", tmp_path / "run", "logger=csv", f"ckpt_path={text}", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[0] == (
        f"Error: {text} is not a PyTorch checkpoint (torch.save writes a zip archive): a truncated copy, or another "
        "kind of file")


@pytest.mark.subprocess
def test_evaluate_says_which_settings_differ_from_training(tmp_path):
    result = run_entry("evaluate.py", tmp_path / "eval", f"ckpt_path={CHECKPOINTS / 'mi_gmm.ckpt'}", "logger=csv",
                       "loss=softmax", "data.imbalanced=true")
    warning = [line for line in (result.stdout + result.stderr).splitlines() if "unlike its training" in line]
    assert len(warning) == 1 and warning[0].endswith("unlike its training: loss=softmax")  # imbalanced: as trained


# --------------------------------------------------------------------------- predict: every listed format
@pytest.mark.subprocess
def test_predict_reads_bmp_and_names_each_unreadable_file(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    pixels = (255 * np.random.default_rng(0).random((40, 50, 3))).astype("uint8")
    Image.fromarray(pixels).save(images / "a.bmp")
    Image.fromarray(pixels).save(images / "b.png")
    (images / "c.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    result = run_entry("predict.py", tmp_path / "predict", f"ckpt_path={CHECKPOINTS / 'wsol_tiny.ckpt'}",
                       f"images={images}")

    records = json.loads((tmp_path / "predict" / "predictions.json").read_text())
    assert [Path(r["image"]).name for r in records] == ["a.bmp", "b.png"]
    output = result.stdout + result.stderr
    assert sum(f"cannot read image {images / 'c.jpg'}" in line for line in output.splitlines()) == 1
    assert f"1 file(s) could not be read and have no prediction: {images / 'c.jpg'}" in output

"""train.py, evaluate.py and the report, run as subprocesses the way users run them."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT
from tests.helpers.runs import read_metrics, run_entry

pytestmark = pytest.mark.subprocess

TINY = ("logger=csv", "trainer.max_epochs=2", "trainer.limit_train_batches=5")
MI_KEYS = {"test/mi", "test/mi_se", "test/mi_true", "test/mi_mc", "train/mi", "train/mi_se"}
ACC_KEYS = {"test/acc", "test/acc_macro", "test/acc_bayes", "test/acc_bayes_macro",
            "test/acc_bayes_balanced", "test/acc_bayes_balanced_macro"}


@pytest.fixture(scope="module")
def pc_run(tmp_path_factory) -> tuple[Path, str]:
    run_dir = tmp_path_factory.mktemp("pc") / "run"
    result = run_entry("train.py", run_dir, *TINY)
    return run_dir, result.stdout


def test_train_writes_every_key_and_the_run_folder(pc_run):
    run_dir, stdout = pc_run
    metrics = read_metrics(run_dir)
    assert MI_KEYS | ACC_KEYS <= set(metrics)
    assert "test/mi_prior_corrected" not in metrics  # softmax only
    assert all(isinstance(v, float) for v in metrics.values())
    assert 0 <= metrics["test/acc"] <= 1 and metrics["test/mi_true"] == pytest.approx(1.44491, abs=1e-4)
    for name in ("config.yaml", ".hydra/config.yaml", "checkpoints/last.ckpt", "checkpoints/best.ckpt",
                 "csv/metrics.csv", "mi_curve.png", "confusion_test.png"):
        assert (run_dir / name).is_file(), name
    assert "I(X;Y) estimate" in stdout and "| exact 1.445 |" in stdout and "(Bayes" in stdout
    import pytorch_lightning as pl
    import torch

    env = json.loads((run_dir / "env.json").read_text())
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert env["git_commit"] == head and isinstance(env["git_dirty"], bool)
    assert env["torch"] == torch.__version__ and env["pytorch_lightning"] == pl.__version__
    assert "train.py" in env["command"] and "trainer.max_epochs=2" in env["command"]
    assert {"python", "torchvision", "hydra", "cuda", "cudnn", "gpus"} <= set(env)


def test_a_launcher_without_its_plugin_names_the_extra(monkeypatch):
    import importlib.util

    from infocam_lit.run.cli import missing_plugin

    assert missing_plugin(["-m", "hydra/launcher=slurm"]) is None  # installed here ([dev] has both)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if "launcher" in name else real(name, *a))
    assert 'pip install "infocam_lit[slurm]"' in missing_plugin(["-m", "hydra/launcher=slurm", "seed=0,1"])
    assert 'pip install "infocam_lit[joblib]"' in missing_plugin(["-m", "override hydra/launcher=joblib"])
    assert missing_plugin(["-m", "seed=0,1"]) is None


def test_each_epoch_line_shows_that_epochs_validation(pc_run):
    run_dir, stdout = pc_run
    logged = {}
    for line in stdout.splitlines():
        if match := re.search(r"epoch (\d+): .*val/loss=(-?[\d.]+)", line):
            logged[int(match[1])] = float(match[2])
    with (run_dir / "csv" / "metrics.csv").open() as f:
        csv_rows = {int(row["epoch"]): float(row["val/loss"]) for row in csv.DictReader(f) if row["val/loss"]}
    assert set(logged) == set(csv_rows) == {0, 1}
    assert all(logged[epoch] == pytest.approx(csv_rows[epoch], abs=1e-4) for epoch in logged)


def test_softmax_adds_the_prior_corrected_readout(tmp_path):
    run_entry("train.py", tmp_path, *TINY, "loss=softmax", "data.dim=1")
    metrics = read_metrics(tmp_path)
    assert MI_KEYS | ACC_KEYS | {"test/mi_prior_corrected"} <= set(metrics)
    assert metrics["test/mi"] > metrics["test/mi_prior_corrected"]  # "+ log M" is biased up on imbalanced data


def test_mine_writes_mi_keys_only(tmp_path):
    run_entry("train.py", tmp_path, *TINY, "model=mine", "data.dim=1")
    assert set(read_metrics(tmp_path)) == MI_KEYS


def test_knn_is_tested_without_training(tmp_path):
    result = run_entry("train.py", tmp_path, "logger=csv", "model=knn", "data.dim=2", "data.size_factor=0.1")
    metrics = read_metrics(tmp_path)
    assert set(metrics) == MI_KEYS
    assert metrics["test/mi"] == pytest.approx(metrics["test/mi_true"], abs=0.03)
    assert metrics["train/mi"] == pytest.approx(metrics["test/mi_true"], abs=0.05)  # 1/10 of the training split
    assert not (tmp_path / "checkpoints").exists() and (tmp_path / "timing.json").is_file()
    assert "needs no training" in result.stderr + result.stdout
    assert f"I(X;Y) estimate {metrics['test/mi']:.3f}" in result.stdout and "| exact 1.239 |" in result.stdout


def test_evaluate_rebuilds_the_same_test_split(pc_run, tmp_path):
    run_dir, _ = pc_run
    # the saved config wins over the experiment's defaults (here a different d and loss on the command line
    # would be needed to change them); a data.* override is applied on top
    run_entry("evaluate.py", tmp_path / "eval", f"ckpt_path={run_dir}/checkpoints/best.ckpt", "logger=csv")
    trained, evaluated = read_metrics(run_dir), read_metrics(tmp_path / "eval")
    for key in ("test/mi", "test/mi_se", "test/acc", "test/mi_mc", "train/mi"):
        assert evaluated[key] == pytest.approx(trained[key], abs=1e-9), key
    run_entry("evaluate.py", tmp_path / "eval_seed", f"ckpt_path={run_dir}/checkpoints/best.ckpt", "logger=csv",
              "data.seed=123")
    assert read_metrics(tmp_path / "eval_seed")["test/mi_mc"] != trained["test/mi_mc"]
    # a model setting the checkpoint does not fit: one message naming the file and the override, no traceback
    wrong = run_entry("evaluate.py", tmp_path / "wrong", f"ckpt_path={run_dir}/checkpoints/best.ckpt", "logger=csv",
                      "model.net.hidden_sizes=[7]", check=False)
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert ("best.ckpt does not fit model.net.hidden_sizes=[7] (trained with model.net.hidden_sizes=[100, 100, 100]): "
            "Unexpected key(s) in state_dict: ") in wrong.stderr


def test_evaluate_names_the_override_the_checkpoint_does_not_fit(pc_run, tmp_path):
    """A data override that changes the model's input (d = 10 for a d = 5 run): one line naming it beside
    the value the checkpoint was trained with, not torch's shape error from the first batch."""
    run_dir, _ = pc_run
    ckpt = run_dir / "checkpoints" / "best.ckpt"
    result = run_entry("evaluate.py", tmp_path, f"ckpt_path={ckpt}", "logger=csv", "data.dim=10",
                       "data.imbalanced=true", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    error, hint = result.stderr.strip().splitlines()[-2:]
    assert error.startswith(f"Error: {ckpt} does not fit data.dim=10 (trained with data.dim=5): size mismatch for ")
    assert "imbalanced" not in error  # an override the checkpoint was trained with is not to blame
    assert hint == f"(traceback in {tmp_path / 'failed.txt'}; HYDRA_FULL_ERROR=1 prints it here)"
    assert "Traceback" in (tmp_path / "failed.txt").read_text() and not (tmp_path / "metrics.json").exists()


def test_evaluate_applies_loss_overrides_to_the_readout(pc_run, tmp_path):
    run_dir, _ = pc_run
    # logit_adjusted at tau = 0 reads out log softmax(n)_y - log pi_y, not the PC form
    run_entry("evaluate.py", tmp_path, f"ckpt_path={run_dir}/checkpoints/best.ckpt", "logger=csv",
              "loss.name=logit_adjusted", "loss.tau=0")
    assert read_metrics(tmp_path)["test/mi"] != pytest.approx(read_metrics(run_dir)["test/mi"], abs=1e-4)
    assert "tau: 0.0" in (tmp_path / "config.yaml").read_text()


def test_evaluate_restores_a_mine_checkpoint_under_another_experiment_default(tmp_path):
    run_entry("train.py", tmp_path / "mine", *TINY, "model=mine", "data.dim=2", "data.imbalanced=false")
    run_entry("evaluate.py", tmp_path / "eval", f"ckpt_path={tmp_path}/mine/checkpoints/last.ckpt", "logger=csv")
    metrics = read_metrics(tmp_path / "eval")
    assert set(metrics) == MI_KEYS and metrics["test/mi_true"] == pytest.approx(1.30035, abs=1e-4)


def test_evaluate_without_a_checkpoint_says_what_is_needed(tmp_path):
    result = run_entry("evaluate.py", tmp_path, "logger=csv", "ckpt_path=/nonexistent.ckpt", check=False)
    assert result.returncode != 0 and "no such file" in result.stderr


def test_same_seed_same_metrics(tmp_path):
    for name in ("a", "b"):
        run_entry("train.py", tmp_path / name, *TINY, "data.dim=2", "seed=3")
    assert read_metrics(tmp_path / "a") == read_metrics(tmp_path / "b")


def test_bad_value_stops_before_any_work(tmp_path):
    """An expected error: its one message and exit status 1, no traceback (failed.txt keeps it, and
    HYDRA_FULL_ERROR=1 shows it)."""
    result = run_entry("train.py", tmp_path, *TINY, "data.dim=0", check=False)
    assert result.returncode == 1
    assert "Error: data.dim must be >= 1, got 0" in result.stderr and "Traceback" not in result.stderr
    assert "Traceback" in (tmp_path / "failed.txt").read_text()
    assert not (tmp_path / "checkpoints").exists()
    full = run_entry("train.py", tmp_path / "full", *TINY, "data.dim=0", check=False, env={"HYDRA_FULL_ERROR": "1"})
    assert full.returncode == 1 and "Traceback" in full.stderr and "data.dim must be >= 1" in full.stderr


def test_an_unknown_key_names_the_closest_one_in_one_line(tmp_path):
    result = run_entry("train.py", tmp_path / "run", "logger=csv", "trainer.max_epoch=2", check=False)
    assert result.returncode == 1 and not (tmp_path / "run").exists()
    assert result.stderr.strip().splitlines() == [
        "Error: Could not override 'trainer.max_epoch': Key 'max_epoch' not in 'TrainerConfig'; "
        "did you mean trainer.max_epochs?"]


def test_tensorboard_beside_csv_and_user_tags(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_entry("train.py", tmp_path, *TINY[1:], "logger=[csv,tensorboard]", "tags=[ablation,lr]")
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))  # in the run folder, no version_0/
    accumulator = EventAccumulator(str(tmp_path / "tensorboard"))  # every event file (fit's, test's)
    accumulator.Reload()
    assert len(accumulator.Scalars("val/loss")) == 2  # one per epoch
    (test_mi,) = accumulator.Scalars("test/mi")
    assert test_mi.value == pytest.approx(read_metrics(tmp_path)["test/mi"], rel=1e-6)
    assert (tmp_path / "csv" / "metrics.csv").is_file() and (tmp_path / "metrics.json").is_file()
    assert "tags:\n- ablation\n- lr\n" in (tmp_path / "config.yaml").read_text()


def test_mlflow_logs_into_the_run_folder_and_a_resumed_run_goes_on_in_its_run(tmp_path):
    from mlflow import MlflowClient

    run = (*TINY[1:], "logger=mlflow", "tags=[ablation]", "callbacks.early_stopping=null")
    run_entry("train.py", tmp_path, *run)
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")  # the default store: in the run folder
    (logged,) = client.search_runs([client.get_experiment_by_name("mi_gmm").experiment_id])
    assert logged.info.run_id == (tmp_path / "mlflow_run_id").read_text().strip()
    assert logged.data.metrics["test/mi"] == pytest.approx(read_metrics(tmp_path)["test/mi"], rel=1e-6)
    assert logged.data.tags["experiment"] == "mi_gmm" and "ablation" in logged.data.tags
    assert (tmp_path / "csv" / "metrics.csv").is_file()

    (tmp_path / "metrics.json").unlink()  # as if it had been killed before the end
    run_entry("train.py", tmp_path, *run, "trainer.max_epochs=3", "ckpt_path=last")
    (resumed,) = client.search_runs([logged.info.experiment_id])
    assert resumed.info.run_id == logged.info.run_id
    assert len(client.get_metric_history(resumed.info.run_id, "val/loss")) == 3  # one per epoch, in one run


def test_tensorboard_without_its_package_stops_with_the_pip_line(tmp_path):
    """As on a machine without the [tensorboard] extra: Python finds neither tensorboard nor tensorboardX."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        "import importlib.util\n"
        "find_spec = importlib.util.find_spec\n"
        "absent = ('tensorboard', 'tensorboardX')\n"
        "importlib.util.find_spec = lambda name, *a, **k: None if name in absent else find_spec(name, *a, **k)\n")
    result = run_entry("train.py", tmp_path / "run", *TINY, "logger=tensorboard", check=False,
                       env={"PYTHONPATH": str(tmp_path / "site")})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-2] == (
        'Error: logger.tensorboard needs the tensorboard package, which is not installed: '
        'pip install "infocam_lit[tensorboard]" (make install includes it)')
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_wandb_without_credentials_goes_offline_with_one_line(tmp_path):
    env = {"HOME": str(tmp_path / "home"), "WANDB_MODE": "", "NETRC": str(tmp_path / "no_netrc")}
    result = run_entry("train.py", tmp_path / "run", *TINY[1:], "logger=wandb", env=env)
    output = result.stdout + result.stderr
    assert output.count("W&B: no credentials found") == 1
    assert "wandb sync" in output
    (offline,) = (tmp_path / "run" / "wandb").glob("offline-run-*")
    (records,) = offline.glob("*.wandb")
    assert b"git_commit" in records.read_bytes()  # env.json's values are in the run's config too


def test_sweep_file_and_report(tmp_path):
    """The Table 2 sweep file, narrowed on the command line to d in {1, 2}, imbalanced, one seed."""
    sweep_dir = tmp_path / "sweep"
    run_entry("train.py", None, *TINY, "sweep=table2_classifier", "data.dim=1,2", "data.imbalanced=true", "seed=0",
              f"hydra.sweep.dir={sweep_dir}")
    jobs = sorted(p.parent for p in sweep_dir.glob("*/metrics.json"))
    assert len(jobs) == 4
    failed = sweep_dir / "99" / ".hydra"  # a job that died before writing metrics
    failed.mkdir(parents=True)
    (failed / "config.yaml").write_text((jobs[0] / ".hydra" / "config.yaml").read_text())
    # the jobs train a few batches (a debug setting): the report takes them in only when told to
    result = subprocess.run([sys.executable, "-m", "infocam_lit.report", str(sweep_dir), "--include-debug"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for name in ("table.md", "table.csv", "mi_vs_dim.png", "test_sets_pca.png"):
        assert (sweep_dir / name).is_file(), name
    table = (sweep_dir / "table.md").read_text()
    assert "| imbalanced | 1 | softmax | 1 | 1.0224 |" in table
    assert "| imbalanced | 2 | pc_softmax | 1 | 1.2393 |" in table and "| 1.20 |" in table  # the paper's value
    assert "Failed jobs" in table and "99" in table
    assert "| 0 | +0 | 10,000 / 1,000 / 2,000 | 5,000 / 500 / 1,000 | 0.067 |" in result.stdout  # Table 1


def test_multirun_with_ddp_stops_at_once_and_says_what_to_use(tmp_path):
    result = run_entry("train.py", None, "trainer=ddp_cpu", "data.dim=1,2", "logger=csv",
                       f"hydra.sweep.dir={tmp_path}", multirun=True, check=False)
    assert result.returncode != 0
    assert "each DDP rank would re-run the whole sweep" in result.stderr and "submitit_slurm" in result.stderr
    assert not list(tmp_path.rglob("*.ckpt"))


def test_a_two_job_sweep_makes_two_wandb_runs(tmp_path):
    run_entry("train.py", None, *TINY[1:], "logger=wandb", "data.dim=1,2", f"hydra.sweep.dir={tmp_path}",
              multirun=True)
    runs = sorted(tmp_path.glob("*/wandb/offline-run-*"))
    assert len(runs) == 2 and runs[0].parent.parent != runs[1].parent.parent  # one run per job, each finished
    for run in runs:  # the figures went to W&B as images
        images = {path.name.rsplit("_", 2)[0] for path in (run / "files" / "media" / "images").rglob("*.png")}
        assert images == {"mi_curve", "confusion"}, images


def test_a_sweep_through_submitit(tmp_path):
    """The SLURM launcher's local twin: each job runs in its own process, as on a cluster."""
    run_entry("train.py", None, "hydra/launcher=submitit_local", "data.dim=1,2", "trainer.max_epochs=1", "logger=csv",
              f"hydra.sweep.dir={tmp_path}", multirun=True)
    jobs = sorted(p.parent.name for p in tmp_path.glob("*/metrics.json"))
    assert jobs == ["data.dim=1,trainer.max_epochs=1", "data.dim=2,trainer.max_epochs=1"]  # named by their overrides

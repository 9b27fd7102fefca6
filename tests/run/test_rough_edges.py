"""The command line's rough edges, each a one-line answer: a value of the wrong type, a Trainer argument that
does not exist, a top-level key nothing reads; --help that says how to run; a summary from part of the test
split that says so; and no known-harmless noise in a run's output (run/quiet.py)."""

import pytest

from infocam_lit.report.configs import debug_settings
from infocam_lit.report.runs import find_runs
from infocam_lit.run.help_text import help_text
from tests.helpers.fixture_data import make_tiny_imagenet
from tests.helpers.runs import run_entry

pytestmark = pytest.mark.subprocess


def one_error_line(result) -> str:
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    return next(line for line in result.stderr.splitlines() if line.startswith("Error:"))


def test_a_value_of_the_wrong_type_is_one_line(tmp_path):
    result = run_entry("train.py", tmp_path / "run", "logger=csv", "data.dim=abc", check=False)
    assert result.stderr.strip().splitlines() == [
        "Error: data.dim=abc: Value 'abc' of type 'str' could not be converted to Integer"]
    assert not (tmp_path / "run").exists()


def test_an_added_trainer_key_the_trainer_lacks_names_the_closest(tmp_path):
    result = run_entry("train.py", tmp_path / "run", "logger=csv", "+trainer.limt_train_batches=5", check=False)
    assert one_error_line(result) == ("Error: trainer.limt_train_batches: pytorch_lightning.Trainer takes no such "
                                      "argument; did you mean trainer.limit_train_batches?")
    assert not (tmp_path / "run").exists()  # stopped before any work: no folder left behind


def test_an_added_top_level_key_nothing_reads_is_refused(tmp_path):
    result = run_entry("train.py", tmp_path / "run", "logger=csv", "+test=false", check=False)
    line = one_error_line(result)
    assert line.startswith("Error: +test=false adds a top-level key that nothing reads")
    assert "data, debug, experiment" in line and "schema" not in line
    assert not (tmp_path / "run").exists()


def test_help_gives_usage_and_the_groups_a_user_chooses_from():
    result = run_entry("evaluate.py", None, "--help")
    assert result.stdout.startswith("Usage: python evaluate.py ckpt_path=<checkpoint> [key=value ...]")
    assert "  experiment: cub_cls, double_mnist, mi_gmm, mnist, wsol_cub, wsol_tiny" in result.stdout
    assert "schema/" not in result.stdout and "--multirun" in result.stdout  # Hydra's flags stay
    assert help_text("predict").startswith("Usage: python predict.py ckpt_path=<WSOL checkpoint> images=")


def test_a_run_prints_no_known_noise_and_flags_a_summary_from_part_of_the_test_split(tmp_path):
    """Also: its checkpoint, trained on 2 batches, stays a debug run when evaluated in full."""
    make_tiny_imagenet(tmp_path / "data")
    result = run_entry("train.py", tmp_path / "run", "experiment=wsol_tiny", "model=small_gap_cnn",
                       f"data.root={tmp_path / 'data'}", "model.net.widths=[4,8,8]", "data.batch_size=4",
                       "data.eval_batch_size=4", "data.num_workers=0", "data.pin_memory=true", "trainer.max_epochs=1",
                       "trainer.limit_train_batches=2", "+trainer.limit_test_batches=1", "cam.threshold_step=0.1",
                       "logger=wandb",
                       env={"WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path), "PYTHONWARNINGS": "default"})
    output = result.stdout + result.stderr
    for noise in ("💡 Tip", "anonymous setting has no effect", "on_after_batch_transfer", "'pin_memory' argument"):
        assert noise not in output, noise
    summary = next(line for line in result.stdout.splitlines() if line.startswith("top-1"))
    # one batch of each test loader: the validation half that chooses tau and the test half
    assert summary.endswith("[test metrics on part of the test split only (trainer.limit_test_batches=1: 2 batch(es) "
                            "in all); the reference values beside them are over the whole split]")
    best = tmp_path / "run" / "checkpoints" / "best.ckpt"
    evaluated = run_entry("evaluate.py", tmp_path / "eval", f"ckpt_path={best}", f"data.root={tmp_path / 'data'}",
                          "logger=csv")
    assert "💡 Tip" not in evaluated.stdout + evaluated.stderr
    (run,) = find_runs(tmp_path / "eval")
    assert run.config["checkpoint_run"]["trainer"]["limit_train_batches"] == 2
    assert debug_settings(run.config) == ["trained with trainer.limit_train_batches=2",
                                          "trained with trainer.limit_test_batches=1"]


def test_mps_is_refused_in_one_line_where_absent(tmp_path):
    import torch

    if torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    result = run_entry("train.py", tmp_path / "run", "logger=csv", "trainer=mps", check=False)
    assert one_error_line(result).startswith("Error: trainer.accelerator=mps needs Apple's Metal (MPS) backend")
    wrong = run_entry("train.py", tmp_path / "run", "logger=csv", "trainer.accelerator=metal", check=False)
    assert one_error_line(wrong) == ("Error: trainer.accelerator: metal unknown; valid: auto, cpu, gpu, cuda, mps, "
                                     "tpu")

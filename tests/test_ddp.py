"""DDP on two CPU processes (gloo): the test metrics equal a single-process evaluation of the same
checkpoint, so no sample is counted twice and every state is summed across ranks."""

import pytest

from tests.conftest import read_metrics, run_entry

pytestmark = pytest.mark.subprocess


def test_ddp_test_metrics_equal_a_single_process_evaluation(tmp_path):
    run_entry("train.py", tmp_path / "ddp", "trainer=ddp_cpu", "logger=csv", "data.dim=2", "trainer.max_epochs=2")
    assert (tmp_path / "ddp" / "train_ddp_process_1.log").is_file()  # a second rank really ran
    run_entry("evaluate.py", tmp_path / "single", f"ckpt_path={tmp_path / 'ddp' / 'checkpoints' / 'best.ckpt'}",
              "logger=csv", "trainer.devices=1")
    ddp, single = read_metrics(tmp_path / "ddp"), read_metrics(tmp_path / "single")
    assert set(ddp) == set(single)
    for key, value in ddp.items():
        assert value == pytest.approx(single[key], abs=1e-9), key

"""DDP on two CPU processes (gloo): the test metrics equal a single-process evaluation of the same
checkpoint, so no sample is counted twice and every state is summed across ranks."""

import pytest

from tests.conftest import read_metrics, run_entry

pytestmark = pytest.mark.subprocess


def assert_ddp_equals_a_single_process(tmp_path, train: tuple[str, ...], shared: tuple[str, ...]) -> None:
    """train.py on 2 gloo processes, then evaluate.py of its best checkpoint in one: the same metrics."""
    run_entry("train.py", tmp_path / "ddp", "trainer=ddp_cpu", *train, *shared)
    assert (tmp_path / "ddp" / "train_ddp_process_1.log").is_file()  # a second rank really ran
    run_entry("evaluate.py", tmp_path / "single", f"ckpt_path={tmp_path / 'ddp' / 'checkpoints' / 'best.ckpt'}",
              "trainer.devices=1", *shared)
    ddp, single = read_metrics(tmp_path / "ddp"), read_metrics(tmp_path / "single")
    assert set(ddp) == set(single)
    for key, value in ddp.items():
        assert value == pytest.approx(single[key], abs=1e-9), key


def test_ddp_test_metrics_equal_a_single_process_evaluation(tmp_path):
    assert_ddp_equals_a_single_process(tmp_path, ("data.dim=2", "trainer.max_epochs=2"), ("logger=csv",))


def test_ddp_wsol_metrics_equal_a_single_process_evaluation(tmp_path):
    """The image loaders under DDP: 3 classes x 7 official test images leave 9 in the test half, which
    a padding sampler would make 10 with a duplicate (seen: GT-known Loc 0.3 instead of 1/3); every
    localisation and classification metric must match."""
    from tests.fixture_data import make_cub

    make_cub(tmp_path / "data", num_classes=3, train_per_class=4, test_per_class=7)
    data = (f"data.root={tmp_path / 'data'}", "data.resize_size=64", "data.crop_size=64", "data.batch_size=4",
            "data.eval_batch_size=4", "data.num_workers=0", "data.pin_memory=false", "cam.threshold_step=0.05",
            "logger=csv")
    assert_ddp_equals_a_single_process(tmp_path, ("model=small_gap_cnn", "trainer.max_epochs=1"),
                                       ("experiment=wsol_cub", *data))

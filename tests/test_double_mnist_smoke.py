"""experiment=double_mnist end to end on MNIST-format fixtures: train, then evaluate the checkpoint."""

import pytest

from tests.conftest import read_metrics, run_entry
from tests.fixture_data import make_mnist

pytestmark = pytest.mark.subprocess


@pytest.mark.parametrize("loss", ["sigmoid", "pc_sigmoid"])
def test_double_mnist(tmp_path, loss):
    make_mnist(tmp_path / "data", n_train=1200, n_test=300)
    small = (f"data.root={tmp_path / 'data'}", "data.train_canvases=800", "data.val_canvases=100",
             "data.test_canvases=200", f"data.cache_dir={tmp_path / 'cache'}", "logger=csv")
    run_entry("train.py", tmp_path / "run", "experiment=double_mnist", f"loss={loss}", "trainer.max_epochs=2", *small)
    m = read_metrics(tmp_path / "run")
    for key in ("test/exact_match", "test/macro_f1", "test/acc_digit_mean", "test/cam/loc_acc", "test/infocam/loc_acc"):
        assert 0 <= m[key] <= 1, key
    assert all(f"test/acc_digit/{k}" in m and f"test/balanced_acc_digit/{k}" in m for k in range(10))
    assert any(key.startswith("test/precision_digit/") for key in m)  # undefined (never predicted) ones are left out
    assert (tmp_path / "run" / "cams_infocam.png").is_file()
    assert list((tmp_path / "cache").glob("double_mnist_*.pt"))
    run_entry("evaluate.py", tmp_path / "eval", "experiment=double_mnist",
              f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}", *small)
    assert read_metrics(tmp_path / "eval") == pytest.approx(m)

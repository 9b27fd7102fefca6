"""experiment=double_mnist end to end on MNIST-format fixtures: train, then evaluate the checkpoint."""

import pytest

from infocam_lit.run.run_files import read_per_image
from tests.helpers.fixture_data import make_mnist
from tests.helpers.runs import read_metrics, run_entry

pytestmark = pytest.mark.subprocess


MEASURES = ("loc_acc", "loc_acc_val_tau", "maxboxacc_iou30", "maxboxacc_iou50", "maxboxacc_iou70", "maxboxacc_v2",
            "pointing")


def assert_localization_keys(m: dict) -> None:
    """Every measure per map, overall and per digit (all ten digits are in the test canvases); tau on the grid."""
    for name in ("cam", "infocam"):
        for measure in MEASURES:
            assert 0 <= m[f"test/{name}/{measure}"] <= 1, (name, measure)
            assert all(0 <= m[f"test/{name}/{measure}_digit/{k}"] <= 1 for k in range(10)), (name, measure)
        tau = m[f"test/{name}/val_tau"]
        assert 0 <= tau <= 0.99 and round(100 * tau) == pytest.approx(100 * tau, abs=1e-6)
        assert {f"test/{name}/best_tau_iou{d}" for d in (30, 50, 70)} <= set(m)
        # the best of every component at the best test tau can only beat the largest box at one tau
        assert m[f"test/{name}/maxboxacc_iou50"] >= m[f"test/{name}/loc_acc_val_tau"]
        for k in range(10):
            assert m[f"test/{name}/maxboxacc_iou50_digit/{k}"] >= m[f"test/{name}/loc_acc_val_tau_digit/{k}"]
            assert m[f"test/{name}/maxboxacc_iou30_digit/{k}"] >= m[f"test/{name}/maxboxacc_iou50_digit/{k}"]


def assert_per_image_rows(run, m: dict) -> None:
    """A row per digit present in a test canvas, canvas then digit order; its hits and pointing make the metrics."""
    table = read_per_image(run)
    pairs = list(zip(table["index"].tolist(), table["digit"].tolist(), strict=True))
    assert pairs == sorted(set(pairs)) and 200 <= len(pairs) <= 400  # 200 canvases of one or two digits
    for name in ("cam", "infocam"):
        assert (table[f"{name}_iou"] >= 0.5).mean() == pytest.approx(m[f"test/{name}/loc_acc"], abs=1e-12)
        assert (table[f"{name}_iou_val_tau"] >= 0.5).mean() == pytest.approx(m[f"test/{name}/loc_acc_val_tau"],
                                                                             abs=1e-12)
        assert table[f"{name}_pointing"].mean() == pytest.approx(m[f"test/{name}/pointing"], abs=1e-12)
    assert set(table["predicted"].tolist()) <= {0, 1}


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
    assert_localization_keys(m)
    assert_per_image_rows(tmp_path / "run", m)
    assert (tmp_path / "run" / "cams_infocam.png").is_file()
    assert list((tmp_path / "cache").glob("double_mnist_*.pt"))
    run_entry("evaluate.py", tmp_path / "eval", "experiment=double_mnist",
              f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}", *small)
    assert read_metrics(tmp_path / "eval") == pytest.approx(m)

"""What a WSOL run leaves for re-analysis (issue: claims that survive review): per_image.csv.gz, whose hits are
the run's metrics image by image, and a slim checkpoint (weights and run config only) that evaluate.py
restores, experiment included, to the same metrics and the same per-image file."""

import pytest
import torch

from infocam_lit.run.restore import RUN_CONFIG_KEY
from infocam_lit.run.run_files import PER_IMAGE_FILE, read_per_image
from infocam_lit.run.schema import ConfigError
from infocam_lit.run.slim_checkpoint import slim_checkpoint
from tests.helpers.fixture_data import make_tiny_imagenet
from tests.helpers.paths import ROOT
from tests.helpers.runs import read_metrics, run_entry

pytestmark = pytest.mark.subprocess

SMALL = ("logger=csv", "model=small_gap_cnn", "model.net.widths=[4,8,8]", "data.batch_size=4",
         "data.eval_batch_size=4", "data.num_workers=0", "data.pin_memory=false", "trainer.max_epochs=1",
         "trainer.limit_train_batches=2", "cam.threshold_step=0.05")
MAPS = ("cam", "infocam", "infocam_plus", "cam_region", "infocam_noregion", "center_gaussian", "cam_x_center")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("wsol_per_image")
    make_tiny_imagenet(root / "data", val_per_class=6)
    run_entry("train.py", root / "run", "experiment=wsol_tiny", f"data.root={root / 'data'}", *SMALL)
    return root


def test_per_image_rows_are_the_test_half_and_their_hits_are_the_metrics(trained):
    table = read_per_image(trained / "run")
    metrics = read_metrics(trained / "run")
    # the test half: per class, the 2nd, 4th and 6th validation image (val_<6k + 1>, ...), in the split's order
    assert table["image"].tolist() == [f"val/images/val_{6 * k + j}.JPEG" for k in range(3) for j in (1, 3, 5)]
    assert table["index"].tolist() == list(range(9))
    assert table["label"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert set(table["predicted"].tolist()) <= {0, 1, 2}
    assert (table["predicted"] == table["label"]).mean() == metrics["test/cls_top1"]
    for name in MAPS:
        assert (table[f"{name}_iou"] >= 0.5).mean() == metrics[f"test/{name}/gt_known_loc"]
        assert (table[f"{name}_iou_val_tau"] >= 0.5).mean() == metrics[f"test/{name}/gt_known_loc_val_tau"]
    assert (table["full_image_iou"] >= 0.5).mean() == metrics["test/full_image/gt_known_loc"]
    assert (table["full_image_iou_val_tau"] == table["full_image_iou"]).all()
    hits = [(table[column] >= 0.5).sum() for column in table if column.endswith(("_iou", "_iou_val_tau"))]
    assert 0 < sum(hits) < 9 * len(hits)  # the fixture's objects give hits and misses: the equalities can fail
    assert 0 < metrics["test/class_weight_mean_ratio"] < 1


def test_a_slim_checkpoint_evaluates_to_the_run_without_naming_the_experiment(trained, tmp_path):
    best = trained / "run" / "checkpoints" / "best.ckpt"
    slim = slim_checkpoint(best, tmp_path / "model.ckpt")
    contents = torch.load(slim, map_location="cpu", weights_only=True)
    assert set(contents) <= {"state_dict", "hyper_parameters", "pytorch-lightning_version", RUN_CONFIG_KEY, "epoch",
                             "global_step"}
    assert "optimizer_states" in torch.load(best, map_location="cpu", weights_only=True)
    assert slim.stat().st_size < best.stat().st_size
    # as README prints it: no experiment=, the data folder given again
    run_entry("evaluate.py", tmp_path / "eval", f"ckpt_path={slim}", f"data.root={trained / 'data'}", "logger=csv")
    assert read_metrics(tmp_path / "eval") == read_metrics(trained / "run")
    evaluated, trained_file = (folder / PER_IMAGE_FILE for folder in (tmp_path / "eval", trained / "run"))
    assert evaluated.read_bytes() == trained_file.read_bytes()  # gzip without a time stamp: the same bytes


def test_a_slim_checkpoint_is_never_replaced_and_needs_a_run_config(trained, tmp_path):
    best = trained / "run" / "checkpoints" / "best.ckpt"
    slim = slim_checkpoint(best, tmp_path / "model.ckpt")
    before = slim.read_bytes()
    with pytest.raises(ConfigError, match="model.ckpt exists: a slim checkpoint is never replaced"):
        slim_checkpoint(best, slim)
    assert slim.read_bytes() == before
    torch.save({"state_dict": {}}, tmp_path / "foreign.ckpt")
    with pytest.raises(ConfigError, match="foreign.ckpt lacks infocam_lit_run_config"):
        slim_checkpoint(tmp_path / "foreign.ckpt", tmp_path / "other.ckpt")


def test_collect_runs_adds_the_slim_checkpoint_and_the_per_image_results(trained, tmp_path):
    from infocam_lit.report import collect_runs

    collect_runs.main([str(tmp_path / "results"), str(trained / "run"), "--slim-checkpoint"])
    collected = tmp_path / "results" / "run"
    assert (collected / PER_IMAGE_FILE).read_bytes() == (trained / "run" / PER_IMAGE_FILE).read_bytes()
    slim = torch.load(collected / "model.ckpt", map_location="cpu", weights_only=True)
    assert RUN_CONFIG_KEY in slim and "optimizer_states" not in slim


COMMITTED_RERUNS = sorted(p.parent for p in (ROOT / "docs" / "results" / "table4_reruns").glob("*/metrics.json"))


@pytest.mark.parametrize("run", COMMITTED_RERUNS, ids=lambda p: p.name)
def test_every_committed_rerun_has_its_slim_checkpoint_beside_it(run):
    """What anyone re-evaluates (a `*.ckpt` ignored by git would be missing from every clone)."""
    checkpoint = run / "model.ckpt"
    assert checkpoint.is_file() and checkpoint.stat().st_size <= 5 * 2**20
    contents = torch.load(checkpoint, map_location="cpu", weights_only=True)
    assert "optimizer_states" not in contents and RUN_CONFIG_KEY in contents
    assert (run / PER_IMAGE_FILE).is_file()

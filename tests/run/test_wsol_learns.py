"""A short seeded CPU training of a small GAP CNN localises the fixture's objects better than a
fixed centred box does: the maps, boxes and metrics measure something real."""

import pytest
import torch

from infocam_lit.maths.boxes import best_iou
from tests.helpers.datamodules import datamodule
from tests.helpers.fixture_data import make_cub
from tests.helpers.runs import read_metrics, run_entry

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]
MARGIN = 0.25  # GT-known Loc must beat the centred-box baseline by this much (a fraction)


def centred_box_baseline(root) -> float:
    """GT-known Loc of the box covering the central half of the image in each axis."""
    dm = datamodule("cub_wsol", root=str(root), resize_size=64, crop_size=64, num_workers=0, pin_memory=False)
    dm.setup()
    batch = next(iter(dm._loader("test", train=False)))
    n = len(batch["label"])
    centred = torch.tensor([[16, 16, 47, 47]]).expand(n, 4)
    return (best_iou(centred, batch["boxes"], batch["box_count"]) >= 0.5).double().mean().item()


def test_small_gap_cnn_localises_above_the_centred_box(tmp_path):
    make_cub(tmp_path / "data", num_classes=4, train_per_class=30, test_per_class=16, seed=1)
    baseline = centred_box_baseline(tmp_path / "data")
    run_entry("train.py", tmp_path / "run", "experiment=wsol_cub", "model=small_gap_cnn",
              f"data.root={tmp_path / 'data'}", "data.resize_size=64", "data.crop_size=64", "data.batch_size=16",
              "data.eval_batch_size=64", "data.num_workers=0", "data.pin_memory=false", "trainer.max_epochs=12",
              "cam.region_size=3", "cam.threshold_step=0.05", "logger=csv", "seed=0")
    m = read_metrics(tmp_path / "run")
    assert m["test/cls_top1"] > 0.9
    for name in ("cam", "infocam"):
        assert m[f"test/{name}/gt_known_loc"] >= baseline + MARGIN, (name, m[f"test/{name}/gt_known_loc"], baseline)

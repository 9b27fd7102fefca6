"""The WSOL experiments end to end on fixtures in the official formats (pretrained=false, small images)."""

import numpy as np
import pytest
import torch

from infocam_lit.maths.baselines import center_gaussian_maps
from infocam_lit.maths.boxes import box_iou, boxes_from_maps
from tests.helpers.fixture_data import make_cub, make_tiny_imagenet
from tests.helpers.reference_wsolevaluation import reference_evaluate_wsol
from tests.helpers.runs import read_metrics, run_entry

pytestmark = pytest.mark.subprocess

VARIANTS = ("cam", "cam_region", "infocam_noregion", "infocam", "infocam_plus")
BASELINE_KEYS = {f"test/center_gaussian/{k}" for k in ("gt_known_loc", "gt_known_loc_val_tau", "val_tau",
                                                         "maxboxacc_iou30", "maxboxacc_iou50", "maxboxacc_iou70",
                                                         "maxboxacc_v2")} | {
    "test/full_image/gt_known_loc", "test/full_image/maxboxacc_v2"}
SMALL = ("logger=csv", "model.net.pretrained=false", "data.batch_size=4", "data.eval_batch_size=8",
         "data.num_workers=0", "data.pin_memory=false", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
         "cam.threshold_step=0.05")


def expected_keys() -> set[str]:
    keys = {"test/cls_top1", "test/cls_top5"}
    for name in VARIANTS:
        keys |= {f"test/{name}/{k}" for k in ("gt_known_loc", "top1_loc", "maxboxacc_v2", "gt_known_loc_val_tau",
                                               "top1_loc_val_tau", "val_tau")}
        keys |= {f"test/{name}/{k}{d}" for k in ("maxboxacc_iou", "best_tau_iou") for d in (30, 50, 70)}
    return keys | BASELINE_KEYS


@pytest.fixture(scope="module")
def cub_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cub")
    make_cub(root, num_classes=3, train_per_class=4, test_per_class=4)
    return root


@pytest.mark.parametrize(("model", "extra"), [("vgg16_gap", ("model.net.adl=true",)),
                                              ("resnet50", ("model.net.adl=true", "loss=pc_softmax"))])
def test_wsol_cub_with_each_architecture(tmp_path, cub_root, model, extra):
    run_entry("train.py", tmp_path / "run", "experiment=wsol_cub", f"model={model}", f"data.root={cub_root}",
              "data.resize_size=72", "data.crop_size=64", *SMALL, *extra)
    metrics = read_metrics(tmp_path / "run")
    assert expected_keys() <= set(metrics)
    assert all(0 <= metrics[k] <= 1 for k in expected_keys())
    for name in VARIANTS:
        # tau is on the cam.threshold_step grid; Top-1 Loc needs GT-known; every component at the best
        # test tau beats the largest one at the validation tau
        assert round(20 * metrics[f"test/{name}/val_tau"]) == pytest.approx(20 * metrics[f"test/{name}/val_tau"])
        assert metrics[f"test/{name}/top1_loc_val_tau"] <= metrics[f"test/{name}/gt_known_loc_val_tau"]
        assert metrics[f"test/{name}/gt_known_loc_val_tau"] <= metrics[f"test/{name}/maxboxacc_iou50"]
    for name in VARIANTS:
        assert (tmp_path / "run" / f"cams_{name}.png").is_file()


def test_evaluate_a_wsol_checkpoint_with_other_map_settings(tmp_path, cub_root):
    run_entry("train.py", tmp_path / "run", "experiment=wsol_cub", "model=small_gap_cnn", f"data.root={cub_root}",
              "data.resize_size=72", "data.crop_size=64", *SMALL)
    trained = read_metrics(tmp_path / "run")
    run_entry("evaluate.py", tmp_path / "eval", "experiment=wsol_cub",
              f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}", "logger=csv")
    evaluated = read_metrics(tmp_path / "eval")
    assert evaluated == pytest.approx(trained)
    run_entry("evaluate.py", tmp_path / "eval_legacy", "experiment=wsol_cub", "cam.region_mode=legacy",
              "cam.threshold=0.5", f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}", "logger=csv")
    config = (tmp_path / "eval_legacy" / "config.yaml").read_text()
    assert "region_mode: legacy" in config and "threshold: 0.5" in config
    assert (tmp_path / "eval_legacy" / "cams_infocam.png").is_file()
    # MaxBoxAccV2 in wsolevaluation's convention at its 224 x 224, the maps exported as its evaluator reads
    # them: scored by our reading of that evaluator, they give the MaxBoxAccV2 of metrics.json
    ckpt = f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}"
    run_entry("evaluate.py", tmp_path / "eval_theirs", "experiment=wsol_cub", ckpt, "logger=csv",
              "cam.box_convention=wsolevaluation", "data.resize_size=256", "data.crop_size=224", "export=scoremaps")
    theirs = read_metrics(tmp_path / "eval_theirs")
    assert set(theirs) == set(trained)
    exported = tmp_path / "eval_theirs" / "scoremaps"
    ids = (exported / "metadata" / "CUB" / "test" / "image_ids.txt").read_text().split()
    assert len(ids) == 6 and ids[0].startswith("001.Bird_1/") and ids[0].endswith(".jpg")
    assert not (exported / "cam_region").exists()  # export_maps: cam, infocam, infocam_plus
    for name in ("cam", "infocam", "infocam_plus"):
        assert np.load(exported / name / f"{ids[0]}.npy").shape == (224, 224)
        reference = reference_evaluate_wsol(exported / name, exported / "metadata", "CUB", 0.05)
        assert 100 * theirs[f"test/{name}/maxboxacc_v2"] == pytest.approx(reference["v2"], abs=1e-9)
    refused = run_entry("evaluate.py", tmp_path / "eval_refused", "experiment=wsol_cub", ckpt, "logger=csv",
                        "cam.box_convention=wsolevaluation", "data.eval_transform=legacy", check=False)
    assert refused.returncode == 1 and "data.eval_transform must be wsolevaluation" in refused.stderr


def test_wsol_tiny_imagenet(tmp_path):
    _, corners = make_tiny_imagenet(tmp_path / "data", num_classes=3, train_per_class=4, val_per_class=4)
    run_entry("train.py", tmp_path / "run", "experiment=wsol_tiny", "model=resnet50", f"data.root={tmp_path / 'data'}",
              *SMALL)
    metrics = read_metrics(tmp_path / "run")
    assert expected_keys() <= set(metrics)
    assert not any(k.startswith(("test/center_gaussian/top1", "test/full_image/top1")) for k in metrics)
    # the baselines by hand on the test half (per class the 2nd and 4th validation image): the whole image,
    # and the centre Gaussian's box at tau = 0.2 (a centred square)
    test_boxes = torch.tensor([corners[f"val/images/val_{4 * k + j}.JPEG"] for k in range(3) for j in (1, 3)]).float()
    whole = torch.tensor([[0, 0, 63, 63]]).expand(len(test_boxes), 4)
    iou = box_iou(whole, test_boxes)
    assert metrics["test/full_image/gt_known_loc"] == pytest.approx(float((iou >= 0.5).double().mean()))
    rates = [float((iou >= delta).double().mean()) for delta in (0.3, 0.5, 0.7)]
    assert metrics["test/full_image/maxboxacc_v2"] == pytest.approx(sum(rates) / 3)
    square = boxes_from_maps(center_gaussian_maps(1, 64, 64), 0.2).expand(len(test_boxes), 4)
    assert metrics["test/center_gaussian/gt_known_loc"] == pytest.approx(
        float((box_iou(square, test_boxes) >= 0.5).double().mean()))


def test_tiny_imagenet_maxboxacc_in_wsolevaluations_convention_is_what_its_evaluator_gives(tmp_path):
    """Tiny-ImageNet's 64 x 64 images: metrics.json (cam.box_convention=wsolevaluation) and its evaluator on
    the exported 224 x 224 maps, with the boxes it scales by int(v * 224 / 64), give the same MaxBoxAccV2."""
    make_tiny_imagenet(tmp_path / "data", num_classes=3, train_per_class=4, val_per_class=6)
    run_entry("train.py", tmp_path / "run", "experiment=wsol_tiny", "model=small_gap_cnn",
              f"data.root={tmp_path / 'data'}", *SMALL)
    run_entry("evaluate.py", tmp_path / "eval", "experiment=wsol_tiny", "logger=csv",
              f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}", "cam.box_convention=wsolevaluation",
              "export=scoremaps", "export_maps=[cam,infocam,infocam_plus,cam_region]")
    theirs = read_metrics(tmp_path / "eval")
    exported = tmp_path / "eval" / "scoremaps"
    ids = (exported / "metadata" / "ILSVRC" / "test" / "image_ids.txt").read_text().split()
    assert len(ids) == 9 and ids[0].startswith("val/images/")
    for name in ("cam", "infocam", "infocam_plus", "cam_region"):
        assert np.load(exported / name / f"{ids[0]}.npy").shape == (224, 224)
        reference = reference_evaluate_wsol(exported / name, exported / "metadata", "ILSVRC", 0.05)
        assert 100 * theirs[f"test/{name}/maxboxacc_v2"] == pytest.approx(reference["v2"], abs=1e-9)


def test_missing_cub_is_a_clear_error(tmp_path):
    result = run_entry("train.py", tmp_path / "run", "experiment=wsol_cub", f"data.root={tmp_path}", *SMALL,
                       check=False)
    assert result.returncode == 1 and "CUB-200-2011 not found in" in result.stderr
    assert "Traceback" not in result.stderr and "data.download=true" in result.stderr

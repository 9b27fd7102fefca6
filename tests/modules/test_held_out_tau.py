"""The modules' held-out threshold: tau comes from the validation split's sweep and is applied to the
test split's, never chosen on test (hand-fed metrics; the smoke tests run the real loaders)."""

import pytest
import torch

from infocam_lit.modules.multilabel import MultiLabelLocalizationModule
from infocam_lit.modules.wsol import WSOLModule
from tests.helpers.configs import cam_config, loss_config
from tests.helpers.maps import nested_squares_map

CORE, RING = [6.0, 6.0, 13.0, 13.0], [2.0, 2.0, 17.0, 17.0]  # hit from tau 0.5 on / only below 0.5
CAM = cam_config(region_size=3)
OPTIMIZER = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 1e-3, "weight_decay": 0.0}


def one(gt: list[float]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return nested_squares_map(), torch.tensor([[gt]]), torch.tensor([1])


def test_double_mnist_tau_is_chosen_on_validation_per_map_and_applied_to_test():
    module = MultiLabelLocalizationModule({"_target_": "infocam_lit.nets.wsol.small_gap_cnn", "in_channels": 1},
                                          OPTIMIZER, None, loss_config("sigmoid"), CAM, False, False, 10, [0.1] * 10,
                                          [20, 20])
    digit = torch.tensor([3])
    for name, (val_gt, test_gt) in {"cam": (CORE, RING), "infocam": (RING, RING)}.items():
        module.sweeps[name].update(*one(val_gt), digit, split="val")
        module.sweeps[name].update(*one(test_gt), digit)
        module.pointing[name].update(torch.tensor([True]), digit)
    values = {k: float(v) for k, v in module._held_out_values().items() if torch.isfinite(v)}
    assert values["test/cam/val_tau"] == pytest.approx(0.5)  # the smallest of the tied 0.5 ... 0.99
    assert values["test/cam/loc_acc_val_tau"] == 0.0 and values["test/cam/loc_acc_val_tau_digit/3"] == 0.0
    assert values["test/cam/maxboxacc_iou50"] == 1.0 and values["test/cam/best_tau_iou50"] == 0.0  # test's own
    assert values["test/infocam/val_tau"] == 0.0 and values["test/infocam/loc_acc_val_tau"] == 1.0
    assert values["test/infocam/pointing_digit/3"] == 1.0 and values["test/infocam/pointing"] == 1.0
    assert values["test/cam/maxboxacc_v2_digit/3"] == 1.0  # the ring box is exact (IoU 1) at tau 0
    assert not any(k.endswith("_digit/4") for k in values)  # digit 4 was never seen: undefined, left out


def test_wsol_tau_is_chosen_on_the_validation_half_and_applied_to_the_test_half():
    module = WSOLModule({"_target_": "infocam_lit.nets.wsol.small_gap_cnn"}, OPTIMIZER, None, 1.0,
                        loss_config("softmax"), CAM, False, False, 3, [1 / 3] * 3, 20, None)
    sweep = module.metrics["test"]["cam_sweep"]
    sweep.update(*one(CORE), split="val")
    sweep.update(*one(CORE), split="val")
    sweep.update(*one(RING), split="val")  # two to one: tau from 0.5
    sweep.update(*one(CORE), top1_correct=torch.tensor([False]))
    sweep.update(*one(RING), top1_correct=torch.tensor([True]))
    values = sweep.compute()
    assert values["val_tau"].item() == pytest.approx(0.5)
    assert values["gt_known_loc_val_tau"].item() == 0.5  # the core image hits, the ring image misses
    assert values["top1_loc_val_tau"].item() == 0.0  # and the core image was misclassified
    assert values["maxboxacc_iou50"].item() == 0.5 and values["best_tau_iou50"].item() == 0.0

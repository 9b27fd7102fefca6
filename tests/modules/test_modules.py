"""LightningModules trained for real at small size, in-process."""

import math

import pytest
import pytorch_lightning as pl
import torch

from infocam_lit.modules.classifier import ClassifierModule
from infocam_lit.modules.mine import MINEModule
from tests.helpers.configs import cam_config, loss_config
from tests.helpers.datamodules import datamodule

ADAM = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 1e-3, "weight_decay": 0.0}


def mlp_net(hidden_sizes: list[int]) -> dict:
    return {"_target_": "infocam_lit.nets.mlp.mlp", "hidden_sizes": hidden_sizes}


def quiet_trainer(tmp_path, **kwargs):
    return pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                      enable_model_summary=False, default_root_dir=tmp_path, **kwargs)


def test_mine_on_independent_labels_estimates_about_zero(tmp_path):
    pl.seed_everything(0)
    dm = datamodule("gmm", dim=1, imbalanced=False, seed=0)
    dm.setup()
    g = torch.Generator().manual_seed(1)
    for split, (x, y) in dm.splits.items():
        dm.splits[split] = (x, y[torch.randperm(len(y), generator=g)])  # labels independent of x
    model = MINEModule(hidden_sizes=[100, 100, 100], ema_rate=0.01, optimizer=ADAM, scheduler=None, **dm.model_kwargs())
    trainer = quiet_trainer(tmp_path, max_epochs=3, enable_checkpointing=False)
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, verbose=False)
    assert abs(model.test_results["test/mi"]) < 0.02
    assert model.test_results["test/mi_se"] < 0.01


def test_mine_learns_the_dependence(tmp_path):
    pl.seed_everything(0)
    dm = datamodule("gmm", dim=2, imbalanced=False, seed=0)
    model = MINEModule(hidden_sizes=[100, 100, 100], ema_rate=0.01, optimizer=ADAM, scheduler=None, **dm.model_kwargs())
    trainer = quiet_trainer(tmp_path, max_epochs=3, enable_checkpointing=False)
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, verbose=False)
    assert model.test_results["test/mi"] == pytest.approx(1.30035, abs=0.05)


def test_classifier_checkpoint_loads_with_weights_only(tmp_path):
    dm = datamodule("gmm", dim=2, imbalanced=True, seed=0)
    model = ClassifierModule(net=mlp_net([8]), optimizer=ADAM, scheduler=None, channels_last=False, compile=False,
                             loss=loss_config("pc_softmax"), **dm.model_kwargs())
    trainer = quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=3, enable_checkpointing=False)
    trainer.fit(model, datamodule=dm)
    path = tmp_path / "model.ckpt"
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)  # plain hyper-parameters only
    assert checkpoint["hyper_parameters"]["class_prior"] == pytest.approx([1 / 15, 2 / 15, 3 / 15, 4 / 15, 5 / 15])
    restored = ClassifierModule.load_from_checkpoint(path, weights_only=True)
    x = torch.randn(4, 2)
    assert torch.equal(restored(x), model(x))


def test_classifier_test_metrics_per_split(tmp_path):
    dm = datamodule("gmm", dim=2, imbalanced=True, seed=0)
    model = ClassifierModule(net=mlp_net([16]), optimizer=ADAM, scheduler=None, channels_last=False, compile=False,
                             loss=loss_config("softmax"), **dm.model_kwargs())
    trainer = quiet_trainer(tmp_path, max_epochs=1, enable_checkpointing=False)
    trainer.fit(model, datamodule=dm)
    trainer.test(model, datamodule=dm, verbose=False)
    results = model.test_results
    for key in ("test/mi", "test/mi_se", "test/mi_prior_corrected", "test/acc", "test/acc_macro",
                "test/acc_class/4", "train/mi", "train/mi_se", "train/mi_prior_corrected"):
        assert key in results
    assert "train/acc" not in results
    # the "+ log M" read-out exceeds the prior-corrected one by about log M - H(Y) on imbalanced data
    assert results["test/mi"] - results["test/mi_prior_corrected"] == pytest.approx(0.1197, abs=0.03)
    assert 0.5 < results["test/acc"] <= 1  # well above the majority class (1/3) after one epoch


def test_epoch_values_are_logged_from_the_module_device(monkeypatch):
    """Under NCCL the all-reduce of sync_dist fails on CPU tensors; "meta" stands in for a GPU here."""
    import pytorch_lightning as pl

    from infocam_lit.modules.epoch_values import log_epoch_values

    module = pl.LightningModule().to("meta")
    logged = {}
    monkeypatch.setattr(module, "log_dict", lambda values, **kwargs: logged.update(values=values, **kwargs))
    values = {"test/acc": 0.5, "test/mi": torch.tensor(1.25, dtype=torch.float64)}
    assert log_epoch_values(module, values, prog_bar=True) == {"test/acc": 0.5, "test/mi": 1.25}
    assert all(v.device.type == "meta" and v.dtype == torch.float32 for v in logged["values"].values())
    assert logged["sync_dist"] is True and logged["prog_bar"] is True


@pytest.mark.parametrize("posthoc_tau", [0.0, 1e6])
def test_the_posthoc_adjustment_follows_loss_posthoc_tau(tmp_path, posthoc_tau):
    """argmax n - tau log pi: tau = 0 is the plain prediction; a huge tau always predicts the rarest class."""
    dm = datamodule("gmm", dim=2, imbalanced=True, seed=0)
    model = ClassifierModule(net=mlp_net([8]), optimizer=ADAM, scheduler=None, channels_last=False, compile=False,
                             loss=loss_config("softmax", posthoc_tau=posthoc_tau), **dm.model_kwargs())
    quiet_trainer(tmp_path).test(model, datamodule=dm, verbose=False)
    results = model.test_results
    if posthoc_tau == 0:
        assert results["test/acc_posthoc"] == results["test/acc"]
    else:
        assert results["test/acc_macro_posthoc"] == pytest.approx(1 / 5)  # class 0 (pi = 1/15) only


def test_channels_last_puts_weights_and_image_batches_in_nhwc_and_changes_no_output():
    from infocam_lit.modules.wsol import WSOLModule

    def wsol(channels_last: bool) -> WSOLModule:
        return WSOLModule({"_target_": "infocam_lit.nets.wsol.small_gap_cnn"}, ADAM, None, 1.0, loss_config("softmax"),
                          cam_config(region_size=1), channels_last, False, 3, [1 / 3] * 3, 20, None).eval()

    plain, nhwc = wsol(False), wsol(True)
    nhwc.load_state_dict(plain.state_dict())
    convolutions = [m for m in nhwc.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convolutions and all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convolutions)
    assert not any(m.weight.is_contiguous(memory_format=torch.channels_last) for m in plain.modules()
                   if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1))
    batch = {"image": torch.randn(2, 3, 20, 20), "label": torch.tensor([0, 2])}
    moved = nhwc.on_after_batch_transfer(dict(batch), 0)
    assert moved["image"].is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(moved["label"], batch["label"])
    assert plain.on_after_batch_transfer(dict(batch), 0)["image"].is_contiguous()  # left as it came
    with torch.no_grad():
        torch.testing.assert_close(nhwc(moved["image"]), plain(batch["image"]), rtol=1e-5, atol=1e-5)


def wsol_test_batches(with_index: bool) -> list[dict]:
    generator = torch.Generator().manual_seed(0)
    batches = []
    for start in (0, 4):
        batch = {"image": torch.randn(4, 3, 20, 20, generator=generator), "label": torch.tensor([0, 1, 2, 0]),
                 "boxes": torch.tensor([[[2.0, 2.0, 15.0, 15.0]]] * 4), "box_count": torch.ones(4, dtype=torch.long)}
        batches.append(batch | ({"index": torch.arange(start, start + 4)} if with_index else {}))
    return batches


@pytest.mark.parametrize("with_index", [False, True])
def test_wsol_per_image_rows_need_image_indices(tmp_path, with_index):
    """Batches of a DataModule that gives no image indices: the metrics as ever, no per-image rows. With them:
    a row per image, whose hits are the metrics' (no validation half here, so no held-out-τ columns)."""
    from torch.utils.data import DataLoader

    from infocam_lit.modules.wsol import WSOLModule

    torch.manual_seed(0)
    module = WSOLModule({"_target_": "infocam_lit.nets.wsol.small_gap_cnn"}, ADAM, None, 1.0, loss_config("softmax"),
                        cam_config(region_size=3, threshold_step=0.1), False, False, 3, [1 / 3] * 3, 20, None)
    quiet_trainer(tmp_path).test(module, DataLoader(wsol_test_batches(with_index), batch_size=None), verbose=False)
    assert "test/cam_x_center/gt_known_loc" in module.test_results
    assert 0 <= module.test_results["test/class_weight_mean_ratio"] < 1
    if not with_index:
        assert module.test_per_image is None
        return
    table = module.test_per_image
    assert table["image_index"].tolist() == list(range(8)) and table["label"].tolist() == [0, 1, 2, 0] * 2
    assert not any(column.endswith("_val_tau") for column in table)
    for name in ("cam", "infocam", "infocam_plus", "center_gaussian", "cam_x_center", "full_image"):
        hits = (table[f"{name}_iou"] >= 0.5).double().mean().item()
        assert hits == pytest.approx(module.test_results[f"test/{name}/gt_known_loc"], abs=1e-12)


class _FirstBatch(pl.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.batch = batch


def test_a_datamodule_that_prepares_batches_on_the_device_keeps_the_modules_layout(tmp_path):
    """MNIST normalises its uint8 batches on the device; the module then puts them in channels last.
    (A DataModule's own on_after_batch_transfer would replace the module's, and the layout would be lost.)"""
    from tests.helpers.fixture_data import make_mnist

    make_mnist(tmp_path / "mnist", n_train=300, n_test=100, gz=False)
    dm = datamodule("mnist", root=str(tmp_path / "mnist"), batch_size=16)
    model = ClassifierModule(net={"_target_": "infocam_lit.nets.mnist_cnn.mnist_cnn"}, optimizer=ADAM,
                             scheduler=None, channels_last=True, compile=False, loss=loss_config("softmax"),
                             **dm.model_kwargs())
    seen = _FirstBatch()
    quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=1, limit_val_batches=0, enable_checkpointing=False,
                  callbacks=[seen]).fit(model, datamodule=dm)
    images, labels = seen.batch
    assert images.dtype == torch.float32 and images.min() < 0  # normalised by the DataModule
    assert images.is_contiguous(memory_format=torch.channels_last) and labels.dtype == torch.long


def test_compile_keeps_the_checkpoint_keys_and_the_outputs():
    def classifier(compile: bool) -> ClassifierModule:
        torch.manual_seed(0)
        return ClassifierModule(net=mlp_net([8]), optimizer=ADAM, scheduler=None, channels_last=False,
                                compile=compile, loss=loss_config("softmax"), num_classes=3,
                                class_prior=[1 / 3] * 3, input_dim=2).eval()

    eager, compiled = classifier(False), classifier(True)
    assert compiled.net._compiled_call_impl is not None and eager.net._compiled_call_impl is None
    assert list(compiled.state_dict()) == list(eager.state_dict())  # no `_orig_mod.` in the keys
    x = torch.randn(5, 2)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), eager(x))


def test_bf16_mixed_on_a_cpu_trains_and_tests_with_fp32_maps(tmp_path):
    """trainer.precision=bf16-mixed on a CPU: the network under bf16 autocast, the maps that make the boxes in
    fp32 (torch emulates bf16 where the CPU lacks it, so this runs on any CPU; the run's own check refuses
    such CPUs for speed, not for correctness)."""
    from torch.utils.data import DataLoader

    from infocam_lit.modules.wsol import WSOLModule

    torch.manual_seed(0)
    module = WSOLModule({"_target_": "infocam_lit.nets.wsol.small_gap_cnn"}, ADAM, None, 1.0, loss_config("softmax"),
                        cam_config(region_size=3, threshold_step=0.1), True, False, 3, [1 / 3] * 3, 20, None)
    logits_dtypes, map_dtypes = set(), set()
    module.net.fc.register_forward_hook(lambda _, __, output: logits_dtypes.add(output.dtype))
    boxes = module._boxes
    module._boxes = lambda maps: map_dtypes.update(m.dtype for m in maps.values()) or boxes(maps)
    batches = DataLoader(wsol_test_batches(True), batch_size=None)
    trainer = quiet_trainer(tmp_path, precision="bf16-mixed", max_epochs=1, enable_checkpointing=False)
    trainer.fit(module, train_dataloaders=batches)
    trainer.test(module, batches, verbose=False)
    assert logits_dtypes == {torch.bfloat16} and map_dtypes == {torch.float32}
    assert all(math.isfinite(v) for v in module.test_results.values())
    assert 0 <= module.test_results["test/cam/gt_known_loc"] <= 1

"""experiment=mnist and experiment=cub_cls end to end on generated fixtures in the official formats."""

import math

import pytest

from tests.helpers.fixture_data import make_cub, make_mnist
from tests.helpers.runs import read_metrics, run_entry

pytestmark = pytest.mark.subprocess


def test_mnist_experiment(tmp_path):
    make_mnist(tmp_path / "data", n_train=2400, n_test=400)
    run_entry("train.py", tmp_path / "run", "experiment=mnist", f"data.root={tmp_path / 'data'}", "logger=csv",
              "data.imbalanced=true", "loss=softmax")
    m = read_metrics(tmp_path / "run")
    for split in ("test", "test_imb"):
        for key in ("acc", "acc_macro", "acc_posthoc", "acc_macro_posthoc", "mi", "mi_prior_corrected",
                    "label_entropy"):
            assert f"{split}/{key}" in m, f"{split}/{key}"
        # the prior-corrected read-out under the split's own prior never exceeds that split's H(Y)
        assert m[f"{split}/mi_prior_corrected"] <= m[f"{split}/label_entropy"] + 1e-9
        assert all(f"{split}/acc_class/{k}" in m for k in range(10))
        assert (tmp_path / "run" / f"confusion_{split}.png").is_file()
    assert m["test/acc_macro"] > 0.5  # the fixture's digits are learnable
    assert all(0 <= v <= 1 for k, v in m.items() if "/acc" in k)


def test_mnist_pc_softmax_reports_macro_accuracy(tmp_path):
    make_mnist(tmp_path / "data", n_train=2400, n_test=400, gz=False)
    run_entry("train.py", tmp_path / "run", "experiment=mnist", f"data.root={tmp_path / 'data'}", "logger=csv",
              "data.imbalanced=true")
    m = read_metrics(tmp_path / "run")
    assert "test/acc_posthoc" not in m  # post-hoc adjustment is for CE-trained models
    assert 0.5 < m["test/acc_macro"] <= 1 and 0 < m["test_imb/acc_macro"] <= 1
    # SPEC §7.5: each split read out under its own label prior. Under the training prior the balanced
    # test split of an imbalanced run read above log 10, the most that ten balanced classes allow.
    assert m["test/label_entropy"] > m["test_imb/label_entropy"]
    assert m["test/label_entropy"] <= math.log(10) + 1e-12
    for split in ("test", "test_imb"):
        assert 0.5 * m[f"{split}/label_entropy"] < m[f"{split}/mi"] <= m[f"{split}/label_entropy"] + 1e-9


def test_mnist_missing_data_is_a_clear_error(tmp_path):
    result = run_entry("train.py", tmp_path / "run", "experiment=mnist", f"data.root={tmp_path / 'none'}",
                       "logger=csv", check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "MNIST files missing in" in result.stderr and "train-images-idx3-ubyte" in result.stderr


def test_cub_classification_experiment_with_inception(tmp_path):
    make_cub(tmp_path / "data", num_classes=3, train_per_class=8, test_per_class=4)
    run_entry("train.py", tmp_path / "run", "experiment=cub_cls", f"data.root={tmp_path / 'data'}", "logger=csv",
              "model.net.pretrained=false", "model.net.aux_loss_weight=0", "data.image_size=75",
              "data.batch_size=4", "data.eval_batch_size=8",
              "data.num_workers=0", "data.pin_memory=false", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
              "data.imbalanced=true", "loss=pc_softmax", "model.channels_last=true")
    m = read_metrics(tmp_path / "run")
    for key in ("test/acc", "test/acc_macro", "test_imb/acc", "test/mi", "test/acc_class/2"):
        assert key in m
    assert (tmp_path / "run" / "checkpoints" / "best.ckpt").is_file()


def test_cub_frozen_backbone_trains_the_last_layer_only(tmp_path):
    import torch

    from infocam_lit.nets.inception import InceptionV3Classifier

    net = InceptionV3Classifier(num_classes=3, pretrained=False, freeze_backbone=True)
    trainable = {n for n, p in net.named_parameters() if p.requires_grad}
    assert trainable == {"net.fc.weight", "net.fc.bias", "net.AuxLogits.fc.weight", "net.AuxLogits.fc.bias"}
    net.train()
    assert not net.net.Mixed_7c.training and net.net.fc.training
    logits, aux = net(torch.randn(2, 3, 299, 299))  # the auxiliary head needs full-size inputs
    assert logits.shape == aux.shape == (2, 3)
    net.eval()
    assert net(torch.randn(1, 3, 299, 299)).shape == (1, 3)
    small = InceptionV3Classifier(num_classes=3, pretrained=False, aux_loss_weight=0).train()
    assert small(torch.randn(2, 3, 75, 75)).shape == (2, 3)


def test_pretrained_inception_scales_its_input_like_torchvision(monkeypatch):
    from infocam_lit.nets import inception

    monkeypatch.setattr(inception, "load_pretrained", lambda *args, **kwargs: None)
    assert inception.InceptionV3Classifier(3, pretrained=True).net.transform_input
    assert not inception.InceptionV3Classifier(3, pretrained=False).net.transform_input


def test_frozen_inception_trains_its_heads_and_dropout_and_freezes_every_batch_norm():
    import torch

    from infocam_lit.nets.inception import InceptionV3Classifier

    net = InceptionV3Classifier(num_classes=3, pretrained=False, freeze_backbone=True).train()
    assert net.net.dropout.training  # the trained head's dropout
    frozen_norms = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert frozen_norms and not any(m.training for m in frozen_norms)  # AuxLogits' included
    before = net.net.AuxLogits.conv0.bn.running_mean.clone()
    logits, aux = net(torch.randn(2, 3, 299, 299))  # still returns the auxiliary logits
    assert aux.shape == (2, 3)
    assert torch.equal(net.net.AuxLogits.conv0.bn.running_mean, before)

"""A run's artifacts are Lightning callbacks: they work under a plain `trainer.test` from Python,
and the MI curve is drawn from the values logged during training, kept across a resume."""

import json
import math

import pytest
import pytorch_lightning as pl

from infocam_lit.modules.classifier import ClassifierModule
from infocam_lit.run.artifacts import ConfusionFigures, MICurve, RunSummary
from tests.helpers.configs import loss_config
from tests.helpers.datamodules import datamodule

ADAM = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": 1e-3, "weight_decay": 0.0}


def mlp_net(hidden_sizes: list[int]) -> dict:
    return {"_target_": "infocam_lit.nets.mlp.mlp", "hidden_sizes": hidden_sizes}


def test_trainer_test_from_python_writes_the_run_artifacts(tmp_path, capsys):
    pl.seed_everything(0)
    data = datamodule("gmm", dim=2, imbalanced=True, seed=0)
    model = ClassifierModule(net=mlp_net([16]), optimizer=ADAM, scheduler=None, channels_last=False, compile=False,
                             loss=loss_config("pc_softmax"), **data.model_kwargs())
    curve = MICurve()
    trainer = pl.Trainer(accelerator="cpu", max_epochs=3, limit_train_batches=5, logger=False,
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                         default_root_dir=tmp_path, callbacks=[RunSummary(), ConfusionFigures(), curve])
    trainer.fit(model, datamodule=data)
    trainer.test(model, datamodule=data, verbose=False)

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["test/mi"] == pytest.approx(model.test_results["test/mi"])
    assert metrics["test/mi_true"] == pytest.approx(1.2393, abs=1e-4)  # the data's ground truth joined in
    assert "I(X;Y) estimate" in capsys.readouterr().out
    assert (tmp_path / "confusion_test.png").is_file()
    assert (tmp_path / "mi_curve.png").is_file()
    # one point per epoch, the estimate logged at that epoch's validation (no sanity-check point)
    assert curve.epochs == [0, 1, 2] and len(curve.values) == 3
    assert all(math.isfinite(value) for value in curve.values) and len(set(curve.values)) == 3


def test_the_mi_curve_survives_a_resume():
    curve = MICurve()
    curve.epochs, curve.values = [0, 1], [1.1, 1.2]
    resumed = MICurve()
    resumed.load_state_dict(curve.state_dict())
    assert resumed.epochs == [0, 1] and resumed.values == [1.1, 1.2]

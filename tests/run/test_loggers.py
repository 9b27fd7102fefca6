"""logger.wandb.log_model: passed on to an online W&B run; an offline run keeps its checkpoints local."""

import logging
from pathlib import Path

from pytorch_lightning.loggers import CSVLogger, WandbLogger

from infocam_lit.run.loggers import build_loggers

WANDB = "infocam_lit.run.loggers.FallbackWandbLogger"


def test_log_model_reaches_an_online_wandb_logger(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "0" * 40)  # credentials present: nothing is contacted until a run starts
    monkeypatch.delenv("WANDB_MODE", raising=False)
    csv, wandb = build_loggers({"wandb": {"_target_": WANDB, "log_model": "all"}}, str(tmp_path), "run", {})
    assert isinstance(csv, CSVLogger) and isinstance(wandb, WandbLogger)
    assert wandb._log_model == "all"


def test_an_offline_run_keeps_its_checkpoints_local_and_says_so(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        _, wandb = build_loggers({"wandb": {"_target_": WANDB, "log_model": True}}, str(tmp_path), "run", {})
    assert wandb._log_model is False
    assert "log_model needs an online run" in caplog.text and f"{tmp_path}/checkpoints" in caplog.text


def test_user_tags_follow_the_config_choices_on_the_wandb_run(tmp_path):
    tags = {"tags": ["experiment=mi_gmm", "ablation"]}
    _, wandb = build_loggers({"wandb": {"_target_": WANDB, "tags": ["fixed"]}}, str(tmp_path), "run", {}, tags)
    assert wandb._wandb_init["tags"] == ["fixed", "experiment=mi_gmm", "ablation"]


def test_a_tensorboard_entry_writes_into_the_run_folder_by_default(tmp_path):
    from pytorch_lightning.loggers import TensorBoardLogger

    csv, tb = build_loggers({"tb": {"_target_": "pytorch_lightning.loggers.TensorBoardLogger"}}, str(tmp_path), "run",
                            {})
    assert isinstance(csv, CSVLogger) and isinstance(tb, TensorBoardLogger)
    assert Path(tb.log_dir) == tmp_path / "tb"  # named after its entry; no version_0/ below it
    _, tb = build_loggers({"tensorboard": {"_target_": "pytorch_lightning.loggers.TensorBoardLogger",
                                           "save_dir": str(tmp_path / "elsewhere")}}, str(tmp_path), "run", {})
    assert Path(tb.log_dir) == tmp_path / "elsewhere" / "tensorboard"

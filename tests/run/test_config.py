"""Every config composes; wrong values stop before any work with a message naming key and valid values."""

import re

import pytest
from hydra.errors import ConfigCompositionException, MissingConfigException
from omegaconf import OmegaConf
from omegaconf.errors import ValidationError

from infocam_lit.run import preflight
from infocam_lit.run.preflight import validate_config
from infocam_lit.run.schema import ConfigError
from tests.helpers.compose import CONF, compose_train

EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
SWEEPS = sorted(p.stem for p in (CONF / "sweep").glob("*.yaml"))

@pytest.mark.parametrize("experiment", EXPERIMENTS)
@pytest.mark.parametrize("config_name", ["train", "evaluate"])
def test_every_experiment_composes_and_validates(experiment, config_name):
    cfg = compose_train(f"experiment={experiment}", config_name=config_name)
    validate_config(cfg)
    for key in ("data", "model", "loss", "trainer", "callbacks", "logger", "paths"):
        OmegaConf.to_container(cfg[key], resolve=True)  # every interpolation resolves
    assert cfg.experiment_name == experiment


def test_default_experiment_is_the_paper_claim():
    cfg = compose_train()
    assert cfg.experiment_name == "mi_gmm"
    assert (cfg.data.dim, cfg.data.imbalanced, cfg.loss.name.value) == (5, True, "pc_softmax")
    assert cfg.model._target_.endswith("ClassifierModule") and list(cfg.model.net.hidden_sizes) == [100, 100, 100]


@pytest.mark.parametrize("sweep", SWEEPS)
def test_sweep_files_compose_as_multirun(sweep):
    cfg = compose_train(f"sweep={sweep}")
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    assert "seed" in cfg.hydra.sweeper.params


@pytest.mark.parametrize(("sweep", "experiment"), [
    ("table3", "mnist"), ("table3_mnist", "mnist"), ("imbalance", "mnist"), ("table5", "double_mnist"),
    ("table4_tiny_cpu", "wsol_tiny")])
def test_real_data_sweeps_start_from_their_experiment(sweep, experiment):
    """data.root on the command line must compose before the sweep's jobs are made (the default
    experiment's mixture has no root)."""
    cfg = compose_train(f"sweep={sweep}", "data.root=/elsewhere")
    assert cfg.experiment_name == experiment and cfg.data.root == "/elsewhere"


def test_tiny_cpu_study_trains_the_small_network_of_its_defaults():
    cfg = compose_train("sweep=table4_tiny_cpu")
    assert cfg.model.net._target_ == "infocam_lit.nets.wsol.small_gap_cnn"
    assert list(cfg.model.net.widths) == [32, 64, 128, 256, 256] and cfg.model.net.stem_stride == 2
    assert cfg.loss.name == "softmax" and cfg.cam.region_size == 3 and cfg.model.scheduler.T_max == 7
    assert cfg.hydra.sweeper.params == {"model.net.adl": "false", "seed": "0,1,2,3,4"}


def test_checkpoint_sections_are_typed_by_their_schema_again():
    """One schema per module; its network's schema is found by the net's _target_ among the module's, any other
    WSOL net is VGG/ResNet's."""
    from infocam_lit.run.restore import typed_section
    from infocam_lit.run.schema.model import (
        ClassifierModelConfig,
        MLPNetConfig,
        MNISTCNNNetConfig,
        SmallWSOLNetConfig,
        WSOLModelConfig,
        WSOLNetConfig,
    )

    cases = (("wsol_tiny", "small_gap_cnn", WSOLModelConfig, SmallWSOLNetConfig),
             ("wsol_tiny", "vgg16_gap", WSOLModelConfig, WSOLNetConfig),
             ("wsol_tiny", "resnet50", WSOLModelConfig, WSOLNetConfig),
             ("mi_gmm", "mlp", ClassifierModelConfig, MLPNetConfig),
             ("mnist", "mnist_cnn", ClassifierModelConfig, MNISTCNNNetConfig))
    for experiment, model, schema, net_schema in cases:
        saved = OmegaConf.to_container(compose_train(f"experiment={experiment}", f"model={model}").model, resolve=True)
        typed = typed_section(saved, "model")
        assert OmegaConf.get_type(typed) is schema and OmegaConf.get_type(typed.net) is net_schema
        assert OmegaConf.to_container(typed, resolve=True, enum_to_str=True) == saved


def test_a_section_an_older_checkpoint_lacks_a_key_of_takes_the_schemas_default():
    from infocam_lit.run.restore import typed_section

    saved = OmegaConf.to_container(compose_train("experiment=wsol_tiny").cam, resolve=True, enum_to_str=True)
    del saved["box_convention"], saved["threshold_step"]
    typed = typed_section(saved, "cam")
    assert typed.box_convention == "infocam_lit" and typed.threshold_step == 0.01
    model = OmegaConf.to_container(compose_train("experiment=wsol_tiny", "model=small_gap_cnn").model, resolve=True,
                                   enum_to_str=True)
    del model["channels_last"], model["net"]["stem_stride"]
    typed = typed_section(model, "model")
    assert typed.channels_last is False and typed.net.stem_stride == 1


def test_imbalance_sweep_covers_every_method_and_ratio():
    params = compose_train("sweep=imbalance").hydra.sweeper.params
    assert params["data.imbalance_ratio"] == "1,10,100" and str(params["data.imbalanced"]).lower() == "true"
    assert params.loss == "softmax,pc_softmax,logit_adjusted,weighted_softmax" and params.seed == "0,1,2"


def test_mine_sweep_never_runs_a_classifier_loss_axis():
    cfg = compose_train("sweep=table2_mine")
    params = cfg.hydra.sweeper.params
    assert params.model == "mine" and "loss" not in params


@pytest.mark.parametrize(("sweep", "axis", "values"), [
    ("mi_noise_dims", "data.noise_dims", "0,10,50,200"), ("mi_sample_size", "data.size_factor", "0.01,0.1,1")])
def test_the_estimator_studies_cover_their_grid_at_d5_imbalanced(sweep, axis, values):
    cfg = compose_train(f"sweep={sweep}")
    params = cfg.hydra.sweeper.params
    assert params[axis] == values and params.model == "mlp,mine,knn" and params.seed == "0,1,2"
    assert (cfg.data.dim, cfg.data.imbalanced, cfg.loss.name.value) == (5, True, "pc_softmax")


def test_wrong_loss_lists_the_valid_ones():
    with pytest.raises(MissingConfigException) as info:
        compose_train("loss=pcsoftmax")
    message = str(info.value)
    assert "loss/pcsoftmax" in message
    for valid in ("softmax", "pc_softmax", "logit_adjusted", "weighted_softmax"):
        assert f"\t{valid}" in message
    assert "schema" not in message.split("Available options")[1].split("Config search path")[0]


def test_wrong_bool_names_the_key():
    with pytest.raises(ConfigCompositionException) as info:
        compose_train("data.imbalanced=maybe")
    cause = str(info.value.__cause__)
    assert "data.imbalanced" in cause and "not a valid bool" in cause


def test_wrong_enum_names_the_valid_values():
    with pytest.raises(ConfigCompositionException) as info:
        compose_train("loss.name=hinge")
    cause = str(info.value.__cause__)
    assert "loss.name" in cause and "softmax" in cause and "pc_softmax" in cause


def test_unknown_key_is_rejected():
    with pytest.raises(ConfigCompositionException):
        compose_train("data.dimension=3")


@pytest.mark.parametrize(("override", "message"), [
    ("data.dim=0", "data.dim must be >= 1, got 0"),
    ("data.batch_size=0", "data.batch_size must be >= 1"),
    ("loss.tau=-1", "loss.tau must be >= 0"),
    ("loss.posthoc_tau=-0.5", "loss.posthoc_tau must be >= 0, got -0.5"),
    ("model.optimizer.lr=0", "model.optimizer.lr must be > 0"),
    ("callbacks.early_stopping.patience=-1", "patience must be >= 0"),
    ("model=mine model.ema_rate=0", "model.ema_rate must be in (0, 1]"),
    ("model=knn model.k=0", "model.k must be >= 1, got 0"),
    ("data.noise_dims=-1", "data.noise_dims must be >= 0, got -1"),
    ("data.size_factor=0", "data.size_factor must be in (0, 1]"),
    ("data.size_factor=1.5", "data.size_factor must be in (0, 1]"),
    ("experiment=wsol_cub data.num_workers=-1", "data.num_workers must be >= 0, got -1"),
    ("experiment=wsol_tiny data.eval_batch_size=0", "data.eval_batch_size must be >= 1, got 0"),
    ("experiment=double_mnist data.slot_prob=0", "data.slot_prob must be in (0, 1], got 0.0"),
    ("experiment=wsol_tiny model=small_gap_cnn model.net.pool_after=[1,5]",
     "model.net.pool_after must be block numbers in [0, 4], got [1, 5]"),
    ("experiment=wsol_tiny model=small_gap_cnn model.net.stem_stride=0", "model.net.stem_stride must be >= 1, got 0"),
    ("experiment=double_mnist data.train_canvases=0", "data.train_canvases must be >= 1, got 0"),
    ("experiment=double_mnist data.batch_size=0", "data.batch_size must be >= 1, got 0"),
    ("experiment=mnist data.val_fraction=1", "data.val_fraction must be in (0, 1), got 1.0"),
    ("experiment=mnist data.imbalance_ratio=0.5", "data.imbalance_ratio must be >= 1, got 0.5"),
    ("logger.wandb.log_model=every", "logger.wandb.log_model must be false, true or 'all', got 'every'"),
])
def test_ranges_are_checked_before_any_work(override, message):
    cfg = compose_train(*override.split())
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config(cfg)


@pytest.mark.parametrize(("override", "message"), [
    ("+logger.wandb.bogus=1", "logger.wandb: FallbackWandbLogger takes no argument bogus; valid:"),
    ("+logger.csv.flush_every=5", "logger.csv: CSVLogger takes no argument flush_every; valid: flush_logs_every"),
    ("+model.optimizer.lrr=1", "model.optimizer: TypeError:"),
    ("model.optimizer._target_=torch.optim.Nope", "model.optimizer: "),
    ("model.optimizer._partial_=false", "model.optimizer._partial_ must be true (the module supplies the parameters)"),
    ("experiment=wsol_cub +model.scheduler.milestone=5", "model.scheduler: TypeError:"),
])
def test_components_are_checked_against_their_target(override, message):
    cfg = compose_train(*override.split())
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config(cfg)


@pytest.mark.parametrize("override", [
    "+logger.wandb.notes=hi",  # an argument of wandb.init, through Lightning's WandbLogger
    "+logger.wandb.job_type=train",
    "+logger.csv.flush_logs_every_n_steps=10",  # an argument of CSVLogger
    "model.optimizer._target_=torch.optim.AdamW +model.optimizer.amsgrad=true",
    "experiment=mnist model.scheduler={_target_:torch.optim.lr_scheduler.StepLR,_partial_:true,step_size:2}",
])
def test_any_argument_of_a_component_works_without_a_code_change(override):
    validate_config(compose_train(*override.split()))


def test_wrong_type_is_rejected():
    with pytest.raises(ConfigCompositionException) as info:
        compose_train("data.dim=five")
    assert "data.dim" in str(info.value.__cause__)
    assert isinstance(info.value.__cause__, ValidationError)


@pytest.mark.parametrize("model", ["mlp", "mine"])
def test_instantiate_straight_from_the_config_gives_loadable_checkpoints(tmp_path, model):
    """instantiate(cfg.data) gives the DataModule and instantiate(cfg.model, ...) the LightningModule,
    whose hyper-parameters stay plain so the checkpoint loads with weights_only=True."""
    import pytorch_lightning as pl
    import torch
    from hydra.utils import get_class, instantiate

    cfg = compose_train(f"model={model}", "data.dim=2")
    dm = instantiate(cfg.data)
    assert type(dm).__name__ == "GMMDataModule" and dm.dim == 2
    extra = {"loss": cfg.loss} if model == "mlp" else {}
    module = instantiate(cfg.model, **extra, **dm.model_kwargs())
    trainer = pl.Trainer(max_steps=1, limit_val_batches=0, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path, enable_checkpointing=False)
    trainer.fit(module, datamodule=dm)
    trainer.save_checkpoint(tmp_path / "m.ckpt")
    torch.load(tmp_path / "m.ckpt", weights_only=True)
    get_class(cfg.model._target_).load_from_checkpoint(tmp_path / "m.ckpt", weights_only=True)


def test_slurm_launcher_follows_the_trainer_devices():
    cfg = compose_train("hydra/launcher=slurm", "trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2")
    launcher = cfg.hydra.launcher
    assert "SlurmLauncher" in launcher._target_
    assert (launcher.gpus_per_node, launcher.tasks_per_node, launcher.nodes) == (4, 4, 2)


def test_joblib_launcher_is_available():
    cfg = compose_train("hydra/launcher=joblib")
    assert "JoblibLauncher" in cfg.hydra.launcher._target_


def test_a_checkpoint_from_before_target_configs_fails_with_one_message(tmp_path):
    import torch

    from infocam_lit.run.restore import RUN_CONFIG_KEY, load_run_config

    path = tmp_path / "old.ckpt"
    torch.save({RUN_CONFIG_KEY: {"model": {"_target_": "infocam_lit.modules.classifier.ClassifierModule",
                                           "net": {"name": "mlp", "hidden_sizes": [100]},
                                           "optimizer": {"name": "adam", "lr": 1e-3}}}}, path)
    with pytest.raises(ConfigError, match="predates networks and optimisers configured by _target_"):
        load_run_config(str(path))


def test_a_file_that_is_not_a_checkpoint_is_named_in_one_message(tmp_path):
    """A truncated copy of a checkpoint, or another kind of file, stops with the file's name, not a pickle
    traceback; a whole checkpoint reads."""
    import torch

    from infocam_lit.run.restore import RUN_CONFIG_KEY, arguments_the_checkpoint_lacks, load_run_config

    whole = tmp_path / "whole.ckpt"
    torch.save({RUN_CONFIG_KEY: {"model": {}}, "state_dict": {"w": torch.ones(1000)}}, whole)
    assert load_run_config(str(whole)) == {"model": {}}
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    text = tmp_path / "notes.ckpt"
    text.write_text("hello\n")
    for path in (truncated, text):
        for read in (load_run_config, arguments_the_checkpoint_lacks):
            with pytest.raises(ConfigError, match=f"{path} is not a readable PyTorch checkpoint"):
                read(str(path))


def test_evaluate_names_its_run_folder_after_the_checkpoints_experiment(tmp_path):
    """A WSOL checkpoint evaluated without experiment=... lands under outputs/wsol_cub/evaluate/, not
    under the composed default's mi_gmm/."""
    import torch

    from infocam_lit.run.restore import RUN_CONFIG_KEY

    path = tmp_path / "wsol.ckpt"
    torch.save({RUN_CONFIG_KEY: {"experiment_name": "wsol_cub", "model": {}}}, path)
    run_dir = compose_train(f"ckpt_path={path}", config_name="evaluate").hydra.run.dir
    assert "/wsol_cub/evaluate/" in run_dir
    for unreadable in (f"ckpt_path={tmp_path / 'absent.ckpt'}", "ckpt_path=null"):
        assert "/mi_gmm/evaluate/" in compose_train(unreadable, config_name="evaluate").hydra.run.dir
    assert "/mi_gmm/evaluate/" in compose_train(config_name="evaluate").hydra.run.dir  # ckpt_path not given


def test_the_progress_bar_can_be_turned_off(monkeypatch):
    from pytorch_lightning.callbacks import RichProgressBar

    from infocam_lit.run import progress
    from infocam_lit.run.build import build_trainer

    monkeypatch.setattr(progress, "interactive", lambda: True)  # as on a terminal
    for wanted in (True, False):
        cfg = compose_train(f"trainer.enable_progress_bar={wanted}", "logger=csv")
        validate_config(cfg)
        trainer = build_trainer(cfg, [])
        assert isinstance(trainer.progress_bar_callback, RichProgressBar) is wanted


@pytest.mark.parametrize(("override", "valid"), [
    ("cam.box_convention=voc", ("infocam_lit", "wsolevaluation")),
    ("experiment=wsol_cub data.eval_split=all", ("test", "official_test")),
])
def test_new_choices_name_their_valid_values(override, valid):
    with pytest.raises(ConfigCompositionException) as info:
        compose_train(*override.split())
    cause = str(info.value.__cause__)
    assert override.split()[-1].split("=")[0] in cause and all(v in cause for v in valid)


def test_unknown_exports_and_map_names_name_the_valid_ones():
    from infocam_lit.run.evaluate import export_callbacks
    from infocam_lit.run.predict import predict

    with pytest.raises(ConfigError, match="export: scoremap unknown; valid: scoremaps"):
        export_callbacks(compose_train("export=scoremap", config_name="evaluate"))
    with pytest.raises(ConfigError, match="export_maps: gradcam unknown; valid: cam, cam_region"):
        export_callbacks(compose_train("export=scoremaps", "export_maps=[cam,gradcam]", config_name="evaluate"))
    predict_cfg = ("ckpt_path=model.ckpt", "images=photos", "logger=csv")
    with pytest.raises(ConfigError, match="export: npy unknown; valid: maps"):
        predict(compose_train(*predict_cfg, "export=npy", config_name="predict"))
    with pytest.raises(ConfigError, match="maps: gradcam unknown; valid: cam, cam_region"):
        predict(compose_train(*predict_cfg, "maps=[gradcam]", config_name="predict"))


def test_gpu_trainers_default_to_bf16_and_a_gpu_without_it_names_16_mixed(monkeypatch):
    import torch

    for trainer in ("gpu", "ddp"):
        assert compose_train(f"trainer={trainer}").trainer.precision == "bf16-mixed"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Tesla V100-SXM2-16GB")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    with pytest.raises(ConfigError, match=r"trainer.precision=bf16-mixed needs a GPU with native bfloat16 .* "
                                          r"Tesla V100-SXM2-16GB has none\. Use trainer.precision=16-mixed"):
        validate_config(compose_train("trainer=gpu"))
    validate_config(compose_train("trainer=gpu", "trainer.precision=16-mixed"))
    monkeypatch.setattr(preflight, "cpu_has_native_bf16", lambda: True)
    validate_config(compose_train("trainer=cpu", "trainer.precision=bf16-mixed"))  # the CPU's own check only
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    validate_config(compose_train("trainer=ddp"))


@pytest.mark.parametrize("overrides", [("trainer=cpu",), ("trainer.accelerator=auto",), ("trainer=ddp_cpu",)])
def test_bf16_on_a_cpu_without_native_bf16_is_refused_in_one_line(monkeypatch, overrides):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(preflight, "cpu_has_native_bf16", lambda: False)
    cfg = compose_train(*overrides, "trainer.precision=bf16-mixed")
    with pytest.raises(ConfigError, match=r"^trainer.precision=bf16-mixed on a CPU needs native bfloat16 \(AVX512_BF16 "
                                          r"or AMX on x86.*Use trainer.precision=32-true$"):
        validate_config(cfg)
    monkeypatch.setattr(preflight, "cpu_has_native_bf16", lambda: True)
    validate_config(cfg)


def test_native_bf16_is_read_from_the_flags_torch_reports(monkeypatch):
    import platform

    import torch

    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    for bf16, amx, expected in ((False, False, False), (True, False, True), (False, True, True)):
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda bf16=bf16: bf16)
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx)
        assert preflight.cpu_has_native_bf16() is expected


@pytest.mark.parametrize(("override", "line"), [
    ("trainer.max_epoch=2", "Error: Could not override 'trainer.max_epoch': Key 'max_epoch' not in 'TrainerConfig'; "
                            "did you mean trainer.max_epochs?"),
    ("data.dimension=3", "Error: Could not override 'data.dimension': Key 'dimension' not in 'GMMDataConfig'; "
                         "did you mean data.dim?"),
    ("model.net.hidden_size=[7]", "Error: Could not override 'model.net.hidden_size': Key 'hidden_size' not in "
                                  "'MLPNetConfig'; did you mean model.net.hidden_sizes?"),
])
def test_an_unknown_key_names_the_closest_valid_one(override, line):
    from infocam_lit.run.cli import did_you_mean

    with pytest.raises(ConfigCompositionException) as info:
        compose_train(override)
    assert did_you_mean(info.value) == line


def test_an_unknown_key_with_nothing_close_keeps_hydras_message():
    from infocam_lit.run.cli import did_you_mean

    with pytest.raises(ConfigCompositionException) as info:
        compose_train("trainer.xyz=2")
    assert did_you_mean(info.value) is None


def test_tags_are_a_list_on_the_command_line_and_in_the_wandb_tags():
    from infocam_lit.run.run_key import run_tags

    for config_name in ("train", "evaluate", "predict"):
        assert list(compose_train(config_name=config_name).tags) == []
    cfg = compose_train("tags=[ablation,lr]", "loss=softmax")
    assert list(cfg.tags) == ["ablation", "lr"]
    assert run_tags(cfg)["tags"] == ["experiment=mi_gmm", "model=mlp", "loss=softmax", "data=gmm", "ablation", "lr"]


@pytest.mark.parametrize("override", ["tags=ablation", "tags=[1,2]", "tags=[[a]]"])
def test_tags_must_be_a_list_of_words(override):
    with pytest.raises(ConfigError, match=re.escape("tags must be a list of strings, e.g. tags=[ablation,lr]")):
        validate_config(compose_train(override))


@pytest.mark.parametrize(("override", "entries"), [
    ("logger=tensorboard", ["csv", "tensorboard"]),
    ("logger=[wandb,tensorboard]", ["csv", "wandb", "tensorboard"]),
    ("logger=[csv,tensorboard]", ["csv", "tensorboard"]),
    ("logger=mlflow", ["csv", "mlflow"]),
    ("logger=[wandb,mlflow]", ["csv", "wandb", "mlflow"]),
    ("+logger.tb._target_=pytorch_lightning.loggers.TensorBoardLogger", ["csv", "wandb", "tb"]),
])
def test_several_loggers_compose(override, entries):
    cfg = compose_train(override)
    validate_config(cfg)
    assert list(cfg.logger) == entries


@pytest.mark.parametrize(("override", "message"), [
    ("+logger.tensorboard.flush_sec=5", "logger.tensorboard: TensorBoardLogger takes no argument flush_sec; valid: "
                                        "comment, default_hp_metric, filename_suffix, flush_secs, log_graph, "
                                        "max_queue, name, prefix, purge_step, save_dir, sub_dir, version"),
    ("+logger@logger.tb=tensorboard", "logger.tb must be a _target_ and its arguments (several loggers: "
                                      "logger=[wandb,tensorboard])"),
])
def test_a_wrong_tensorboard_entry_names_the_valid_ones(override, message):
    cfg = compose_train("logger=tensorboard", override)
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config(cfg)


@pytest.mark.parametrize(("logger", "absent", "extra"), [
    ("tensorboard", ("tensorboard", "tensorboardX"), "tensorboard"),
    ("mlflow", ("mlflow",), "mlflow"),
])
def test_a_logger_without_its_package_names_the_extra(monkeypatch, logger, absent, extra):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in absent else real(name, *a))
    with pytest.raises(ConfigError) as info:
        validate_config(compose_train(f"logger=[wandb,{logger}]"))
    assert str(info.value) == (f'logger.{logger} needs the {absent[0]} package, which is not installed: '
                               f'pip install "infocam_lit[{extra}]" (make install includes it)')


def test_tags_change_no_result_so_no_folder_name():
    from infocam_lit.run.run_key import run_key

    assert run_key(["tags=[ablation,lr]", "seed=1"]) == run_key(["seed=1"]) == "seed=1"


def test_the_overrides_a_checkpoint_was_not_trained_with_are_named(tmp_path):
    import torch

    from infocam_lit.run.restore import RUN_CONFIG_KEY, overrides_unlike_checkpoint

    path = tmp_path / "run.ckpt"
    torch.save({RUN_CONFIG_KEY: {"data": {"dim": 5, "imbalanced": True}, "model": {"net": {"hidden_sizes": [9]}}}},
               path)
    overrides = ["data.dim=10", "data.imbalanced=true", "seed=3", "logger=csv", "model.net.hidden_sizes=[9]"]
    assert overrides_unlike_checkpoint(str(path), overrides) == "data.dim=10 (trained with data.dim=5)"
    assert overrides_unlike_checkpoint(str(path), ["data.imbalanced=false", "model=mine", "+model.net.extra=1"]) == \
        "data.imbalanced=false, model=mine, +model.net.extra=1 (trained with data.imbalanced=true)"
    assert overrides_unlike_checkpoint(str(path), ["seed=1"]) == ""
    assert overrides_unlike_checkpoint(str(tmp_path / "absent.ckpt"), ["data.dim=10"]) == ""


def test_the_one_line_errors_need_hydras_private_seam_and_do_without_it(monkeypatch):
    """cli.suggesting_keys wraps hydra._internal.utils.run_and_report; a Hydra release without it keeps its own
    messages (nothing patched, nothing broken)."""
    import hydra._internal.utils as hydra_utils

    from infocam_lit.run.cli import suggesting_keys

    original = hydra_utils.run_and_report
    with suggesting_keys():
        assert hydra_utils.run_and_report is not original  # wrapped while Hydra runs
    assert hydra_utils.run_and_report is original
    monkeypatch.delattr(hydra_utils, "run_and_report")
    with suggesting_keys():
        assert not hasattr(hydra_utils, "run_and_report")

"""Run folder names: a key made of the overrides that change results, and nothing else."""

import re

from infocam_lit.run.run_key import DEFAULT_KEY, MAX_KEY_LENGTH, run_folder_name, run_key


def test_the_key_holds_the_result_changing_overrides_in_any_order():
    assert run_key(["seed=1", "loss=pc_softmax"]) == run_key(["loss=pc_softmax", "seed=1"]) == "loss=pc_softmax,seed=1"


def test_the_key_ignores_resume_logger_devices_paths_and_hydra():
    ignored = ["ckpt_path=last", "run_id=auto", "sweep_id=x", "experiment=wsol_cub", "logger=csv",
               "logger.wandb.project=p", "trainer.devices=4", "trainer.num_nodes=2", "trainer.strategy=ddp",
               "trainer.accelerator=gpu", "trainer.enable_progress_bar=false", "data.root=/data/cub",
               "data.num_workers=8", "paths.log_dir=/x", "hydra.job.chdir=true", "+hydra.launcher.partition=gpu"]
    assert run_key([*ignored, "data.dim=5"]) == "data.dim=5"
    assert run_key(ignored) == DEFAULT_KEY


def test_keys_that_only_share_a_prefix_are_kept():
    assert run_key(["trainer.devices_extra=1", "loggers=2", "data.rooted=3"]) == \
        "data.rooted=3,loggers=2,trainer.devices_extra=1"


def test_a_key_is_a_single_folder_name_of_bounded_length():
    assert "/" not in run_key(["callbacks.model_checkpoint.monitor=val/loss"])
    long = [f"model.option_{i}=value_{i}" for i in range(40)]
    key = run_key(long)
    assert len(key) == MAX_KEY_LENGTH and key != run_key(long[:-1])  # the hash tells them apart


def test_run_folder_names():
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d", run_folder_name(None, ["seed=1"]))
    assert run_folder_name("auto", ["seed=1"]) == "seed=1"
    assert run_folder_name("baseline", ["seed=1"]) == "baseline"
    assert run_folder_name(None, ["seed=1"], "2026-12-07_21-00-00") == "2026-12-07_21-00-00"  # Hydra's cached ${now:}


def test_added_debug_limits_sort_by_their_key_and_leave_the_swept_values_readable():
    key = run_key(["+trainer.limit_test_batches=2", "+trainer.limit_train_batches=2", "+trainer.limit_val_batches=2",
                   "loss=pc_softmax", "model.net.adl=true", "data.root=/data"])
    assert key.startswith("loss=pc_softmax,model.net.adl=true,+trainer.limit_test_batches=2")

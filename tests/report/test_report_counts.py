"""The report counts honestly: a seed counts once (duplicates are listed, one pooled), an evaluation never pools
with a training run, a checkpoint trained on a few batches is a debug run however it is evaluated, predict
folders are no jobs, defaults come from the schemas, and figures lay out without warnings. Hand-made run
folders, no training."""

import copy
import json
import warnings

import pytest
import yaml

from infocam_lit import report
from infocam_lit.report.configs import debug_settings
from infocam_lit.report.schema_defaults import with_schema_defaults
from tests.helpers.report_runs import (
    classification_config,
    gmm_metrics,
    make_evaluate_run,
    make_run,
    make_training_run,
    mi_config,
    region_size_metrics,
    section,
    training_config,
    wsol_metrics,
)


def table_md(folder, *flags: str) -> str:
    report.main([str(folder), *flags])
    return (folder / "table.md").read_text()


def rewrite_config(folder, change) -> None:
    """Edit a hand-made run's config.yaml in place (`change` mutates the loaded config)."""
    config = yaml.safe_load((folder / "config.yaml").read_text())
    change(config)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))


# ----------------------------------------------------------------------------- one run per seed
def test_runs_of_one_configuration_and_seed_count_once_and_are_listed(tmp_path):
    """Three runs of one config with seed 0 are one seed: the first folder in sorted order is pooled."""
    for folder, estimate in (("a", 1.40), ("b", 1.90), ("c", 0.90)):
        make_run(tmp_path / folder, mi_config("mlp", 0), gmm_metrics(estimate))
    make_run(tmp_path / "d", mi_config("mlp", 1), gmm_metrics(1.42))
    table = table_md(tmp_path)
    table2, sweep = section(table, "### Table 2"), section(table, "### Sweep")
    # seeds 0 (folder a) and 1: 1.41 ± 0.0141, not four runs
    assert "| imbalanced | 5 | pc_softmax | 2 | 1.4449 | 1.4449 | 1.4100 ± 0.0141 |" in table2
    assert "| # | seeds |\n|---|---|\n| 1 | 2 |" in sweep and "| `test/mi` | 1.4100 ± 0.0141 |" in sweep
    for block in (table2, sweep):
        assert "Duplicates, left out" in block and "the first folder in sorted order is pooled" in block
        assert f"- `{tmp_path / 'b'}`: a duplicate of `{tmp_path / 'a'}`" in block
        assert f"- `{tmp_path / 'c'}`: a duplicate of `{tmp_path / 'a'}`" in block
        assert f"- `{tmp_path / 'd'}`" not in block


def test_duplicates_count_once_in_table3_the_imbalance_study_and_table5(tmp_path):
    for seed in range(2):
        for loss, acc in (("softmax", 0.90), ("pc_softmax", 0.92)):
            make_run(tmp_path / f"{loss}{seed}", classification_config("mnist", True, loss, seed),
                     {"test/acc": acc, "test/acc_macro": acc, "test_imb/acc": acc})
        for loss in ("sigmoid", "pc_sigmoid"):
            make_run(tmp_path / f"{loss}{seed}", {"experiment_name": "double_mnist", "seed": seed,
                                                  "loss": {"name": loss}, "data": {}},
                     {"test/acc_digit_mean": 0.9, "test/cam/loc_acc": 0.1, "test/infocam/loc_acc": 0.2})
    # a second softmax run of seed 1 (sorted after "softmax1"), and a second sigmoid run of seed 0
    make_run(tmp_path / "softmax1_again", classification_config("mnist", True, "softmax", 1),
             {"test/acc": 0.10, "test/acc_macro": 0.10, "test_imb/acc": 0.10})
    make_run(tmp_path / "sigmoid0_again", {"experiment_name": "double_mnist", "seed": 0, "loss": {"name": "sigmoid"},
                                           "data": {}}, {"test/acc_digit_mean": 0.1})
    table = table_md(tmp_path)
    table3 = section(table, "### Table 3")
    assert "| mnist | imbalanced | test | 2 / 2 | 90.00 ± 0.00 | 92.00 ± 0.00 |" in table3
    assert f"- `{tmp_path / 'softmax1_again'}`: a duplicate of `{tmp_path / 'softmax1'}`" in table3
    imbalance = section(table, "### Imbalance study")
    assert "| softmax | 10 | 2 | 90.00 ± 0.00 | 90.00 ± 0.00 |" in imbalance
    assert f"- `{tmp_path / 'softmax1_again'}`" in imbalance
    table5 = section(table, "### Table 5")
    assert "| sigmoid | 2 |" in table5 and "| sigmoid | 3 |" not in table5
    # listed at the end of Table 5's part, under its localisation table
    localisation = section(table, "### Double-digit MNIST localisation")
    assert f"- `{tmp_path / 'sigmoid0_again'}`: a duplicate of `{tmp_path / 'sigmoid0'}`" in localisation


def test_duplicate_wsol_runs_count_once(tmp_path):
    for seed in range(2):
        make_training_run(tmp_path / f"seed{seed}", seed)
    make_training_run(tmp_path / "seed1_again", 1, metrics=wsol_metrics(7))
    table = table_md(tmp_path)
    table4 = section(table, "### Table 4")
    assert "| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | cam | 2 | 40.50 ± 0.71 |" in table4
    assert "softmax (2 seeds)" in table4
    assert f"- `{tmp_path / 'seed1_again'}`: a duplicate of `{tmp_path / 'seed1'}`" in table4
    assert f"- `{tmp_path / 'seed1_again'}`" in section(table, "### Table 8")


# ----------------------------------------------------------------------------- evaluations and training runs
def test_an_evaluation_never_pools_with_the_training_run_of_its_checkpoint(tmp_path):
    for loss in ("softmax", "pc_softmax"):
        make_run(tmp_path / f"train_{loss}", classification_config("mnist", True, loss, 0) | {"task_name": "train"},
                 {"test/acc": 0.90, "test/acc_macro": 0.90, "test_imb/acc": 0.9})
    # evaluate.py's own seed is 0 too; its checkpoint's training seed is recorded
    evaluation = classification_config("mnist", True, "softmax", 0) | {
        "task_name": "evaluate", "ckpt_path": str(tmp_path / "train_softmax" / "checkpoints" / "best.ckpt"),
        "checkpoint_run": {"experiment_name": "mnist", "seed": 0, "trainer": {"max_epochs": 8}}}
    make_run(tmp_path / "evaluate_softmax", evaluation, {"test/acc": 0.50, "test/acc_macro": 0.50,
                                                          "test_imb/acc": 0.5})
    table = table_md(tmp_path)
    table3 = section(table, "### Table 3")
    assert "| 2 / 1 |" not in table3
    assert "| mnist | imbalanced | `task_name=evaluate` | test | 1 / 0 | 50.00 |" in table3
    assert "| mnist | imbalanced | `task_name=train` | test | 1 / 1 | 90.00 | 90.00 |" in table3
    assert "Duplicates" not in table3  # not the same configuration
    sweep = section(table, "### Sweep")
    assert "The 3 configurations differ in `loss.name`, `task_name`." in sweep


def test_an_evaluation_counts_as_its_checkpoints_training_seed(tmp_path):
    """Two checkpoints trained with one seed (two training folders) are one seed, whichever folder holds them;
    evaluate.py's own seed says nothing."""
    for trained, seed in (("runs/a", 0), ("runs/b", 0), ("runs/c", 1)):
        folder = tmp_path / trained.replace("/", "_")
        make_evaluate_run(folder, 0, ["cam.region_size=3"], region_size_metrics(seed, 3))
        rewrite_config(folder, lambda config, seed=seed, trained=trained: config.update(
            ckpt_path=f"/outputs/{trained}/checkpoints/best.ckpt",
            checkpoint_run={"experiment_name": "wsol_tiny", "seed": seed, "trainer": None}))
    block = section(table_md(tmp_path), "### Region size")
    assert "| 3 | 2 |" in block
    assert f"- `{tmp_path / 'runs_b'}`: a duplicate of `{tmp_path / 'runs_a'}`" in block


# ----------------------------------------------------------------------------- a checkpoint trained with limits
@pytest.mark.parametrize("checkpoint_run, expected", [
    ({"experiment_name": "wsol_tiny", "seed": 1, "trainer": {"limit_train_batches": 5, "limit_val_batches": None}},
     ["trained with trainer.limit_train_batches=5"]),
    ({"experiment_name": "wsol_tiny", "seed": 1, "trainer": {"fast_dev_run": True}},
     ["trained with trainer.fast_dev_run=true"]),
    ({"experiment_name": "wsol_tiny", "seed": 1, "trainer": {"max_epochs": 30, "limit_train_batches": 1.0}}, []),
    ({"experiment_name": None, "seed": None, "trainer": None}, []),  # a checkpoint from before it was recorded
])
def test_debug_settings_of_the_checkpoints_training(checkpoint_run, expected):
    config = {"trainer": {"limit_test_batches": None}, "checkpoint_run": checkpoint_run}
    assert debug_settings(config) == expected
    assert debug_settings(config | {"trainer": {"limit_test_batches": 2}}) == ["trainer.limit_test_batches=2",
                                                                              *expected]


def test_an_evaluation_of_a_checkpoint_trained_with_limits_is_left_out(tmp_path):
    """Trained on 5 batches, evaluated in full: not a result of the region-size study, listed as a debug run."""
    for seed in range(2):
        folder = tmp_path / f"seed{seed}"
        make_evaluate_run(folder, seed, ["cam.region_size=3"], region_size_metrics(seed, 3))
        trainer = {"limit_train_batches": 5} if seed == 1 else {"limit_train_batches": None}
        rewrite_config(folder, lambda config, seed=seed, trainer=trainer: config.update(
            checkpoint_run={"experiment_name": "wsol_tiny", "seed": seed, "trainer": trainer}))
    block = section(table_md(tmp_path), "### Region size")
    assert "| 3 | 1 |" in block
    assert ("Debug runs, left out (--include-debug takes them in):\n"
            f"- `{tmp_path / 'seed1'}`: trained with trainer.limit_train_batches=5") in block
    included = section(table_md(tmp_path, "--include-debug"), "### Region size")
    assert "| 3 | 2 |" in included and "Debug runs, included (--include-debug):" in included


def test_the_record_of_the_checkpoints_training_never_splits_configurations(tmp_path):
    for seed, checkpoint_run in ((0, {"experiment_name": "wsol_tiny", "seed": 0, "trainer": {"max_epochs": 30}}),
                                 (1, {"experiment_name": None, "seed": None, "trainer": None})):
        folder = tmp_path / f"seed{seed}"
        make_evaluate_run(folder, seed, ["cam.region_size=3"], region_size_metrics(seed, 3))
        rewrite_config(folder, lambda config, checkpoint_run=checkpoint_run: config.update(
            checkpoint_run=checkpoint_run))
    block = section(table_md(tmp_path), "### Region size")
    assert "#### Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax\n" in block
    assert "| 3 | 2 |" in block and "checkpoint_run" not in block


# ----------------------------------------------------------------------------- predict folders
def test_a_predict_folder_is_no_job(tmp_path, capsys):
    for seed in range(2):
        make_run(tmp_path / f"train{seed}", mi_config("mlp", seed), gmm_metrics(1.44))
    predict = {"task_name": "predict", "experiment_name": "predict", "seed": 0, "ckpt_path": "/x/best.ckpt",
               "images": "/x/images"}
    make_run(tmp_path / "predict" / "2026-01-01_00-00-00", predict)
    (tmp_path / "predict" / "2026-01-01_00-00-00" / "predictions.json").write_text(json.dumps([]))
    table = table_md(tmp_path)
    assert "| imbalanced | 5 | pc_softmax | 2 |" in section(table, "### Table 2")
    assert "Failed jobs" not in table and str(tmp_path / "predict") not in table
    assert "| 1 | 2 |" in section(table, "### Sweep")

    only_predictions = tmp_path / "only"
    make_run(only_predictions / "p", predict)
    with pytest.raises(SystemExit, match="no run folders"):
        report.main([str(only_predictions)])


# ----------------------------------------------------------------------------- defaults from the schemas
def test_a_saved_config_is_completed_by_its_schemas_defaults():
    config = {
        "seed": 3, "task_name": "train",
        "data": {"_target_": "infocam_lit.data.gmm.GMMDataModule", "dim": 2, "imbalanced": False},
        "model": {"_target_": "infocam_lit.modules.wsol.WSOLModule",
                  "net": {"_target_": "infocam_lit.nets.wsol.small_gap_cnn", "adl": True}},
        "loss": {"name": "softmax"},
        "cam": {"region_size": 3},
        "trainer": {"max_epochs": 1},
    }
    filled = with_schema_defaults(copy.deepcopy(config))
    data = filled["data"]
    assert (data["dim"], data["imbalanced"], data["noise_dims"], data["size_factor"]) == (2, False, 0, 1.0)
    assert "seed" not in data  # its default interpolates ${seed}: nothing on its own
    assert filled["loss"] == {"name": "softmax", "tau": 1.0, "posthoc_tau": 1.0}
    assert filled["cam"]["region_size"] == 3 and filled["cam"]["region_mode"] == "same"  # a plain value, not an Enum
    net = filled["model"]["net"]
    assert net["adl"] is True and net["pretrained"] is False and net["widths"] == [32, 64, 128]
    assert "optimizer" not in filled["model"]  # ??? in the schema: each option file sets it
    assert filled["trainer"] == {"max_epochs": 1} and filled["seed"] == 3
    # a section of no known schema stays as saved
    other = {"data": {"_target_": "somewhere.Else", "x": 1}}
    assert with_schema_defaults(other) == other


def test_a_wsol_network_without_the_pretrained_key_takes_its_schemas_default(tmp_path):
    """small_gap_cnn's schema says pretrained=false (it has no ImageNet weights); resnet50's says true."""
    for net in ("small_gap_cnn", "resnet50"):
        for seed in range(2):
            config = training_config(seed, net=net)
            config["model"]["_target_"] = "infocam_lit.modules.wsol.WSOLModule"
            del config["model"]["net"]["pretrained"]
            make_run(tmp_path / f"{net}{seed}", config, wsol_metrics(seed))
    table4 = section(table_md(tmp_path), "### Table 4")
    assert "| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | cam | 2 |" in table4
    assert "| Tiny-ImageNet | resnet50 | no | softmax | cam | 2 |" in table4


def test_a_key_an_older_run_lacks_is_read_at_its_default(tmp_path):
    """An older run has no loss.posthoc_tau (its code applied 1.0); a run at 0.5 is another configuration."""
    make_run(tmp_path / "old", classification_config("mnist", True, "softmax", 0), {"test/acc": 0.9})
    newer = classification_config("mnist", True, "softmax", 1)
    newer["loss"]["posthoc_tau"] = 0.5
    make_run(tmp_path / "new", newer, {"test/acc": 0.8})
    sweep = section(table_md(tmp_path), "### Sweep")
    assert "| # | loss.posthoc_tau | seeds |\n|---|---|---|\n| 1 | 0.5 | 1 |\n| 2 | 1.0 | 1 |" in sweep


# ----------------------------------------------------------------------------- figures
def test_figures_with_long_configuration_labels_lay_out_without_warnings(tmp_path):
    """Three configurations whose labels are wider than a panel: the legends fit, matplotlib warns nothing."""
    for lr in (0.001, 0.01, 0.1):
        for seed in range(2):
            config = mi_config("mlp", seed)
            config["model"]["optimizer"] = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": lr,
                                            "weight_decay": 0.0001 * lr}
            config["model"]["scheduler"] = {"_target_": "torch.optim.lr_scheduler.StepLR", "_partial_": True,
                                            "step_size": int(1 / lr)}
            make_run(tmp_path / f"{lr}_{seed}", config, gmm_metrics(1.4 + lr))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = table_md(tmp_path)
    assert "`model.optimizer.lr=0.1, model.optimizer.weight_decay=1e-05, model.scheduler.step_size=10`" in table
    assert (tmp_path / "mi_vs_dim.png").is_file()
    assert [str(w.message) for w in caught if "layout" in str(w.message)] == []

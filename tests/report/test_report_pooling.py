"""The report never pools configurations: runs whose configs differ in more than the seed and bookkeeping go
into rows of their own (a "config" column naming what differs), a sweep folder gets a row per configuration,
and debug runs stay out of every table. Hand-made run folders, no training."""

import copy
import csv

import pytest
import yaml

from infocam_lit import report
from infocam_lit.report.configs import debug_settings, differing_keys, flatten
from infocam_lit.report.render import TABLES, render_tables
from tests.helpers.report_runs import (
    EXACT,
    classification_config,
    gmm_metrics,
    make_evaluate_run,
    make_run,
    mi_config,
    region_size_metrics,
    section,
    training_config,
    wsol_metrics,
)


def with_lr(config: dict, lr: float) -> dict:
    config = copy.deepcopy(config)
    config.setdefault("model", {})["optimizer"] = {"_target_": "torch.optim.Adam", "_partial_": True, "lr": lr}
    return config


def make_real_run(folder, config: dict, metrics: dict) -> None:
    """A run folder as train.py writes it: per-run paths in the resolved config.yaml, and in the unresolved
    .hydra/config.yaml the interpolations they come from."""
    resolved = copy.deepcopy(config) | {"task_name": "train", "sweep_id": "lr",
                                        "paths": {"output_dir": str(folder)},
                                        "logger": {"csv": {"save_dir": str(folder)}}}
    resolved["callbacks"] = {"model_checkpoint": {"dirpath": f"{folder}/checkpoints", "monitor": "val/loss"}}
    make_run(folder, resolved, metrics)
    unresolved = copy.deepcopy(resolved)
    unresolved["data"]["seed"] = "${seed}"
    unresolved["paths"]["output_dir"] = "${hydra:runtime.output_dir}"
    unresolved["logger"]["csv"]["save_dir"] = "${paths.output_dir}"
    unresolved["callbacks"]["model_checkpoint"]["dirpath"] = "${paths.output_dir}/checkpoints"
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump(unresolved))


def table_md(folder, *flags: str) -> str:
    report.main([str(folder), *flags])
    return (folder / "table.md").read_text()


# ----------------------------------------------------------------------------- Table 2 and the sweep table
def test_an_lr_sweep_gives_a_row_per_learning_rate_in_table2_and_the_sweep_table(tmp_path):
    for lr, estimate in ((0.001, 1.44), (0.01, 0.94)):
        for seed in range(2):
            make_real_run(tmp_path / f"model.optimizer.lr={lr},seed={seed}", with_lr(mi_config("mlp", seed), lr),
                          gmm_metrics(estimate + 0.002 * seed))
    table = table_md(tmp_path)
    table2 = section(table, "### Table 2")
    assert "| setting | d | estimator | config | seeds |" in table2
    assert "| pc_softmax | `model.optimizer.lr=0.001` | 2 | 1.4449 | 1.4449 | 1.4410 ± 0.0014 |" in table2
    assert "| pc_softmax | `model.optimizer.lr=0.01` | 2 | 1.4449 | 1.4449 | 0.9410 ± 0.0014 |" in table2
    assert table2.count("| imbalanced | 5 | pc_softmax |") == 2
    sweep = section(table, "### Sweep")
    assert "The 2 configurations differ in `model.optimizer.lr`." in sweep
    assert "| # | model.optimizer.lr | seeds |\n|---|---|---|\n| 1 | 0.001 | 2 |\n| 2 | 0.01 | 2 |" in sweep
    assert "| metric | #1 | #2 |" in sweep and "| `test/mi` | 1.4410 ± 0.0014 | 0.9410 ± 0.0014 |" in sweep
    with (tmp_path / "table2.csv").open() as f:
        assert [row["config"] for row in csv.DictReader(f)] == ["model.optimizer.lr=0.001", "model.optimizer.lr=0.01"]
    with (tmp_path / "sweep.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(row["model.optimizer.lr"], row["seeds"]) for row in rows] == [("0.001", "2"), ("0.01", "2")]
    assert float(rows[1]["test/mi mean"]) == pytest.approx(0.941)


def test_a_seeds_only_sweep_keeps_one_row_whatever_the_bookkeeping(tmp_path):
    """Each run has its own folder, checkpoint path, logger folder and data.seed: one configuration."""
    for seed in range(3):
        make_real_run(tmp_path / f"seed={seed}", with_lr(mi_config("mlp", seed), 0.001), gmm_metrics(1.44))
    table = table_md(tmp_path)
    table2 = section(table, "### Table 2")
    assert "| imbalanced | 5 | pc_softmax | 3 | 1.4449 |" in table2 and "config" not in table2
    sweep = section(table, "### Sweep")
    assert "These runs are one configuration: they differ in the seed only." in sweep
    assert "| # | seeds |\n|---|---|\n| 1 | 3 |" in sweep and "| metric | #1 |" in sweep


def test_a_key_missing_from_older_runs_does_not_split_them(tmp_path):
    """Runs made before data.noise_dims and loss.posthoc_tau existed lack them: still one configuration."""
    for seed in range(4):
        config = with_lr(mi_config("mlp", seed), 0.001)
        if seed >= 2:  # made by a later version
            config["data"]["noise_dims"] = 0
            config["loss"]["posthoc_tau"] = 1.0
        make_run(tmp_path / str(seed), config, gmm_metrics(1.44))
    table = table_md(tmp_path)
    assert "| imbalanced | 5 | pc_softmax | 4 | 1.4449 |" in section(table, "### Table 2")
    assert "| 1 | 4 |" in section(table, "### Sweep")


def test_a_value_against_a_section_splits(tmp_path):
    """model.scheduler: null against a scheduler section is a difference, though the flattened keys differ."""
    for seed in range(2):
        plain = with_lr(mi_config("mlp", seed), 0.001)
        plain["model"]["scheduler"] = None
        make_run(tmp_path / f"plain{seed}", plain, gmm_metrics(1.44))
        stepped = copy.deepcopy(plain)
        stepped["model"]["scheduler"] = {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 10}
        make_run(tmp_path / f"stepped{seed}", stepped, gmm_metrics(1.40))
    table2 = section(table_md(tmp_path), "### Table 2")
    assert "| pc_softmax | `model.scheduler=null` | 2 |" in table2
    assert ("| pc_softmax | `model.scheduler._target_=torch.optim.lr_scheduler.StepLR, model.scheduler.step_size=10` "
            "| 2 |") in table2


def test_signature_helpers():
    assert flatten({"model": {"optimizer": {"lr": 0.1}, "net": {}}, "seed": 1}) == {
        "model.optimizer.lr": 0.1, "model.net": {}, "seed": 1}
    assert differing_keys({"a": 1, "b": 2}, {"a": 1, "c": 3}) == set()  # a key only one has is no difference
    assert differing_keys({"a": 1, "b": 2}, {"a": 2, "b": 2}) == {"a"}
    assert differing_keys({"s": None}, {"s._target_": "x", "s.k": 1}) == {"s", "s._target_", "s.k"}


# ----------------------------------------------------------------------------- the other tables
def test_table3_and_the_imbalance_study_split_by_configuration(tmp_path):
    for lr in (0.01, 0.1):
        for seed in range(2):
            for loss in ("softmax", "pc_softmax"):
                config = with_lr(classification_config("mnist", True, loss, seed), lr)
                base = 0.90 if lr == 0.01 else 0.50
                make_run(tmp_path / f"{loss},lr={lr},seed={seed}", config,
                         {"test/acc": base, "test/acc_macro": base + (0.02 if loss == "pc_softmax" else 0.0),
                          "test_imb/acc": base})
    table = table_md(tmp_path)
    table3 = section(table, "### Table 3")
    assert "| dataset | training set | config | test split | seeds |" in table3
    assert "| mnist | imbalanced | `model.optimizer.lr=0.01` | test | 2 / 2 | 90.00 ± 0.00 | 90.00 ± 0.00 |" in table3
    assert "| mnist | imbalanced | `model.optimizer.lr=0.1` | test | 2 / 2 | 50.00 ± 0.00 | 50.00 ± 0.00 |" in table3
    assert "- mnist, imbalanced training, `model.optimizer.lr=0.1`, `test`: PC-softmax's per-class accuracy is +2.00" \
        in table3
    imbalance = section(table, "### Imbalance study")
    assert "| softmax | 10 | `model.optimizer.lr=0.01` | 2 | 90.00 ± 0.00 | 90.00 ± 0.00 |" in imbalance
    assert "| PC-softmax | 10 | `model.optimizer.lr=0.1` | 2 | 52.00 ± 0.00 | 50.00 ± 0.00 |" in imbalance


def test_estimator_studies_split_by_configuration(tmp_path):
    for lr, offset in ((0.001, 0.0), (0.01, 0.3)):
        for noise_dims in (0, 10):
            for seed in range(2):
                config = with_lr(mi_config("mlp", seed, noise_dims=noise_dims), lr)
                make_run(tmp_path / f"{lr}_{noise_dims}_{seed}", config, gmm_metrics(EXACT - offset))
    noise = section(table_md(tmp_path), "### Nuisance dimensions")
    assert noise.count("| pc_softmax | `model.optimizer.lr=0.01` | 2 | `test/mi` | 1.4449 | 1.1449 ± 0.0000 |") == 2
    assert noise.count("| pc_softmax | `model.optimizer.lr=0.001` | 2 |") == 2  # at D = 0 and D = 10


def test_table5_splits_by_configuration(tmp_path):
    for lr in (0.01, 0.1):
        for seed in range(2):
            for loss in ("sigmoid", "pc_sigmoid"):
                metrics = {f"test/acc_digit/{k}": 0.9 if lr == 0.01 else 0.5 for k in range(10)}
                metrics |= {"test/acc_digit_mean": 0.9 if lr == 0.01 else 0.5, "test/cam/loc_acc": 0.1,
                            "test/infocam/loc_acc": 0.2}
                config = with_lr({"experiment_name": "double_mnist", "seed": seed, "loss": {"name": loss},
                                  "data": {}}, lr)
                make_run(tmp_path / f"{loss},lr={lr},seed={seed}", config, metrics)
    table5 = section(table_md(tmp_path), "### Table 5")
    assert "| loss | config | runs |" in table5
    assert "| sigmoid | `model.optimizer.lr=0.01` | 2 | 0.900 ± 0.000 |" in table5
    assert "| pc_sigmoid | `model.optimizer.lr=0.1` | 2 | 0.500 ± 0.000 |" in table5
    assert "- `model.optimizer.lr=0.1`: Mean per-digit accuracy, PC-sigmoid vs sigmoid: +0.00 points" in table5
    localisation = section(table_md(tmp_path), "### Double-digit MNIST localisation")
    assert "| sigmoid | `model.optimizer.lr=0.01` | cam | 2 | 0.100 ± 0.000 |" in localisation


def test_wsol_tables_split_by_configuration_and_compare_losses_within_one(tmp_path):
    for lr, shift in ((0.01, 0.0), (0.1, -0.2)):
        for seed in range(2):
            for loss in ("softmax", "pc_softmax"):
                config = training_config(seed)
                config["loss"] = {"name": loss}
                config["model"]["optimizer"] = {"_target_": "torch.optim.SGD", "lr": lr}
                metrics = {key: value if "center_gaussian" in key or "full_image" in key else value + shift
                           for key, value in wsol_metrics(seed).items()}  # the baselines need no network
                make_run(tmp_path / f"{loss},lr={lr},seed={seed}", config, metrics)
    table = table_md(tmp_path)
    table4 = section(table, "### Table 4")
    assert "| dataset | architecture | ADL | loss | config | map | runs |" in table4
    assert "| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | `model.optimizer.lr=0.01` | cam | 2 " \
        "| 40.50 ± 0.71 |" in table4
    assert "| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | `model.optimizer.lr=0.1` | cam | 2 " \
        "| 20.50 ± 0.71 |" in table4
    # each PC-softmax group is compared with the softmax runs of its own configuration: the same values, p = 1
    assert "| pc_softmax | `model.optimizer.lr=0.1` | cam | 2 | 20.50 ± 0.71 | 0.00 ± 0.00 | 40.50 ± 0.71 | 1.000 |" \
        in table4
    # once per dataset, from every run: a baseline needs no network
    assert "| Tiny-ImageNet | — | — | — | — | center_gaussian (no network) | 8 | 45.00 | — | 58.00 |" in table4
    assert "- Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax, `model.optimizer.lr=0.1` (2 seeds): " \
        in table4
    assert "| small_gap_cnn (from scratch) | no | pc_softmax | `model.optimizer.lr=0.01` | cam | 2 |" in section(
        table, "### Table 7")
    assert "| softmax | `model.optimizer.lr=0.1` | region only | 23.50 ± 0.71 |" in section(table, "### Table 8")


def test_region_size_blocks_split_by_configuration(tmp_path):
    for lr in (0.01, 0.1):
        for seed in range(2):
            for size in (1, 3):
                folder = tmp_path / f"lr{lr}" / f"seed{seed}" / f"cam.region_size={size}"
                make_evaluate_run(folder, seed, [f"cam.region_size={size}"], region_size_metrics(seed, size),
                                  region_size=size)
                config = yaml.safe_load((folder / "config.yaml").read_text())
                config["model"]["optimizer"] = {"_target_": "torch.optim.SGD", "lr": lr}
                (folder / "config.yaml").write_text(yaml.safe_dump(config))
    block = section(table_md(tmp_path), "### Region size")
    assert "#### Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax, `model.optimizer.lr=0.01`" in block
    assert "#### Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax, `model.optimizer.lr=0.1`" in block
    assert block.count("| 3 | 2 | 42.50 ± 0.71 | 50.50 ± 0.71 |") == 2


# ----------------------------------------------------------------------------- layouts
def test_no_sweep_table_in_the_results_layout(tmp_path):
    results = tmp_path / "results"
    for seed in range(2):
        make_run(results / "table3" / str(seed), classification_config("mnist", True, "softmax", seed),
                 {"test/acc": 0.95, "test/acc_macro": 0.90})
    rendered = render_tables(results, tmp_path / "out", tmp_path)
    assert "table3" in rendered and "sweep" not in rendered
    assert TABLES["sweep"].folder is None


# ----------------------------------------------------------------------------- debug runs
@pytest.mark.parametrize("trainer, expected", [
    ({}, []),
    ({"fast_dev_run": False, "limit_train_batches": None, "limit_val_batches": 1.0, "overfit_batches": 0.0}, []),
    ({"fast_dev_run": True}, ["trainer.fast_dev_run=true"]),
    ({"fast_dev_run": 3}, ["trainer.fast_dev_run=3"]),
    ({"limit_train_batches": 5}, ["trainer.limit_train_batches=5"]),
    ({"limit_val_batches": 1}, ["trainer.limit_val_batches=1"]),  # an int counts batches: one batch
    ({"limit_test_batches": 0.25, "limit_predict_batches": 0.5},
     ["trainer.limit_test_batches=0.25", "trainer.limit_predict_batches=0.5"]),
    ({"overfit_batches": 0.1}, ["trainer.overfit_batches=0.1"]),
    ({"overfit_batches": 0.0, "profiler": None}, []),  # the schema's defaults since debug=overfit and =profiler
    ({"profiler": "simple"}, ["trainer.profiler=simple"]),
    ({"max_epochs": 1, "profiler": {"_target_": "pytorch_lightning.profilers.SimpleProfiler", "filename": "profiler"}},
     ["trainer.profiler=pytorch_lightning.profilers.SimpleProfiler"]),  # debug=profiler: one whole epoch, timed
])
def test_debug_settings(trainer, expected):
    assert debug_settings({"trainer": trainer}) == expected


def test_debug_runs_are_left_out_of_every_table_and_listed(tmp_path):
    trainer = {"fast_dev_run": False, "limit_train_batches": None, "limit_val_batches": 1.0}
    for seed in range(2):
        make_run(tmp_path / f"real{seed}", mi_config("mlp", seed) | {"trainer": trainer}, gmm_metrics(1.44))
    make_run(tmp_path / "quick", mi_config("mlp", 5) | {"trainer": trainer | {"limit_train_batches": 5}},
             gmm_metrics(0.5))
    make_run(tmp_path / "smoke", mi_config("mlp", 6) | {"trainer": trainer | {"fast_dev_run": True}}, gmm_metrics(0.5))
    table = table_md(tmp_path)
    table2, sweep = section(table, "### Table 2"), section(table, "### Sweep")
    assert "| imbalanced | 5 | pc_softmax | 2 | 1.4449 | 1.4449 | 1.4400 ± 0.0000 |" in table2
    assert "| 1 | 2 |" in sweep and "| `test/mi` | 1.4400 ± 0.0000 |" in sweep  # no debug run in the sweep table
    for block in (table2, sweep):
        assert "Debug runs, left out (--include-debug takes them in):" in block
        assert f"- `{tmp_path / 'quick'}`: trainer.limit_train_batches=5" in block
        assert f"- `{tmp_path / 'smoke'}`: trainer.fast_dev_run=true" in block

    # taken in, listed as included, and still never pooled with the real runs: their configs differ
    included = section(table_md(tmp_path, "--include-debug"), "### Table 2")
    assert "Debug runs, included (--include-debug):" in included
    assert "| pc_softmax | `trainer.fast_dev_run=false, trainer.limit_train_batches=null` | 2 | 1.4449 |" in included
    assert "| pc_softmax | `trainer.fast_dev_run=false, trainer.limit_train_batches=5` | 1 | 1.4449 |" in included
    assert "| pc_softmax | `trainer.fast_dev_run=true, trainer.limit_train_batches=null` | 1 | 1.4449 |" in included


def test_a_folder_of_debug_runs_only_says_so(tmp_path):
    make_run(tmp_path / "quick", mi_config("mlp", 0) | {"trainer": {"limit_train_batches": 5}}, gmm_metrics(0.5))
    table = table_md(tmp_path)
    assert "### Table 2" not in table and "### Sweep" not in table
    assert f"Debug runs, left out (--include-debug takes them in):\n- `{tmp_path / 'quick'}`" in table


def test_a_profiled_run_is_left_out_like_the_other_debug_runs(tmp_path):
    profiler = {"_target_": "pytorch_lightning.profilers.SimpleProfiler", "filename": "profiler"}
    for seed in range(2):
        make_run(tmp_path / f"real{seed}", mi_config("mlp", seed), gmm_metrics(1.44))
    make_run(tmp_path / "timed", mi_config("mlp", 2) | {"trainer": {"max_epochs": 1, "profiler": profiler}},
             gmm_metrics(0.9))
    table2 = section(table_md(tmp_path), "### Table 2")
    assert "| imbalanced | 5 | pc_softmax | 2 | 1.4449 | 1.4449 | 1.4400 ± 0.0000 |" in table2
    assert "0.9000" not in table2
    assert f"- `{tmp_path / 'timed'}`: trainer.profiler=pytorch_lightning.profilers.SimpleProfiler" in table2

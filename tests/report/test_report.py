"""The report's tables from hand-made run folders (no training): values, p-values, failed jobs."""

import math

import pytest

from infocam_lit import report
from infocam_lit.report.runs import mann_whitney_p
from tests.helpers.report_runs import classification_config, make_run, mi_config, plain_wsol_metrics


def test_mann_whitney_matches_the_exact_small_sample_value():
    # five against five, completely separated: the exact two-sided p is 2 / C(10, 5)
    assert mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)
    assert math.isnan(mann_whitney_p([1.0], [2.0, 3.0]))


def test_table3_from_runs(tmp_path, capsys):
    for seed in range(5):
        for loss, offset in (("softmax", 0.0), ("pc_softmax", 0.01)):
            metrics = {"test/acc": 0.95 + offset + 0.001 * seed, "test/acc_macro": 0.90 + 2 * offset + 0.001 * seed,
                       "test_imb/acc": 0.9, "test_imb/acc_macro": 0.85}
            if loss == "softmax":
                metrics["test/acc_macro_posthoc"] = 0.905
            make_run(tmp_path / f"{loss}_{seed}", classification_config("mnist", True, loss, seed), metrics)
    make_run(tmp_path / "died", classification_config("mnist", True, "softmax", 9))
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "| mnist | imbalanced | test | 5 / 5 | 95.20 ± 0.16 | 96.20 ± 0.16 | 0.008 |" in table
    assert "| 90.20 ± 0.16 | 92.20 ± 0.16 | 0.008 | 90.50 ± 0.00 |" in table
    assert "| mnist | imbalanced | test_imb | 5 / 5 |" in table and "96.8% / 96.9%" in table  # paper, matched split
    assert "Failed jobs" in table and "died" in table
    rows = (tmp_path / "table3.csv").read_text().splitlines()
    assert len(rows) == 3 and "softmax acc mean" in rows[0]
    assert (tmp_path / "table.csv").is_file()


def test_readme_blocks_are_replaced(tmp_path):
    runs = tmp_path / "runs"
    for seed in range(2):
        make_run(runs / str(seed), classification_config("mnist", False, "pc_softmax", seed),
                 {"test/acc": 0.98, "test/acc_macro": 0.97})
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:table3 -->\nold\n<!-- /results:table3 -->\nend\n")
    report.main([str(runs), "--readme", str(readme)])
    text = readme.read_text()
    assert "old" not in text and "### Table 3" in text and text.startswith("intro") and text.endswith("end\n")


def test_wsol_tables_from_runs(tmp_path):
    # a resolved config has every section, each key its schema had (the cam section at its defaults here)
    config = {"experiment_name": "wsol_cub", "seed": 0, "loss": {"name": "softmax"}, "cam": {},
              "model": {"net": {"name": "vgg16_gap", "pretrained": True, "adl": False}}, "data": {}}
    for seed in range(2):
        make_run(tmp_path / str(seed), {**config, "seed": seed}, plain_wsol_metrics(0.0))
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "### Table 4" in table and "### Table 6" in table and "### Table 8" in table
    assert "### Table 7" not in table  # no Tiny-ImageNet runs
    assert "p vs softmax" not in table  # one loss only
    assert "| CUB | vgg16_gap | no | softmax | cam | 2 | 40.00 ± 0.00 | 30.00 ± 0.00 | 60.00 ± 0.00 | 42.5% / 31.4% |" \
        in table
    assert ("| vgg16_gap | no | softmax | infocam | 2 | 55.00 ± 0.00 | 45.00 ± 0.00 | 74.00 ± 0.00 | 92.00 ± 0.00 "
            "| 53.0% / 39.8% | 74.0% / 91.8% |") in table
    assert "| CUB | vgg16_gap | no | softmax | region only | 45.00 ± 0.00 | 35.00 ± 0.00 | 53.4% / 40.2% |" in table
    for name in ("table4", "table6", "table8"):
        assert (tmp_path / f"{name}.csv").is_file(), name


def test_wsol_losses_are_compared_by_mann_whitney(tmp_path):
    for seed in range(3):
        for loss, shift in (("softmax", 0.001 * seed), ("pc_softmax", 0.1 + 0.01 * seed)):
            config = {"experiment_name": "wsol_tiny", "seed": seed, "loss": {"name": loss},
                      "model": {"net": {"name": "resnet50", "pretrained": True, "adl": True}}, "data": {},
                      "cam": {}}
            make_run(tmp_path / f"{loss}{seed}", config, plain_wsol_metrics(shift))
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "### Table 7: localisation and classification on Tiny-ImageNet" in table and "### Table 6" not in table
    # 3 against 3, fully separated: the smallest two-sided p; the paper trained softmax only
    assert "| Tiny-ImageNet | resnet50 | yes | pc_softmax | cam | 3 | 51.00 ± 1.00 | 30.00 ± 0.00 | 60.00 ± 0.00 " \
        "| 0.100 | — | — |" in table
    assert "| Tiny-ImageNet | resnet50 | yes | softmax | cam | 3 | 40.10 ± 0.10 | 30.00 ± 0.00 | 60.00 ± 0.00 " \
        "|  | 52.7% / 36.9% | — |" in table


def test_table5_from_runs(tmp_path):
    for seed in range(3):
        for loss, recall in (("sigmoid", 0.85), ("pc_sigmoid", 0.95)):
            metrics = {f"test/acc_digit/{k}": recall + 0.01 * seed for k in range(10)}
            metrics |= {"test/acc_digit_mean": recall + 0.01 * seed, "test/cam/loc_acc": 0.9,
                        "test/infocam/loc_acc": 0.97}
            make_run(tmp_path / f"{loss}{seed}", {"experiment_name": "double_mnist", "seed": seed,
                                                  "loss": {"name": loss}, "data": {}}, metrics)
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "| sigmoid | 3 | 0.860 ± 0.010 |" in table and "| pc_sigmoid | 3 | 0.960 ± 0.010 |" in table
    assert "PC-sigmoid vs sigmoid: +10.00 points (p = 0.100)" in table  # 3 against 3, fully separated: the smallest p
    assert "| pc_sigmoid | infocam | 3 | 0.970 ± 0.000 | 98.0% |" in table


def test_collect_runs_copies_the_summaries_of_finished_runs_only(tmp_path, capsys):
    from infocam_lit.report import collect_runs

    done, running = tmp_path / "sweep" / "loss=softmax,seed=0", tmp_path / "sweep" / "loss=softmax,seed=1"
    make_run(done, classification_config("mnist", False, "softmax", 0), {"test/acc": 0.98})
    (done / ".hydra" / "overrides.yaml").write_text("- loss=softmax\n- seed=0\n")
    (done / "timing.json").write_text('{"wall_time_s": 61.5, "invocations": 1}\n')
    (done / "checkpoints").mkdir()
    (done / "checkpoints" / "best.ckpt").write_bytes(b"weights")
    (done / "train.log").write_text("log")
    make_run(running, classification_config("mnist", False, "softmax", 1))
    collect_runs.main([str(tmp_path / "results"), str(done), str(running)])
    copied = tmp_path / "results" / done.name
    files = sorted(str(p.relative_to(copied)) for p in copied.rglob("*") if p.is_file())
    assert files == [".hydra/config.yaml", ".hydra/overrides.yaml", "config.yaml", "metrics.json", "timing.json"]
    assert not (tmp_path / "results" / running.name).exists()
    assert f"not finished, left out: {running}" in capsys.readouterr().out


def test_collect_runs_never_replaces_a_finished_summary(tmp_path, capsys):
    from infocam_lit.report import collect_runs

    committed, remade = tmp_path / "results" / "seed=0", tmp_path / "sweep" / "seed=0"
    make_run(committed, classification_config("mnist", False, "softmax", 0), {"test/acc": 0.98})
    (committed / "timing.json").write_text('{"wall_time_s": 61.5, "invocations": 1}\n')
    before = {p: p.read_bytes() for p in committed.rglob("*") if p.is_file()}
    # the same run made again: the same metrics, another wall time, and per-image results the first lacked
    make_run(remade, classification_config("mnist", False, "softmax", 0), {"test/acc": 0.98})
    (remade / "timing.json").write_text('{"wall_time_s": 70.0, "invocations": 1}\n')
    (remade / "per_image.csv.gz").write_bytes(b"rows")
    collect_runs.main([str(tmp_path / "results"), str(remade)])
    assert all(p.read_bytes() == data for p, data in before.items())  # nothing it had was replaced
    assert (committed / "per_image.csv.gz").read_bytes() == b"rows"  # what it lacked was added
    assert f"kept as it was (the run's copy differs): {committed / 'timing.json'}" in capsys.readouterr().out
    # a run with other metrics under the same name: refused whole
    (remade / "metrics.json").write_text('{"test/acc": 0.5}')
    collect_runs.main([str(tmp_path / "results"), str(remade)])
    assert (committed / "metrics.json").read_bytes() == before[committed / "metrics.json"]
    assert f"refused, nothing copied: {remade}: its metrics.json differs" in capsys.readouterr().out


def test_collect_runs_help_names_its_command(capsys):
    from infocam_lit.report import collect_runs

    with pytest.raises(SystemExit):
        collect_runs.main(["--help"])
    assert capsys.readouterr().out.startswith("usage: python -m infocam_lit.report.collect_runs [-h]")


def test_results_folder_tables_read_their_own_runs_and_check_finds_stale_blocks(tmp_path, capsys):
    """docs/results layout: each table renders from its own sub-folder only (the same run may sit in
    two), --check writes nothing and exits 1 on a stale block, 0 once re-rendered."""
    results = tmp_path / "docs" / "results"
    for seed in range(2):
        make_run(results / "table3" / f"soft{seed}", classification_config("mnist", True, "softmax", seed),
                 {"test/acc": 0.95, "test/acc_macro": 0.90})
        make_run(results / "imbalance" / f"pc{seed}", classification_config("mnist", True, "pc_softmax", seed),
                 {"test/acc": 0.96, "test/acc_macro": 0.93})
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:table3 -->\nold\n<!-- /results:table3 -->\n"
                      "<!-- results:imbalance -->\nold\n<!-- /results:imbalance -->\n")
    before = sorted(p for p in tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as stale:
        report.main([str(results), "--readme", str(readme), "--check"])
    assert stale.value.code == 1 and "stale results blocks: table3, imbalance" in capsys.readouterr().out
    assert sorted(p for p in tmp_path.rglob("*")) == before  # --check wrote nothing
    report.main([str(results), "--readme", str(readme)])
    text = readme.read_text()
    table3_block = text.split("<!-- results:table3 -->")[1].split("<!-- /results:table3 -->")[0]
    assert "| 2 / 0 |" in table3_block  # the softmax runs of table3/ only, not imbalance/'s PC-softmax runs
    imbalance_block = text.split("<!-- results:imbalance -->")[1]
    assert "| PC-softmax | 10 | 2 | 93.00 ± 0.00 |" in imbalance_block and "| softmax |" not in imbalance_block
    assert "![macro accuracy vs ρ](docs/results/imbalance/macro_acc_vs_ratio.png)" in imbalance_block
    assert (results / "imbalance" / "macro_acc_vs_ratio.png").is_file()
    assert (results / "table3" / "table3.csv").is_file()
    with pytest.raises(SystemExit) as fresh:
        report.main([str(results), "--readme", str(readme), "--check"])
    assert fresh.value.code == 0


def test_imbalance_study_table(tmp_path):
    """One row per method and rho; the post-hoc row comes from the softmax runs; rho = 1 is a balanced
    run whatever its ratio; PC-softmax and logit-adjusted runs of a seed are compared."""
    def config(loss, seed, imbalanced, ratio, tau=1.0):
        return {"experiment_name": "mnist", "seed": seed, "loss": {"name": loss, "tau": tau},
                "data": {"imbalanced": imbalanced, "imbalance_ratio": ratio}}

    for seed in range(2):
        make_run(tmp_path / f"soft1_{seed}", config("softmax", seed, False, 10),
                 {"test/acc_macro": 0.99, "test/acc_macro_posthoc": 0.985, "test_imb/acc": 0.98,
                  "test_imb/acc_posthoc": 0.97})
        make_run(tmp_path / f"soft100_{seed}", config("softmax", seed, True, 100),
                 {"test/acc_macro": 0.80 + 0.02 * seed, "test/acc_macro_posthoc": 0.90, "test_imb/acc": 0.95,
                  "test_imb/acc_posthoc": 0.93})
        make_run(tmp_path / f"pc100_{seed}", config("pc_softmax", seed, True, 100),
                 {"test/acc_macro": 0.92, "test_imb/acc": 0.94})
        make_run(tmp_path / f"la100_{seed}", config("logit_adjusted", seed, True, 100),
                 {"test/acc_macro": 0.92 - 0.001 * seed, "test_imb/acc": 0.94})
        make_run(tmp_path / f"la_tau2_{seed}", config("logit_adjusted", seed, True, 100, tau=2.0),
                 {"test/acc_macro": 0.5, "test_imb/acc": 0.5})
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "| softmax | 1 | 2 | 99.00 ± 0.00 | 98.00 ± 0.00 |" in table
    assert "| softmax | 100 | 2 | 81.00 ± 1.41 | 95.00 ± 0.00 |" in table
    assert "| softmax + post-hoc | 100 | 2 | 90.00 ± 0.00 | 93.00 ± 0.00 |" in table
    assert "| PC-softmax | 100 | 2 | 92.00 ± 0.00 | 94.00 ± 0.00 |" in table
    assert "| logit-adjusted (τ = 1) | 100 | 2 | 91.95 ± 0.07 |" in table and "50.00" not in table  # tau = 2 left out
    assert "over the 2 pairs of runs with the same seed and ρ" in table and "at most 0.10 points (mean 0.05)" in table
    assert (tmp_path / "macro_acc_vs_ratio.png").is_file()


def test_published_wsolevaluation_numbers_only_beside_runs_measured_its_way(tmp_path):
    base = {"experiment_name": "wsol_cub", "loss": {"name": "softmax"},
            "model": {"net": {"name": "vgg16_gap", "pretrained": True, "adl": False}}}
    theirs = {"cam": {"box_convention": "wsolevaluation", "threshold_step": 0.001},
              "data": {"eval_split": "official_test"}}
    make_run(tmp_path / "ours", {**base, "seed": 0, "cam": {"threshold_step": 0.01}, "data": {}},
             plain_wsol_metrics(0.0))
    make_run(tmp_path / "theirs", {**base, "seed": 0, **theirs}, plain_wsol_metrics(0.1))
    coarse = {**theirs, "cam": {"box_convention": "wsolevaluation", "threshold_step": 0.01}}
    make_run(tmp_path / "coarse", {**base, "seed": 1, **coarse}, plain_wsol_metrics(0.2))  # its way, but step 0.01
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    table4 = table.split("### Table 4")[1].split("###")[0]
    assert "| CUB | vgg16_gap | no | softmax | cam | 1 | 40.00 |" in table4  # the project's run only
    assert "63.7%" not in table4
    assert "| CUB | vgg16_gap | no | softmax | cam | 1 | 60.00 | 63.7% |" in table.split(
        "### MaxBoxAccV2 as wsolevaluation measures it")[1]


def test_estimator_studies_from_runs(tmp_path):
    """Absolute error per estimator and D (test/mi) or f (kNN: train/mi); Table 2 keeps the paper's sample only."""
    exact = 1.4449
    for seed in range(2):
        for model, offset in (("mlp", 0.01), ("mine", -0.02), ("knn", 0.03)):
            for noise_dims in (0, 10):
                estimate = exact + offset * (1 + noise_dims) + 0.002 * seed
                make_run(tmp_path / f"noise_{model}_{noise_dims}_{seed}", mi_config(model, seed, noise_dims=noise_dims),
                         {"test/mi": estimate, "test/mi_se": 0.004, "test/mi_true": exact, "test/mi_mc": exact,
                          "train/mi": exact})
            make_run(tmp_path / f"size_{model}_{seed}", mi_config(model, seed, size_factor=0.01),
                     {"test/mi": exact - 0.1, "test/mi_se": 0.004, "test/mi_true": exact, "test/mi_mc": exact,
                      "train/mi": exact + 0.05 + 0.01 * seed})
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    noise = table[table.index("### Nuisance dimensions"):table.index("### Sample size")]
    assert "**D = 10**" in noise and "| mine | 2 | `test/mi` | 1.4449 | 1.2259 ± 0.0014 | 0.2190 ± 0.0014 |" in noise
    assert "| knn | 2 | `test/mi` | 1.4449 | 1.4759 ± 0.0014 | 0.0310 ± 0.0014 |" in noise  # D = 0
    sample = table[table.index("### Sample size"):]
    assert "**f = 0.01 (750 training points)**" in sample
    assert "| knn | 2 | `train/mi` | 1.4449 | 1.4999 ± 0.0071 | 0.0550 ± 0.0071 |" in sample
    assert "| pc_softmax | 2 | `test/mi` | 1.4449 | 1.3449 ± 0.0000 | 0.1000 ± 0.0000 |" in sample
    # Table 2: the D = 0, f = 1 runs only (2 seeds per estimator)
    assert "| imbalanced | 5 | knn | 2 | 1.4449 |" in table and "| imbalanced | 5 | mine | 2 |" in table
    for figure in ("abs_error_vs_noise_dims.png", "abs_error_vs_size_factor.png", "mi_vs_dim.png"):
        assert (tmp_path / figure).is_file(), figure
    assert {row.split(",")[0] for row in (tmp_path / "mi_noise_dims.csv").read_text().splitlines()[1:]} == {"0", "10"}


def test_no_estimator_study_without_runs_that_vary_it(tmp_path):
    for seed in range(2):
        make_run(tmp_path / f"knn_{seed}", mi_config("knn", seed),
                 {"test/mi": 1.44, "test/mi_se": 0.004, "test/mi_true": 1.4449, "test/mi_mc": 1.4449, "train/mi": 1.4})
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "### Table 2" in table and "Nuisance dimensions" not in table and "Sample size" not in table

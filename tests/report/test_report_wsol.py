"""Tables 4, 6, 7, 8 and the region-size study from hand-made WSOL run folders (no training): the
architecture as trained, the no-network baselines, the p-values and sentences under Table 4, and
evaluate runs kept out of the training tables."""

import csv

import pytest
from scipy.stats import ttest_1samp

from infocam_lit import report
from tests.helpers.report_runs import (
    make_evaluate_run,
    make_per_image,
    make_training_run,
    region_size_metrics,
    section,
    wsol_metrics,
)


def test_architecture_as_trained_and_paper_values_beside_pretrained_networks_only(tmp_path):
    for seed in range(2):
        make_training_run(tmp_path / f"scratch{seed}", seed, net="resnet50", pretrained=False)
        make_training_run(tmp_path / f"pretrained{seed}", seed, net="resnet50", pretrained=True)
    report.main([str(tmp_path)])
    table4 = section((tmp_path / "table.md").read_text(), "### Table 4")
    # two groups, not one of four runs; the paper's Tiny-ImageNet resnet50 CAM (54.56 / 40.55) beside the pretrained
    assert "| Tiny-ImageNet | resnet50 | no | softmax | cam | 2 | 40.50 ± 0.71 | 20.00 ± 0.00 | 60.50 ± 0.71 " \
        "| 54.6% / 40.5% |" in table4
    assert "| Tiny-ImageNet | resnet50 (from scratch) | no | softmax | cam | 2 | 40.50 ± 0.71 | 20.00 ± 0.00 " \
        "| 60.50 ± 0.71 | — |" in table4
    table7 = section((tmp_path / "table.md").read_text(), "### Table 7")
    assert "| resnet50 | no | softmax | cam | 2 | 40.50 ± 0.71 | 20.00 ± 0.00 | 40.50 ± 0.71 | 70.00 ± 0.00 " \
        "| 54.6% / 40.5% | 66.5% / 86.2% | 42.50 ± 0.71 | 20.00 ± 0.00 |" in table7
    assert "| resnet50 (from scratch) | no | softmax | cam | 2 | 40.50 ± 0.71 | 20.00 ± 0.00 | 40.50 ± 0.71 " \
        "| 70.00 ± 0.00 | — | — | 42.50 ± 0.71 | 20.00 ± 0.00 |" in table7


def test_baseline_rows_in_every_table_once_per_dataset(tmp_path):
    for seed in range(2):
        make_training_run(tmp_path / f"tiny{seed}", seed)
        make_training_run(tmp_path / f"tiny_adl{seed}", seed, adl=True)
        make_training_run(tmp_path / f"cub{seed}", seed, net="vgg16_gap", pretrained=True, experiment="wsol_cub")
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    table4 = section(table, "### Table 4")
    # four runs of Tiny-ImageNet, one row each; no "± 0.00" for a value every run shares; "—" where none applies
    assert "| Tiny-ImageNet | — | — | — | center_gaussian (no network) | 4 | 45.00 | — | 58.00 | — | 47.00 | — " \
        "| 0.35 |" in table4
    assert "| Tiny-ImageNet | — | — | — | full_image (no network) | 4 | 30.00 | — | 31.00 | — | 30.00 | — | — |" \
        in table4
    assert "| CUB | — | — | — | center_gaussian (no network) | 2 | 45.00 | — | 58.00 | — | 47.00 | — | 0.35 |" in table4
    assert table4.count("center_gaussian (no network)") == 2
    # each dataset's baselines close its block: the CUB rows come before the first Tiny-ImageNet row
    assert table4.index("| CUB | — | — | — | full_image") < table4.index("| Tiny-ImageNet | small_gap_cnn")
    table7 = section(table, "### Table 7")
    assert "| — | — | — | center_gaussian (no network) | 4 | 45.00 | — | — | — | — | — | 47.00 | — |" in table7
    assert "| — | — | — | full_image (no network) | 4 | 30.00 | — | — | — | — | — | 30.00 | — |" in table7
    table6 = section(table, "### Table 6")
    assert "| — | — | — | center_gaussian (no network) | 2 | 45.00 |" in table6 and "Tiny" not in table6
    table8 = section(table, "### Table 8")
    assert "| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | region only | 43.50 ± 0.71 " \
        "| 21.50 ± 0.00 | — | 44.50 ± 0.71 | 61.50 ± 0.71 |" in table8
    assert "| Tiny-ImageNet | — | — | — | center_gaussian (no network) | 45.00 | — | — | 47.00 | 58.00 |" in table8
    with (tmp_path / "table4.csv").open() as f:
        baselines = [row for row in csv.DictReader(f) if row["architecture"] == "no network"]
    assert [(row["dataset"], row["map"], row["runs"]) for row in baselines] == [
        ("wsol_cub", "center_gaussian", "2"), ("wsol_cub", "full_image", "2"),
        ("wsol_tiny", "center_gaussian", "4"), ("wsol_tiny", "full_image", "4")]
    assert float(baselines[0]["gt_known_loc_val_tau mean"]) == pytest.approx(0.47)


def test_baselines_that_differ_between_runs_show_their_spread(tmp_path):
    for seed in range(2):
        metrics = wsol_metrics(seed) | {"test/center_gaussian/gt_known_loc": 0.45 + 0.1 * seed}
        make_training_run(tmp_path / str(seed), seed, metrics=metrics)
    report.main([str(tmp_path)])
    assert "| center_gaussian (no network) | 2 | 50.00 ± 7.07 |" in (tmp_path / "table.md").read_text()


def test_paired_statistics_and_sentences_under_table4(tmp_path):
    for seed in range(3):
        make_training_run(tmp_path / str(seed), seed)
    report.main([str(tmp_path)])
    table4 = section((tmp_path / "table.md").read_text(), "### Table 4")
    # every seed gives infoCAM the same +10 points: the exact Wilcoxon test's floor for 3 seeds (2 / 2^3), no
    # t-test (zero variance), a seed-only interval (no per-image results) that collapses on the difference
    assert ("| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | infoCAM vs CAM | GT-known (val τ) | 3 "
            "| +10.00 (+10.00 to +10.00) [seeds] | 0.25 (floor) | — | — | — |") in table4
    # against the centre baseline, one number (47 % at val τ): one-sample tests of CAM's 42, 43, 44 %
    t_p = ttest_1samp([0.42 - 0.47, 0.43 - 0.47, 0.44 - 0.47], 0.0).pvalue
    assert (f"| CAM vs the centre baseline | GT-known (val τ) | 3 | -4.00 (-5.00 to -3.00) [seeds] | 0.25 (floor) "
            f"| {t_p:.3g} | — | — |") in table4
    assert "p vs softmax" not in table4  # one loss: the column stays away
    assert ("- Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax (3 seeds): infoCAM vs CAM at val τ "
            "+10.00 points (95 % CI +10.00 to +10.00; Wilcoxon p = 0.25, its floor for 3 seeds), MaxBoxAccV2 "
            "+4.00 points (95 % CI +4.00 to +4.00; Wilcoxon p = 0.25, its floor for 3 seeds);") in table4
    assert "best map at val τ (infoCAM+) vs the centre baseline at its own val τ +11.00 points" in table4
    assert "wall time per run 110 s." in table4
    assert "Mann-Whitney" not in table4 and "is not recorded by these runs" in table4
    with (tmp_path / "table4.csv").open() as f:
        rows = [row for row in csv.DictReader(f) if row.get("comparison") == "infoCAM vs CAM"]
    assert [row["measure"] for row in rows] == ["gt_known_loc", "gt_known_loc_val_tau", "maxboxacc_v2"]
    assert float(rows[1]["delta (points)"]) == pytest.approx(10.0)
    assert float(rows[1]["wilcoxon p (exact)"]) == pytest.approx(0.25)


def test_image_level_statistics_where_runs_left_per_image_results(tmp_path):
    for seed in range(3):
        make_training_run(tmp_path / str(seed), seed)
        make_per_image(tmp_path / str(seed), seed)
    report.main([str(tmp_path)])
    table4 = section((tmp_path / "table.md").read_text(), "### Table 4")
    # per seed s, CAM hits images 0 .. 41 + s at val τ and infoCAM 0 .. 51 + s: images 42 .. 53 have more
    # infoCAM hits than CAM hits over the seeds, none fewer: the sign test's p is 2 / 2^12; each seed alone has
    # 10 discordant images, all for infoCAM: McNemar's p = 2 / 2^10 < 0.05 in all three
    row = next(line for line in table4.splitlines() if "| infoCAM vs CAM | GT-known (val τ) |" in line)
    assert row.endswith(f"| 0.25 (floor) | — | {2 / 2**12:.1e} (12 vs 0) | 3 + / 0 − of 3 |")
    assert "[seeds]" not in row  # the interval resamples images too
    # the centre baseline's hits are one row of the same images, broadcast to every seed
    row = next(line for line in table4.splitlines() if "| infoCAM+ vs the centre baseline | GT-known (val τ) |" in line)
    assert "| 3 + / 0 − of 3 |" in row and "(12 vs 0)" in row  # infoCAM+ hits 0 .. 58 + s, the baseline 0 .. 46
    maxboxacc = next(line for line in table4.splitlines() if "| infoCAM vs CAM | MaxBoxAccV2 |" in line)
    assert "[seeds]" in maxboxacc and maxboxacc.endswith("| — | — |")  # no per-image form


def test_runs_without_baselines_keep_their_tables(tmp_path):
    """Runs made before the baselines existed: no baseline rows, no comparisons with them."""
    for seed in range(2):
        metrics = {k: v for k, v in wsol_metrics(seed).items() if "center_gaussian" not in k and "full_image" not in k}
        make_training_run(tmp_path / str(seed), seed, metrics=metrics)
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "(no network)" not in table and "vs the centre baseline |" not in table
    assert "; no centre baseline in these runs;" in table


def test_region_size_study_from_evaluate_runs_only(tmp_path):
    """docs/results layout: Table 4 reads the training runs of table4/ and none of the evaluate runs under
    table4/region_size/; the region-size block reads only the evaluate runs that vary cam.region_size."""
    results = tmp_path / "docs" / "results"
    for seed in range(2):
        make_training_run(results / "table4" / f"seed{seed}", seed)
        for size in range(1, 6):
            make_evaluate_run(results / "table4" / "region_size" / f"seed{seed}" / f"cam.region_size={size}", seed,
                              [f"cam.region_size={size}"], region_size_metrics(seed, size), region_size=size)
    # a plain re-evaluation (a control: the maps as trained) and one that changed another map setting too: in
    # neither table
    make_evaluate_run(results / "table4" / "reevaluated", 0, [], wsol_metrics(7))
    make_evaluate_run(results / "table4" / "region_size" / "other_tau", 0, ["cam.region_size=2", "cam.threshold=0.5"],
                      wsol_metrics(9), region_size=2)
    # another checkpoint of a trained run already evaluated at R = 4: still one seed, the first folder in sorted
    # order pooled (seed1/cam.region_size=4), this one listed as its duplicate
    make_evaluate_run(results / "table4" / "region_size" / "seed1_last", 1, ["cam.region_size=4"],
                      region_size_metrics(1, 4) | {"test/infocam_plus/gt_known_loc_val_tau": 0.60}, region_size=4,
                      checkpoint="last.ckpt")
    readme = tmp_path / "README.md"
    readme.write_text("".join(f"<!-- results:{name} -->\nold\n<!-- /results:{name} -->\n"
                              for name in ("table4", "table7", "table8", "region_size", "wsol_controls")))
    report.main([str(results), "--readme", str(readme)])
    text = readme.read_text()
    table4 = text.split("<!-- results:table4 -->")[1].split("<!-- /results:table4 -->")[0]
    assert "| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | cam | 2 | 40.50 ± 0.71 |" in table4
    assert "| center_gaussian (no network) | 2 |" in table4  # the two training runs, not 14 runs
    block = text.split("<!-- results:region_size -->")[1].split("<!-- /results:region_size -->")[0]
    assert "#### Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax" in block
    header = ("| R | seeds | CAM GT-known Loc (val τ) | infoCAM GT-known Loc (val τ) | infoCAM+ GT-known Loc (val τ) "
              "| CAM MaxBoxAccV2 | infoCAM MaxBoxAccV2 | infoCAM+ MaxBoxAccV2 |")
    assert header in block
    # R = 1: infoCAM 0.46 / 0.47 over the two checkpoints, infoCAM+ 0.51, CAM as trained (0.42 / 0.43)
    assert "| 1 | 2 | 42.50 ± 0.71 | 46.50 ± 0.71 | 51.00 ± 0.00 | 60.50 ± 0.71 | 61.00 ± 0.00 " \
        "| 66.50 ± 0.71 |" in block
    assert "| 3 | 2 | 42.50 ± 0.71 | 50.50 ± 0.71 | 53.00 ± 0.00 | 60.50 ± 0.71 | 63.00 ± 0.00 " \
        "| 66.50 ± 0.71 |" in block
    assert "| 2 | 2 |" in block and "| 5 | 2 |" in block and "| 2 | 3 |" not in block  # "other_tau" left out
    assert "| 4 | 2 | 42.50 ± 0.71 | 48.50 ± 0.71 | 54.00 ± 0.00 |" in block  # not seed 1's last.ckpt: 0.60
    region_size = results / "table4" / "region_size"
    assert (f"- `{region_size / 'seed1_last'}`: a duplicate of `{region_size / 'seed1' / 'cam.region_size=4'}`"
            in block)
    figure = results / "table4" / "region_size_tiny.png"
    assert figure.is_file() and "![region size, Tiny-ImageNet](docs/results/table4/region_size_tiny.png)" in block
    records = (results / "table4" / "region_size.csv").read_text().splitlines()
    assert len(records) == 1 + 5 * 3  # R x maps of one group
    # the figure is the same at every rendering, and --check agrees with what was written
    first = figure.read_bytes()
    report.main([str(results), "--readme", str(readme)])
    assert figure.read_bytes() == first
    with pytest.raises(SystemExit) as check:
        report.main([str(results), "--readme", str(readme), "--check"])
    assert check.value.code == 0


def test_no_region_size_block_without_region_size_evaluations(tmp_path):
    for seed in range(2):
        make_training_run(tmp_path / str(seed), seed)
    make_evaluate_run(tmp_path / "reevaluated", 0, [], wsol_metrics(0))
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert "### Table 4" in table and "### Region size" not in table
    assert not (tmp_path / "region_size_tiny.png").exists()


def control_metrics(seed: int, infocam_shift: float = 0.0) -> dict:
    """An evaluation of checkpoint `seed`: its test pass, with the control map and the weights' ratio, and
    infoCAM's values moved by `infocam_shift`."""
    metrics = wsol_metrics(seed) | {"test/cam_x_center/gt_known_loc_val_tau": 0.46 + 0.01 * seed,
                                    "test/cam_x_center/maxboxacc_v2": 0.62, "test/class_weight_mean_ratio": 0.01 * seed}
    for measure in ("gt_known_loc_val_tau", "maxboxacc_v2"):
        metrics[f"test/infocam/{measure}"] += infocam_shift
    return metrics


def test_controls_pair_each_setting_with_the_same_checkpoints(tmp_path):
    controls = tmp_path / "table4" / "controls"
    for seed in range(3):
        make_training_run(tmp_path / "table4" / f"seed{seed}", seed)
        folder = controls / f"seed{seed}"
        make_evaluate_run(folder / "plain", seed, [], control_metrics(seed), checkpoint="model.ckpt")
        make_evaluate_run(folder / "replicate", seed, ["cam.region_padding=replicate"],
                          control_metrics(seed, infocam_shift=-0.05 - 0.01 * seed), checkpoint="model.ckpt",
                          region_padding="replicate")
        for mode, shift in (("same", -0.08), ("centered", 0.0)):
            make_evaluate_run(folder / f"{mode}2", seed, [f"cam.region_mode={mode}", "cam.region_size=2"],
                              control_metrics(seed, infocam_shift=shift), region_size=2, checkpoint="model.ckpt",
                              region_mode=mode)
        make_evaluate_run(folder / "r5", seed, ["cam.region_size=5"], control_metrics(seed, 0.5), region_size=5)
    report.main([str(tmp_path)])
    table = section((tmp_path / "table.md").read_text(), "### Controls")
    # infoCAM under replicate padding against itself under zero padding: -5, -6, -7 points on the same checkpoints
    assert ("| replicate padding | infoCAM: replicate vs zero padding | GT-known (val τ) | 3 "
            "| -6.00 (-7.00 to -5.00) [seeds] | 0.25 (floor) |") in table
    assert ("| replicate padding | infoCAM vs CAM, R = 3 | GT-known (val τ) | 3 "
            "| +4.00 (+3.00 to +5.00) [seeds]") in table
    # the even window: centred against shifted, +8 points on every checkpoint
    assert "| even R = 2 | infoCAM: centred vs shifted window | GT-known (val τ) | 3 | +8.00 (+8.00 to +8.00)" in table
    assert "| centre prior | CAM × centre Gaussian vs CAM | GT-known (val τ) | 3 | +4.00 (+4.00 to +4.00)" in table
    assert "| subtraction | subtraction only vs CAM (neither) | GT-known (val τ) | 3 | +3.00" in table
    assert "‖mean class weight‖ / mean ‖class weight‖ = 0.0100 ± 0.0100 over 3 checkpoints" in table
    assert "+50.00" not in table  # the region-size evaluation (R = 5 alone) is the region-size study's

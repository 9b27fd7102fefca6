"""Tables 4, 6, 7, 8 and the region-size study from hand-made WSOL run folders (no training): the
architecture as trained, the no-network baselines, the p-values and sentences under Table 4, and
evaluate runs kept out of the training tables."""

import csv

import pytest

from infocam_lit import report
from infocam_lit.report.runs import mann_whitney_p
from tests.helpers.report_runs import make_evaluate_run, make_training_run, region_size_metrics, section, wsol_metrics


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


def test_p_values_and_sentences_under_table4(tmp_path):
    for seed in range(3):
        make_training_run(tmp_path / str(seed), seed)
    report.main([str(tmp_path)])
    table4 = section((tmp_path / "table.md").read_text(), "### Table 4")
    # 3 against 3, fully separated: the smallest exact two-sided p, 0.100; the maps differ by 10 / 15 points
    assert "| Tiny-ImageNet | small_gap_cnn (from scratch) | no | softmax | infoCAM vs CAM | 3 | +10.00 | 0.100 " \
        "| +10.00 | 0.100 | +4.00 | 0.100 |" in table4
    assert "| infoCAM+ vs CAM | 3 | +15.00 | 0.100 | +15.00 | 0.100 | +6.00 | 0.100 |" in table4
    # against the centre baseline (its three equal per-run values are the sample): the exact p, all three seeds
    # on one side give the 3-against-3 floor, not scipy's tie-corrected normal approximation (0.064)
    assert mann_whitney_p([0.42, 0.43, 0.44], [0.47] * 3) == pytest.approx(0.0636, abs=1e-4)
    assert "| CAM vs the centre baseline | 3 | -4.00 | 0.100 | -4.00 | 0.100 | +3.00 | 0.100 |" in table4
    assert "| infoCAM+ vs the centre baseline | 3 | +11.00 | 0.100 | +11.00 | 0.100 | +9.00 | 0.100 |" in table4
    assert "p vs softmax" not in table4  # one loss: the column stays away
    assert ("- Tiny-ImageNet, small_gap_cnn (from scratch), ADL no, softmax (3 seeds): infoCAM vs CAM at val τ "
            "+10.00 points (p = 0.100), MaxBoxAccV2 +4.00 points (p = 0.100); infoCAM+ vs CAM at val τ +15.00 points "
            "(p = 0.100), MaxBoxAccV2 +6.00 points (p = 0.100); best map at val τ (infoCAM+) vs the centre baseline "
            "+11.00 points (p = 0.100), MaxBoxAccV2 +9.00 points (p = 0.100); top-1 classification 41.00 ± 1.00 %; "
            "wall time per run 110 s.") in table4
    with (tmp_path / "table4.csv").open() as f:
        rows = [row for row in csv.DictReader(f) if row["comparison"] == "infoCAM vs CAM"]
    assert len(rows) == 1 and rows[0]["architecture"] == "small_gap_cnn (from scratch)"
    assert float(rows[0]["gt_known_loc_val_tau gain (points)"]) == pytest.approx(10.0)
    assert float(rows[0]["gt_known_loc_val_tau p"]) == pytest.approx(0.1)


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
    # a plain re-evaluation and one that changed another map setting too: in neither table
    make_evaluate_run(results / "table4" / "reevaluated", 0, [], wsol_metrics(7))
    make_evaluate_run(results / "table4" / "region_size" / "other_tau", 0, ["cam.region_size=2", "cam.threshold=0.5"],
                      wsol_metrics(9), region_size=2)
    # another checkpoint of a trained run already evaluated at R = 4: still one seed (the later folder's values)
    make_evaluate_run(results / "table4" / "region_size" / "seed1_last", 1, ["cam.region_size=4"],
                      region_size_metrics(1, 4) | {"test/infocam_plus/gt_known_loc_val_tau": 0.60}, region_size=4,
                      checkpoint="last.ckpt")
    readme = tmp_path / "README.md"
    readme.write_text("".join(f"<!-- results:{name} -->\nold\n<!-- /results:{name} -->\n"
                              for name in ("table4", "table7", "table8", "region_size")))
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
    assert "| 4 | 2 | 42.50 ± 0.71 | 48.50 ± 0.71 | 57.00 ± 4.24 |" in block  # seed 1's last.ckpt: 0.60
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

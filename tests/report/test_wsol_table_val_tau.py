"""Table 4's held-out columns (GT-known / Top-1 Loc at the validation tau, and that tau) from hand-made runs."""

from infocam_lit import report
from tests.helpers.report_runs import make_run, plain_wsol_metrics


def test_table4_shows_the_validation_tau_columns(tmp_path):
    config = {"experiment_name": "wsol_cub", "loss": {"name": "softmax"}, "cam": {},
              "model": {"net": {"name": "vgg16_gap", "pretrained": True, "adl": False}}, "data": {}}
    for seed in range(2):
        metrics = plain_wsol_metrics(0.0) | {"test/cam/gt_known_loc_val_tau": 0.55 + 0.1 * seed,
                                       "test/cam/top1_loc_val_tau": 0.45, "test/cam/val_tau": 0.3 + 0.1 * seed}
        make_run(tmp_path / str(seed), {**config, "seed": seed}, metrics)
    report.main([str(tmp_path)])
    table = (tmp_path / "table.md").read_text()
    assert ("| CUB | vgg16_gap | no | softmax | cam | 2 | 40.00 ± 0.00 | 30.00 ± 0.00 | 60.00 ± 0.00 | 42.5% / 31.4% "
            "| 60.00 ± 7.07 | 45.00 ± 0.00 | 0.35 ± 0.07 |") in table
    assert "| CUB | vgg16_gap | no | softmax | infocam | 2 | 55.00 ± 0.00 |" in table
    assert "| 53.0% / 39.8% | — | — | — |" in table  # runs without the held-out keys

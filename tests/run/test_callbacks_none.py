"""callbacks=none: no checkpoints, no early stopping, no figures, whatever the experiment configures; only
metrics.json stays. extras.print_config: the resolved config in the log at the start of a run."""

import pytest

from infocam_lit.run.build import configured_callbacks
from infocam_lit.run.preflight import validate_config
from tests.helpers.compose import CONF, compose_train
from tests.helpers.runs import read_metrics, run_entry

EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_none_removes_what_the_experiment_configures(experiment):
    configured = compose_train(f"experiment={experiment}").callbacks
    assert configured.model_checkpoint is not None  # what callbacks=none has to remove

    cfg = compose_train(f"experiment={experiment}", "callbacks=none")
    validate_config(cfg)
    assert [name for name, entry in cfg.callbacks.items() if entry is not None] == ["run_summary"]
    assert [type(c).__name__ for c in configured_callbacks(cfg)] == ["RunSummary"]


def test_the_debug_group_still_wins_over_the_experiments_callbacks():
    assert compose_train("experiment=mi_gmm").callbacks.early_stopping is not None
    assert compose_train("experiment=mi_gmm", "debug=overfit").callbacks.early_stopping is None


@pytest.mark.subprocess
def test_a_run_without_callbacks_tests_its_last_weights_and_leaves_no_checkpoint(tmp_path):
    common = ("logger=csv", f"paths.log_dir={tmp_path}", "data.size_factor=0.1", "trainer.max_epochs=2")
    result = run_entry("train.py", None, "callbacks=none", "run_id=none", *common)
    run_dir = tmp_path / "mi_gmm" / "none"
    assert {"test/mi", "test/acc"} <= set(read_metrics(run_dir))
    assert not list(tmp_path.rglob("*.ckpt")), "callbacks=none saved a checkpoint"
    printed = (run_dir / "train.log").read_text()
    assert f"config ({run_dir / 'config.yaml'})\n├── data\n│   └── _target_: infocam_lit.data.gmm" in printed
    assert "└── extras\n    └── print_config: true" in printed
    assert "├── seed: 0" in result.stdout + result.stderr  # on the terminal too

    run_entry("train.py", None, "callbacks=none", "run_id=quiet", "extras.print_config=false", *common)
    assert "config (" not in (tmp_path / "mi_gmm" / "quiet" / "train.log").read_text()

"""evaluate.py composes the checkpoint's own experiment when the command line names none
(run/restore.py: with_checkpoint_experiment), so `evaluate.py ckpt_path=X data.root=...` works as printed."""

from infocam_lit.run.restore import with_checkpoint_experiment
from tests.helpers.paths import ROOT

EXPERIMENTS = ROOT / "conf" / "experiment"
CHECKPOINTS = ROOT / "tests" / "helpers" / "checkpoints"
WSOL, MI = CHECKPOINTS / "wsol_tiny.ckpt", CHECKPOINTS / "mi_gmm.ckpt"


def test_the_checkpoints_experiment_is_added_when_none_is_named():
    arguments = [f"ckpt_path={WSOL}", "data.root=/data"]
    assert with_checkpoint_experiment(arguments, EXPERIMENTS) == [*arguments, "experiment=wsol_tiny"]
    quoted = [f"ckpt_path='{WSOL}'"]  # as README quotes a path holding = or ,
    assert with_checkpoint_experiment(quoted, EXPERIMENTS) == [*quoted, "experiment=wsol_tiny"]


def test_a_named_experiment_is_kept():
    arguments = [f"ckpt_path={WSOL}", "experiment=wsol_cub"]
    assert with_checkpoint_experiment(arguments, EXPERIMENTS) == arguments


def test_a_sweep_over_checkpoints_gets_their_experiment_only_when_they_share_one():
    same = [f"ckpt_path='{WSOL}','{WSOL}'"]
    assert with_checkpoint_experiment(same, EXPERIMENTS) == [*same, "experiment=wsol_tiny"]
    mixed = [f"ckpt_path='{WSOL}','{MI}'"]
    assert with_checkpoint_experiment(mixed, EXPERIMENTS) == mixed


def test_an_unreadable_checkpoint_or_an_unknown_experiment_changes_nothing(tmp_path):
    (tmp_path / "text.ckpt").write_text("not a checkpoint")
    for arguments in ([f"ckpt_path={tmp_path / 'absent.ckpt'}"], [f"ckpt_path={tmp_path / 'text.ckpt'}"], []):
        assert with_checkpoint_experiment(arguments, EXPERIMENTS) == arguments
    assert with_checkpoint_experiment([f"ckpt_path={WSOL}"], tmp_path) == [f"ckpt_path={WSOL}"]  # no wsol_tiny.yaml

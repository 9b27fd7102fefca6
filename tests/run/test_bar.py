"""The default experiment, trained for real, lands within the bar of the MI issue."""

import pytest

from tests.helpers.runs import read_metrics, run_entry

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


@pytest.mark.parametrize(("dim", "imbalanced", "loss", "bayes_key"), [
    (5, "true", "pc_softmax", "test/acc_bayes_balanced"),  # the default experiment
    (2, "false", "softmax", "test/acc_bayes"),
])
def test_estimate_within_the_bar(tmp_path, dim, imbalanced, loss, bayes_key):
    run_entry("train.py", tmp_path, "logger=csv", f"data.dim={dim}", f"data.imbalanced={imbalanced}", f"loss={loss}")
    m = read_metrics(tmp_path)
    assert abs(m["test/mi"] - m["test/mi_mc"]) <= 0.01
    assert abs(m["test/mi"] - m["test/mi_true"]) <= 0.01 + 2 * m["test/mi_se"]
    assert m["test/acc"] >= m[bayes_key] - 0.005

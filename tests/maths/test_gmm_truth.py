"""Ground truth of the Gaussian mixture against SPEC §2's exact numbers."""

import math

import pytest
import torch

from infocam_lit.maths import gmm

DIMS = (1, 2, 5, 10)
EXACT_MI = {
    False: (1.03142, 1.30035, 1.55438, 1.60584),
    True: (1.02238, 1.23928, 1.44491, 1.48681),
}
ENTROPY = {False: 1.60944, True: 1.48975}
BAYES = {  # (imbalanced, rule, average) -> per d
    (False, "prior", "micro"): (0.746, 0.874, 0.980, 0.999),
    (True, "prior", "micro"): (0.799, 0.899, 0.984, 0.999),
    (True, "balanced", "macro"): (0.746, 0.874, 0.980, 0.999),
    (True, "prior", "macro"): (0.718, 0.862, 0.978, 0.999),
    (True, "balanced", "micro"): (0.778, 0.890, 0.982, 0.999),
}


@pytest.mark.parametrize("imbalanced", [False, True])
@pytest.mark.parametrize("dim_index", range(4))
def test_exact_mi_matches_spec(imbalanced, dim_index):
    value = gmm.exact_mi(DIMS[dim_index], gmm.class_prior(imbalanced))
    assert value == pytest.approx(EXACT_MI[imbalanced][dim_index], abs=1e-4)


def test_exact_mi_tends_to_the_label_entropy():
    for imbalanced in (False, True):
        prior = gmm.class_prior(imbalanced)
        assert gmm.entropy(prior) == pytest.approx(ENTROPY[imbalanced], abs=1e-5)
        assert gmm.exact_mi(40, prior) == pytest.approx(gmm.entropy(prior), abs=1e-6)


@pytest.mark.parametrize(("imbalanced", "rule", "average"), list(BAYES))
def test_bayes_accuracy_matches_spec(imbalanced, rule, average):
    prior = gmm.class_prior(imbalanced)
    got = [gmm.bayes_accuracy(d, prior, rule, average) for d in DIMS]
    assert got == pytest.approx(BAYES[(imbalanced, rule, average)], abs=5e-4)


@pytest.mark.parametrize("imbalanced", [False, True])
@pytest.mark.parametrize("dim", DIMS)
def test_monte_carlo_within_four_standard_errors(imbalanced, dim):
    prior = gmm.class_prior(imbalanced)
    x, y = gmm.sample(gmm.split_counts(imbalanced)["test"], dim, torch.Generator().manual_seed(dim))
    pmi = gmm.pointwise_mi(x, y, prior)
    se = pmi.std().item() / math.sqrt(len(pmi))
    assert abs(pmi.mean().item() - gmm.exact_mi(dim, prior)) < 4 * se


def test_bayes_rule_on_points_agrees_with_the_exact_accuracy():
    prior = gmm.class_prior(True)
    x, y = gmm.sample((20_000,) * 5, 2, torch.Generator().manual_seed(0))
    predicted = gmm.bayes_predictions(x, prior, "balanced")
    recall = torch.stack([(predicted[y == k] == k).double().mean() for k in range(5)])
    assert recall.mean().item() == pytest.approx(gmm.bayes_accuracy(2, prior, "balanced", "macro"), abs=0.005)


def test_sample_counts_and_means():
    x, y = gmm.sample((3, 0, 2, 1, 4), 7, torch.Generator().manual_seed(0))
    assert x.shape == (10, 7) and x.dtype == torch.float32
    assert torch.bincount(y, minlength=5).tolist() == [3, 0, 2, 1, 4]


def test_unknown_rule_is_rejected():
    with pytest.raises(ValueError, match="'prior' or 'balanced'"):
        gmm.bayes_accuracy(1, gmm.class_prior(True), rule="uniform")

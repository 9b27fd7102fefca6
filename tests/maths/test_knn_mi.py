"""The kNN estimator (Ross 2014) against known answers."""

import math

import numpy as np
import pytest
import torch
from scipy.special import digamma

from infocam_lit.maths import gmm
from infocam_lit.maths.knn_mi import BRUTE_FORCE_DIM, knn_mi, knn_mi_terms


def entropy(counts) -> float:
    p = np.asarray(counts, dtype=float) / sum(counts)
    return float(-(p * np.log(p)).sum())


def test_well_separated_classes_give_the_label_entropy():
    """Every point's k nearest neighbours of any label are its own: m_i = k and the estimate is
    psi(N) - <psi(N_y)>, the label entropy up to O(1/N)."""
    rng = np.random.default_rng(0)
    counts = (500, 1000, 1500)
    x = np.concatenate([rng.normal(100.0 * c, 1.0, size=(n, 2)) for c, n in enumerate(counts)])
    y = np.repeat(np.arange(3), counts)
    estimate, se = knn_mi(x, y, k=3)
    assert estimate == pytest.approx(entropy(counts), abs=2e-3)
    assert se < 1e-2


def test_independent_labels_give_about_zero():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 3))
    y = rng.integers(0, 4, size=4000)
    estimate, se = knn_mi(x, y, k=3)
    assert abs(estimate) < 3 * se + 0.01


def test_the_gaussian_mixture_is_estimated_close_to_its_exact_mi():
    prior = gmm.class_prior(True)
    x, y = gmm.sample(gmm.split_counts(True)["test"], 2, torch.Generator().manual_seed(0))
    estimate, se = knn_mi(x.numpy(), y.numpy(), k=3)
    assert estimate == pytest.approx(gmm.exact_mi(2, prior), abs=0.03)
    assert se < 0.01


def test_a_label_with_one_point_adds_no_term_and_k_is_capped():
    x = np.array([[0.0], [0.1], [0.3], [5.0]])
    y = np.array([0, 0, 0, 1])
    terms = knn_mi_terms(x, y, k=5)  # k capped at 2 for label 0; label 1 has no neighbour
    assert len(terms) == 3
    # point 0: its 2nd same-label neighbour is at 0.3; at distance <= 0.3, itself excluded: 0.1 and 0.3 -> m = 2
    assert terms[0] == pytest.approx(digamma(4) - digamma(3) + digamma(2) - digamma(2))
    with pytest.raises(ValueError, match="k must be >= 1"):
        knn_mi_terms(x, y, k=0)
    assert math.isfinite(knn_mi(x, y, k=1)[0])


@pytest.mark.parametrize("dim", [3, 20])
def test_the_brute_force_counts_what_the_tree_counts(dim):
    rng = np.random.default_rng(dim)
    y = rng.integers(0, 3, size=1500)
    x = rng.normal(size=(1500, dim)) + y[:, None]
    tree, brute = knn_mi_terms(x, y, 3, method="kdtree"), knn_mi_terms(x, y, 3, method="brute")
    np.testing.assert_allclose(brute, tree, rtol=0, atol=1e-12)
    auto = knn_mi_terms(x, y, 3)  # the tree in 3 dimensions, the brute force in 20
    np.testing.assert_array_equal(auto, tree if dim <= BRUTE_FORCE_DIM else brute)


def test_an_unknown_method_names_the_valid_ones():
    with pytest.raises(ValueError, match="method must be one of auto, kdtree, brute, got 'ball'"):
        knn_mi_terms(np.zeros((4, 1)), np.zeros(4), method="ball")

"""The kNN estimator (maths/knn_mi.py) on tied points: duplicates and data on a grid. One rule in both
neighbour searches: m_i counts the points other than i at a distance <= d_i, the k-th same-label
neighbour's (inclusive, the point itself excluded), distances within TIE_TOLERANCE of each other being
equal; so every m_i >= k and every term is finite."""

from fractions import Fraction

import numpy as np
import pytest
from scipy.special import digamma

from infocam_lit.maths.knn_mi import BRUTE_FORCE_DIM, TIE_TOLERANCE, knn_mi, knn_mi_terms

METHODS = ("kdtree", "brute")


def literal_counts(x: np.ndarray, y: np.ndarray, k: int) -> tuple[dict[int, int], dict[int, int]]:
    """m_i of every point whose label has two points or more, by the O(n^2) definition on exact squared
    distances (the float64 coordinates as exact fractions): the points j != i with
    |x_i - x_j|^2 <= d_i^2 (1 + TIE_TOLERANCE)^2, d_i the k-th smallest same-label distance (j != i);
    and how many points j != i are tied with the k-th neighbour (within the tolerance either side)."""
    exact = [[Fraction(float(v)) for v in row] for row in x]
    n = len(x)
    squared = [[Fraction(0)] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            squared[i][j] = squared[j][i] = sum((a - b) ** 2 for a, b in zip(exact[i], exact[j], strict=True))
    widen = (1 + Fraction(TIE_TOLERANCE)) ** 2
    counts, tied = {}, {}
    for i in range(n):
        same = sorted(squared[i][j] for j in range(n) if j != i and y[j] == y[i])
        if not same:
            continue
        radius = same[min(k, len(same)) - 1]
        counts[i] = sum(1 for j in range(n) if j != i and squared[i][j] <= radius * widen)
        tied[i] = sum(1 for j in range(n) if j != i and radius / widen <= squared[i][j] <= radius * widen)
    return counts, tied


def terms_from_counts(counts: dict[int, int], y: np.ndarray, k: int) -> np.ndarray:
    """The estimator's per-point terms in knn_mi_terms' order (label by label, members in order)."""
    terms = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < 2:
            continue
        k_label = min(k, len(members) - 1)
        terms += [digamma(len(y)) - digamma(len(members)) + digamma(k_label) - digamma(counts[i]) for i in members]
    return np.array(terms)


@pytest.mark.parametrize("dim", [3, 20])
@pytest.mark.parametrize("method", METHODS)
def test_k_plus_one_copies_of_a_point_give_finite_terms(method, dim):
    """Each of k + 1 copies has its k nearest same-label neighbours at distance 0: d_i = 0 and m_i = k
    (the other copies), so its term is psi(N) - psi(N_y); the estimate and its error bar are finite."""
    k = 3
    rng = np.random.default_rng(dim)
    x = rng.normal(size=(60, dim))
    y = np.arange(60) % 2
    x[[0, 2, 4, 6]] = x[0]  # k + 1 copies, label 0
    x[[1, 3, 5, 7, 9, 11]] = x[1]  # more than k + 1 copies, label 1
    terms = knn_mi_terms(x, y, k, method=method)
    assert np.isfinite(terms).all()
    estimate, se = knn_mi(x, y, k, method=method)
    assert np.isfinite(estimate) and np.isfinite(se)
    # knn_mi_terms lists label 0's members first, in order: points 0, 2, 4, 6 are terms 0..3
    np.testing.assert_allclose(terms[:4], digamma(60) - digamma(30), rtol=0, atol=1e-12)
    # label 1's copies (terms 30..35) each have 5 others at distance 0: m = 5
    np.testing.assert_allclose(terms[30:36], digamma(60) - digamma(30) + digamma(3) - digamma(5), atol=1e-12)


@pytest.mark.parametrize("dim", [3, 20])
def test_both_searches_agree_on_duplicates(dim):
    rng = np.random.default_rng(10 + dim)
    base = rng.normal(size=(30, dim))
    x = base[rng.integers(0, 30, size=120)]  # 120 points drawn from 30: duplicates of every size
    y = rng.integers(0, 3, size=120)
    tree, brute = (knn_mi_terms(x, y, 3, method=method) for method in METHODS)
    assert np.isfinite(tree).all()
    np.testing.assert_array_equal(brute, tree)
    np.testing.assert_allclose(tree, terms_from_counts(literal_counts(x, y, 3)[0], y, 3), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dim", [2, 3, BRUTE_FORCE_DIM, BRUTE_FORCE_DIM + 1, 20])
@pytest.mark.parametrize("method", ("auto",) + METHODS)
def test_rounded_data_match_the_literal_count_exactly(method, dim):
    """Data rounded to 0.1: many points at the same true distance, which float64 rounding of the
    coordinates and of each search's arithmetic would otherwise tell apart."""
    rng = np.random.default_rng(dim)
    x = np.round(rng.normal(size=(73, dim)), 1)
    y = rng.integers(0, 3, size=73)
    counts, tied = literal_counts(x, y, 3)
    if dim <= 3:  # a real test: several points have others tied with their k-th neighbour
        assert sum(count > 1 for count in tied.values()) >= 5
    expected = terms_from_counts(counts, y, 3)
    np.testing.assert_allclose(knn_mi_terms(x, y, 3, method=method), expected, rtol=0, atol=1e-12)

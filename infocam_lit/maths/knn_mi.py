"""The k-nearest-neighbour estimator of I(X;Y) for continuous X and discrete Y (Ross, PLoS ONE 2014;
SPEC §7.4), the non-parametric baseline beside the classifier and MINE.

For each point i of label y_i: d_i is the distance to its k-th nearest neighbour among the points of
its label, and m_i the number of points of any label at distance < d_i, the point itself included; then

    I = psi(N) - <psi(N_{y_i})> + psi(k) - <psi(m_i)>

with k capped at N_y - 1 for a label of N_y points (a label with a single point has no neighbour and
adds nothing). The mean of the per-point terms is the estimate; their standard error is its error bar.

Two ways to find the neighbours, with the same answer: scipy's cKDTree (fast in a few dimensions) and,
past BRUTE_FORCE_DIM dimensions where a tree degenerates into a slower brute force, squared distances
by blocks of rows through one matrix product each (BLAS).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

METHODS = ("auto", "kdtree", "brute")
BRUTE_FORCE_DIM = 15  # "auto" uses the tree up to this many dimensions (measured: benchmarks/results/knn_mi_cpu.txt)
_BLOCK_ELEMENTS = 2**23  # squared distances held at once by the brute force (64 MiB of float64)


def knn_mi_terms(x: np.ndarray, y: np.ndarray, k: int = 3, method: str = "auto") -> np.ndarray:
    """The per-point terms psi(N) - psi(N_{y_i}) + psi(k_i) - psi(m_i) of the points whose label has at
    least two points; x (N, d) float, y (N,) integer labels."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y)
    if method == "auto":
        method = "kdtree" if x.shape[1] <= BRUTE_FORCE_DIM else "brute"
    neighbour_counts = _kdtree_counts if method == "kdtree" else _brute_force_counts
    terms = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        if len(members) < 2:
            continue
        k_label = min(k, len(members) - 1)
        within = neighbour_counts(x, members, k_label)
        terms.append(digamma(len(x)) - digamma(len(members)) + digamma(k_label) - digamma(within))
    return np.concatenate(terms) if terms else np.zeros(0)


def knn_mi(x: np.ndarray, y: np.ndarray, k: int = 3, method: str = "auto") -> tuple[float, float]:
    """The estimate (nats) and its standard error from the per-point terms."""
    terms = knn_mi_terms(x, y, k, method)
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms)))


def _kdtree_counts(x: np.ndarray, members: np.ndarray, k: int) -> np.ndarray:
    """m_i of each member: the points of any label strictly closer than its k-th same-label neighbour."""
    distances, _ = cKDTree(x[members]).query(x[members], k=k + 1)  # the point itself comes first
    # strictly closer: shrink the radius by one ulp, as the count is "<= r"
    within = cKDTree(x).query_ball_point(x[members], np.nextafter(distances[:, -1], 0), return_length=True)
    return np.asarray(within, dtype=np.float64)


def _brute_force_counts(x: np.ndarray, members: np.ndarray, k: int) -> np.ndarray:
    """The same counts from squared distances; the radius and the count read the same matrix, so "strictly
    closer" compares numbers computed the same way."""
    squared_norms = (x**2).sum(1)
    rows = max(1, _BLOCK_ELEMENTS // len(x))
    within = np.empty(len(members))
    for start in range(0, len(members), rows):
        block = members[start:start + rows]
        squared = squared_norms[block, None] + squared_norms[None, :] - 2.0 * (x[block] @ x.T)
        squared[np.arange(len(block)), block] = 0.0  # a point is at distance 0 from itself, whatever the rounding
        radius = np.partition(squared[:, members], k, axis=1)[:, k]  # index 0 is the point itself
        within[start:start + len(block)] = (squared < radius[:, None]).sum(1)
    return within

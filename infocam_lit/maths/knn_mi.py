"""The k-nearest-neighbour estimator of I(X;Y) for continuous X and discrete Y (Ross, PLoS ONE 2014;
SPEC §7.4), the non-parametric baseline beside the classifier and MINE.

For each point i of label y_i: d_i is the distance to its k-th nearest neighbour among the points of
its label, and m_i the number of points of any label at distance < d_i, the point itself included; then

    I = psi(N) - <psi(N_{y_i})> + psi(k) - <psi(m_i)>

with k capped at N_y - 1 for a label of N_y points (a label with a single point has no neighbour and
adds nothing). The mean of the per-point terms is the estimate; their standard error is its error bar.
Nearest neighbours come from scipy's cKDTree.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma


def knn_mi_terms(x: np.ndarray, y: np.ndarray, k: int = 3) -> np.ndarray:
    """The per-point terms psi(N) - psi(N_{y_i}) + psi(k_i) - psi(m_i) of the points whose label has at
    least two points; x (N, d) float, y (N,) integer labels."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y)
    radius = np.zeros(len(x))
    neighbours = np.zeros(len(x), dtype=np.int64)
    label_count = np.zeros(len(x), dtype=np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        label_count[members] = len(members)
        if len(members) < 2:
            continue
        k_label = min(k, len(members) - 1)
        distances, _ = cKDTree(x[members]).query(x[members], k=k_label + 1)  # the point itself comes first
        radius[members] = distances[:, -1]
        neighbours[members] = k_label
    used = neighbours > 0
    # strictly closer than the k-th neighbour: shrink the radius by one ulp, as the count is "<= r"
    within = cKDTree(x).query_ball_point(x[used], np.nextafter(radius[used], 0), return_length=True)
    return (digamma(len(x)) - digamma(label_count[used]) + digamma(neighbours[used])
            - digamma(np.asarray(within, dtype=np.float64)))


def knn_mi(x: np.ndarray, y: np.ndarray, k: int = 3) -> tuple[float, float]:
    """The estimate (nats) and its standard error from the per-point terms."""
    terms = knn_mi_terms(x, y, k)
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms)))

"""The k-nearest-neighbour estimator of I(X;Y) for continuous X and discrete Y (Ross, PLoS ONE 2014;
SPEC §7.4), the non-parametric baseline beside the classifier and MINE.

For each point i of label y_i: d_i is the distance to its k-th nearest neighbour among the other points
of its label, and m_i the number of points of any label other than i at distance <= d_i (Ross's
definition: the k-th neighbour itself included, so m_i >= k); then

    I = psi(N) - <psi(N_{y_i})> + psi(k) - <psi(m_i)>

with k capped at N_y - 1 for a label of N_y points (a label with a single point has no neighbour and
adds nothing). The mean of the per-point terms is the estimate; their standard error is its error bar.

Ties: points at exactly the k-th neighbour's distance count as inside (inclusive) and the point itself
is excluded, distances within a relative TIE_TOLERANCE (1e-9) of each other being equal. So m_i >= k and
every term is finite: k + 1 copies of a point have d_i = 0 and m_i = k, the other copies (a strict count
gives m_i = 0 there, and psi(0) = -inf). Why a tolerance: float64 breaks true ties by about 1e-15 of a
distance, in the coordinates of data on a grid (values rounded to 0.1) and differently in each way of
computing a distance (a tree's differences, BLAS's |a|^2 + |b|^2 - 2ab); 1e-9 is far above that and far
below any real gap, so both searches give the literal count exactly. On untied data (no second point
within 1e-9 of d_i) m_i equals the count of the points strictly closer than d_i, the point itself
included (scikit-learn's convention, and this module's before), so estimates there are unchanged.

Two ways to find the neighbours, with the same answer: scipy's cKDTree (fast in a few dimensions) and,
past BRUTE_FORCE_DIM dimensions where a tree degenerates into a slower brute force, squared distances
by blocks of rows through one matrix product each (BLAS), whose cancellation (|a|^2 + |b|^2 - 2ab) is
bounded and cleared by recomputing the distances from coordinate differences for the candidates near
the radius.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

METHODS = ("auto", "kdtree", "brute")
BRUTE_FORCE_DIM = 15  # "auto" uses the tree up to this many dimensions (measured: benchmarks/results/knn_mi_cpu.txt)
TIE_TOLERANCE = 1e-9  # relative: distances this close to the k-th neighbour's count as equal to it
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
    """The estimate (nats) and its standard error from the per-point terms.

    Args:
        x: (N, d) or (N,) continuous points.
        y: (N,) integer labels.
        k: neighbours per point, capped at N_y - 1 within a label of N_y points.
        method: "kdtree", "brute" (blocks of BLAS distances) or "auto" (the tree up to BRUTE_FORCE_DIM
            dimensions); both give the same answer.

    Returns:
        (estimate of I(X;Y) in nats, its standard error).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = rng.integers(0, 2, 1000)
        >>> x = y + 0.1 * rng.standard_normal(1000)  # two labels far apart: I(X;Y) = log 2 = 0.693 nats
        >>> estimate, error = knn_mi(x, y)
        >>> round(estimate, 2), error < 0.01
        (0.69, True)
    """
    terms = knn_mi_terms(x, y, k, method)
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(len(terms)))


def _kdtree_counts(x: np.ndarray, members: np.ndarray, k: int) -> np.ndarray:
    """m_i of each member: the points of any label but itself at distance <= its k-th same-label
    neighbour's, up to TIE_TOLERANCE."""
    distances, _ = cKDTree(x[members]).query(x[members], k=k + 1)  # the point itself (or a copy) comes first
    within = cKDTree(x).query_ball_point(x[members], distances[:, -1] * (1 + TIE_TOLERANCE), return_length=True)
    return np.asarray(within, dtype=np.float64) - 1  # the point itself


def _brute_force_counts(x: np.ndarray, members: np.ndarray, k: int) -> np.ndarray:
    """The same counts from squared distances by blocks: |a|^2 + |b|^2 - 2ab (BLAS) finds the candidates,
    its rounding error bounded by 4 (d + 4) eps (|a|^2 + max |b|^2) (twice the first-order bound), and the
    candidates' distances are recomputed from coordinate differences (relative error ~ d eps)."""
    squared_norms = (x**2).sum(1)
    widen = (1 + TIE_TOLERANCE) ** 2
    is_member = np.zeros(len(x), dtype=bool)
    is_member[members] = True
    rows = max(1, _BLOCK_ELEMENTS // len(x))
    within = np.empty(len(members))
    for start in range(0, len(members), rows):
        block = members[start:start + rows]
        here = np.arange(len(block))
        squared = squared_norms[block, None] + squared_norms[None, :] - 2.0 * (x[block] @ x.T)
        squared[here, block] = 0.0  # a point is at distance 0 from itself, whatever the rounding
        error = 4 * (x.shape[1] + 4) * np.finfo(np.float64).eps * (squared_norms[block] + squared_norms.max())
        # an upper bound of each row's true k-th squared distance (index 0 is the point itself), widened by
        # the tolerance and a margin for the recomputation's rounding: every point that may count is below it
        reach = (np.partition(squared[:, members], k, axis=1)[:, k] + error) * widen * (1 + 4 * TIE_TOLERANCE)
        row, column = np.nonzero(squared <= (reach + error)[:, None])
        difference = x[block[row]] - x[column]
        exact = np.einsum("ij,ij->i", difference, difference)
        # each row's k-th same-label squared distance among its candidates (all of them are there)
        same = is_member[column]
        order = np.lexsort((exact[same], row[same]))
        first = np.searchsorted(row[same][order], here)
        radius = exact[same][order][first + k]
        inside = exact <= radius[row] * widen
        within[start:start + len(block)] = np.bincount(row, weights=inside, minlength=len(block)) - 1
    return within

"""Paired statistics for WSOL comparisons (SPEC §7.6): plain functions on numpy arrays, numpy + scipy only.

Maps compared on one checkpoint (CAM, infoCAM, infoCAM+) score the same network per seed and the same test images,
so every comparison is paired, which removes the seed-to-seed and image-to-image variance the maps share:

- over seeds (one scalar per seed and map): ``wilcoxon_signed_rank_exact`` (exact, ties allowed; its floor
  ``wilcoxon_floor(n) = 2 / 2**n`` says how small a p the n seeds can ever give) and ``paired_t_p``;
- over images of one seed (0/1 hits, IoU >= 0.5): ``mcnemar_exact``; pooled over seeds: ``pooled_image_sign_test``;
- a confidence interval for every difference: ``bootstrap_ci`` (seeds, then images, crossed) and, for measures with
  no per-image decomposition (MaxBoxAccV2), ``seed_bootstrap_ci``.

A no-network baseline (e.g. a centred Gaussian) is one deterministic number per test set and one deterministic hit
per image: it enters as a constant (``one_sample_tests``) or as a broadcast (N,) row, never as a replicated sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import binomtest, rankdata, ttest_1samp

ArrayLike = np.ndarray | Sequence[float]

_CHUNK = 500  # bootstrap replicates per vectorised block: bounds memory at _CHUNK * (S + N) counts


def wilcoxon_floor(n: int) -> float:
    """Smallest two-sided p of the exact Wilcoxon signed-rank test with n non-zero pairs.

    Args:
        n: number of non-zero paired differences.

    Returns:
        2 / 2**n: all n signs equal is the most extreme of the 2**n equally likely sign assignments, and the
        two-sided test counts both directions (0.0625 for 5 pairs, 0.25 for 3).
    """
    return 2.0 / 2.0**n


def wilcoxon_signed_rank_exact(differences: ArrayLike) -> float:
    """Two-sided p of the exact Wilcoxon signed-rank test of paired differences against 0.

    Method: zeros are dropped (Wilcoxon's convention: a zero difference carries no sign). The remaining |d| are
    ranked with mid-ranks for ties. Under the null each sign is + or - with probability 1/2 independently, so the
    statistic T+ (sum of the ranks of positive differences) is a sum of independent "rank or 0" terms. Doubled
    mid-ranks are integers, so the exact null distribution of 2 T+ over all 2**n sign assignments is built by a
    dynamic programme (a convolution per rank) in O(n * sum of doubled ranks) integer counts. Unlike scipy's
    ``method="exact"``, this stays exact with ties.

    Args:
        differences: paired differences a - b (e.g. per-seed accuracies of two maps).

    Returns:
        P(|T+ - mean| >= |t_obs - mean|) under the null, capped at 1; 1.0 when no difference is non-zero.
    """
    d = np.asarray(differences, dtype=float).ravel()
    d = d[d != 0]
    if d.size == 0:
        return 1.0
    if d.size > 62:
        raise ValueError(f"exact enumeration counts 2**n sign assignments in int64: n = {d.size} > 62 non-zero pairs")
    doubled = np.rint(2 * rankdata(np.abs(d))).astype(np.int64)  # mid-ranks are k/2: doubled they are exact ints
    total = int(doubled.sum())
    counts = np.zeros(total + 1, dtype=np.int64)  # counts[s] = #sign assignments with 2 T+ = s
    counts[0] = 1
    for r in doubled:  # r >= 2: each rank is either in T+ (sign +, shift by r) or not (sign -)
        counts[r:] = counts[r:] + counts[:-r]
    observed = int(doubled[d > 0].sum())
    # compare |2 T - total| in integers: the null is symmetric about total / 2, no rounding at the boundary
    support = np.arange(total + 1)
    extreme = np.abs(2 * support - total) >= abs(2 * observed - total)
    return min(1.0, float(counts[extreme].sum()) / 2.0**d.size)


def paired_t_p(differences: ArrayLike) -> float:
    """Two-sided p of the paired t-test: the one-sample t-test of the differences against 0 (scipy ttest_1samp).

    The t-test is undefined for zero variance (all differences equal): no p is invented, nan is returned.

    Args:
        differences: paired differences a - b.

    Returns:
        The two-sided p, or nan when fewer than 2 differences or when they have zero variance.
    """
    d = np.asarray(differences, dtype=float).ravel()
    if d.size < 2 or np.ptp(d) == 0:
        return float("nan")
    return float(ttest_1samp(d, 0.0).pvalue)


def one_sample_tests(values: ArrayLike, constant: float) -> dict:
    """One map's per-seed values against a deterministic baseline's single value (exact Wilcoxon and t-test).

    The baseline has no seed-to-seed variance, so it is a constant subtracted from each value, never a sample:
    replicating it would pretend to a second source of variance and change the t-test's degrees of freedom.

    Args:
        values: one value per seed for the map.
        constant: the baseline's one value on the same test set (a number).

    Returns:
        {"wilcoxon_p": exact Wilcoxon p of values - constant, "t_p": t-test p of values - constant, "n": #values}.
    """
    if np.ndim(constant) != 0:
        raise ValueError(f"constant must be one number (a deterministic baseline), got shape {np.shape(constant)}")
    d = np.asarray(values, dtype=float).ravel() - float(constant)
    return {"wilcoxon_p": wilcoxon_signed_rank_exact(d), "t_p": paired_t_p(d), "n": int(d.size)}


def _hits(hits: ArrayLike, name: str) -> np.ndarray:
    h = np.asarray(hits)
    if not np.isin(h, (0, 1)).all():
        raise ValueError(f"{name} must hold 0/1 hits (IoU >= 0.5), got values {np.unique(h)[:5]}")
    return h.astype(np.int64)


def _sign_test(wins_a: int, wins_b: int) -> float:
    # exact two-sided binomial test at 0.5 of the discordant outcomes; nothing to test when there are none
    return 1.0 if wins_a + wins_b == 0 else float(binomtest(wins_a, wins_a + wins_b, 0.5).pvalue)


def mcnemar_exact(hits_a: ArrayLike, hits_b: ArrayLike) -> dict:
    """McNemar's exact test on the paired per-image hits of one seed.

    Only discordant images inform the comparison: b = #(a hit, b miss), c = #(a miss, b hit); under the null
    each discordant image goes either way with probability 1/2, so p is the exact two-sided binomial test of b out
    of b + c at 0.5 (scipy binomtest).

    Args:
        hits_a: (N,) 0/1 hits of map a.
        hits_b: (N,) 0/1 hits of map b, or of a deterministic baseline on the same images.

    Returns:
        {"a_only": b, "b_only": c, "p": p}; p = 1.0 when b + c = 0.
    """
    a, b = _hits(hits_a, "hits_a"), _hits(hits_b, "hits_b")
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"hits_a and hits_b must be (N,) over the same images, got {a.shape} and {b.shape}")
    a_only, b_only = int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))
    return {"a_only": a_only, "b_only": b_only, "p": _sign_test(a_only, b_only)}


def pooled_image_sign_test(hits_a: ArrayLike, hits_b: ArrayLike) -> dict:
    """Image-level test pooled over seeds: an exact sign test of the per-image net hit difference.

    Why not one McNemar table of all seed x image pairs: the images are the unit sampled from the population and
    every seed scores the same images, so the S pairs of one image are not independent. Summing over seeds first,
    net_i = sum_s (a_si - b_si), gives one paired outcome per image; images with net > 0 count for a, net < 0 for
    b, net = 0 drop, and p is the exact two-sided binomial (sign) test at 0.5. With S = 1 this is McNemar's exact
    test.

    Args:
        hits_a: (S, N) 0/1 hits of map a, seeds x images.
        hits_b: (S, N) 0/1 hits of map b on the same images, or (N,) hits of a deterministic baseline (broadcast).

    Returns:
        {"a_images": #images with net > 0, "b_images": #images with net < 0, "p": p}.
    """
    a = np.atleast_2d(_hits(hits_a, "hits_a"))
    b = np.broadcast_to(_hits(hits_b, "hits_b"), a.shape)
    net = (a - b).sum(axis=0)
    a_images, b_images = int(np.sum(net > 0)), int(np.sum(net < 0))
    return {"a_images": a_images, "b_images": b_images, "p": _sign_test(a_images, b_images)}


def _resample_counts(rng: np.random.Generator, k: int, size: int) -> np.ndarray:
    """(size, k) counts of k uniform draws with replacement from k items: multinomial(k, 1/k) rows.

    Counted with bincount of uniform indices rather than Generator.multinomial: the same distribution, about 5x
    faster for k = 5000 items (multinomial draws its k categories one conditional binomial at a time).
    """
    idx = rng.integers(0, k, size=(size, k)) + k * np.arange(size)[:, None]
    return np.bincount(idx.ravel(), minlength=size * k).reshape(size, k)


def _crossed_bootstrap(diff: np.ndarray, resamples: int, seed: int, level: float) -> tuple[float, float, float]:
    """Percentile interval of the mean of diff (S, N) under the crossed seed x image bootstrap."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    if resamples < 1 or diff.size == 0:
        raise ValueError(f"need resamples >= 1 and a non-empty difference, got {resamples} and shape {diff.shape}")
    n_seeds, n_images = diff.shape
    rng = np.random.Generator(np.random.PCG64(seed))
    stats = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        v = _resample_counts(rng, n_seeds, size)  # (size, S): how often each seed is drawn
        w = _resample_counts(rng, n_images, size)  # (size, N): one image draw per replicate, shared by its seeds
        # the mean over drawn seeds x drawn images is linear in the counts: v^T D w / (S N)
        stats[start : start + size] = np.einsum("bn,bn->b", v @ diff, w) / (n_seeds * n_images)
    low, high = np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])
    return float(diff.mean()), float(low), float(high)


def bootstrap_ci(
    per_image_a: ArrayLike, per_image_b: ArrayLike, resamples: int = 10_000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean paired difference a - b with a two-level (seeds, then images) percentile bootstrap interval.

    Method: each replicate draws S seeds with replacement, then N images with replacement, and takes the mean of
    a - b over the drawn seeds x drawn images. Design decision: the seeds score the SAME test images (a crossed
    design, not nested), so ONE image resample is drawn per replicate and applied to every drawn seed. Drawing
    images independently within each seed would treat each seed's images as different images, average the image
    noise over S independent draws and understate the image-level variance by about a factor S. The statistic is
    linear in the resampling counts, stat = v^T D w / (S N) with v the (S,) seed counts and w the (N,) image
    counts, so replicates are computed in vectorised blocks. With S = 1 this is an image bootstrap, with N = 1 a
    seed bootstrap.

    Args:
        per_image_a: (S, N) per-seed, per-image values of map a (e.g. 0/1 hits).
        per_image_b: (S, N) values of map b on the same seeds and images, or (N,) values of a deterministic
            baseline (broadcast to every seed).
        resamples: bootstrap replicates.
        seed: seed of numpy's Generator(PCG64(seed)); fixed seed, fixed interval.
        level: coverage of the percentile interval.

    Returns:
        (delta, low, high) in the units of the inputs (fractions: the caller multiplies by 100); delta is the plain
        mean of a - b over seeds and images.
    """
    a = np.asarray(per_image_a, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"per_image_a must be (seeds, images), got shape {a.shape}")
    b = np.broadcast_to(np.asarray(per_image_b, dtype=float), a.shape)
    return _crossed_bootstrap(a - b, resamples, seed, level)


def seed_bootstrap_ci(
    values_a: ArrayLike, values_b: ArrayLike | float, resamples: int = 10_000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """Mean paired difference over seeds with a seed-only percentile bootstrap interval.

    For measures with no per-image decomposition (MaxBoxAccV2 takes the best tau over the whole test set), only
    the seeds can be resampled: this is ``bootstrap_ci`` with one "image" per seed.

    Args:
        values_a: (S,) one value per seed for map a.
        values_b: (S,) paired values of map b, or one number for a deterministic baseline (never replicated as a
            sample: it is subtracted from every seed).
        resamples: bootstrap replicates.
        seed: seed of numpy's Generator(PCG64(seed)).
        level: coverage of the percentile interval.

    Returns:
        (delta, low, high): the mean of a - b over seeds and its percentile interval, in the inputs' units.
    """
    a = np.asarray(values_a, dtype=float).ravel()
    b = np.broadcast_to(np.asarray(values_b, dtype=float), a.shape)
    return _crossed_bootstrap((a - b)[:, None], resamples, seed, level)

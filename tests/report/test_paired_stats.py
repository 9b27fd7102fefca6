"""Paired statistics of SPEC §7.6 against hand-derived values, scipy, and slow independent reference loops."""

import itertools

import numpy as np
import pytest
from scipy.stats import binomtest, ttest_1samp, ttest_rel, wilcoxon

from infocam_lit.report.paired_stats import (
    bootstrap_ci,
    mcnemar_exact,
    one_sample_tests,
    paired_t_p,
    pooled_image_sign_test,
    seed_bootstrap_ci,
    wilcoxon_floor,
    wilcoxon_signed_rank_exact,
)

# --- Wilcoxon ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 8, 12])
def test_wilcoxon_matches_scipy_exact_without_ties(n):
    rng = np.random.default_rng(n)
    for shift in (0.0, 0.5, 1.5):
        d = rng.normal(shift, 1.0, n)  # continuous: no ties, no zeros, where scipy's exact method is valid
        assert wilcoxon_signed_rank_exact(d) == pytest.approx(wilcoxon(d, method="exact").pvalue, rel=1e-12)


def test_wilcoxon_floor():
    assert wilcoxon_floor(5) == 0.0625
    assert wilcoxon_floor(3) == 0.25
    assert wilcoxon_signed_rank_exact([0.1, 0.2, 0.3, 0.4, 0.5]) == 0.0625
    assert wilcoxon_signed_rank_exact([-1.0, -2.0, -3.0]) == 0.25


def test_wilcoxon_ties_by_hand():
    # |d| = 1, 1, 2, 3 -> mid-ranks 1.5, 1.5, 3, 4; doubled 3, 3, 6, 8 (sum 20, null mean of 2T+ = 10).
    # d = [1, 1, 2, -3]: 2T+ = 3 + 3 + 6 = 12, |12 - 10| = 2. The 16 subset sums of {3, 3, 6, 8}:
    # 0, 3, 3, 6, 8, 6, 9, 9, 11, 11, 14, 12, 14, 17, 17, 20; only 9, 9, 11, 11 lie within 1 of 10 -> p = 12/16.
    # (Ordinal ranks 1, 2, 3, 4 would give 14/16 instead: the mid-ranks matter.)
    assert wilcoxon_signed_rank_exact([1, 1, 2, -3]) == 0.75
    assert wilcoxon_signed_rank_exact([1, 0, 1, 2, 0, -3]) == 0.75  # zeros dropped
    # all four positive: 2T+ = 20, only the sums 0 and 20 are as extreme -> 2/16
    assert wilcoxon_signed_rank_exact([1, 1, 2, 3]) == 0.125


def test_wilcoxon_ties_against_brute_force_enumeration():
    d = np.array([0.5, -0.5, 1.0, 1.0, 1.0, -2.0, 3.0, 3.0, -3.0, 4.0])
    ranks = np.argsort(np.argsort(np.abs(d)), kind="stable").astype(float) + 1
    for value in np.unique(np.abs(d)):  # mid-ranks written out by hand-rolled averaging
        ranks[np.abs(d) == value] = ranks[np.abs(d) == value].mean()
    observed = ranks[d > 0].sum()
    mean = ranks.sum() / 2
    extreme = 0
    for signs in itertools.product((0, 1), repeat=d.size):
        extreme += abs(ranks[np.array(signs, bool)].sum() - mean) >= abs(observed - mean) - 1e-9
    assert wilcoxon_signed_rank_exact(d) == extreme / 2**d.size


def test_wilcoxon_no_nonzero_difference():
    assert wilcoxon_signed_rank_exact([0.0, 0.0, 0.0]) == 1.0
    assert wilcoxon_signed_rank_exact([]) == 1.0


# --- paired t -------------------------------------------------------------------------------------------------------


def test_paired_t_matches_ttest_rel():
    a = np.array([0.61, 0.58, 0.64, 0.60, 0.66])
    b = np.array([0.55, 0.57, 0.60, 0.61, 0.59])
    assert paired_t_p(a - b) == pytest.approx(ttest_rel(a, b).pvalue, rel=1e-12)


def test_paired_t_undefined_cases_are_nan():
    assert np.isnan(paired_t_p([0.3]))
    assert np.isnan(paired_t_p([0.2, 0.2, 0.2]))  # zero variance: no p invented


# --- one-sample tests against a deterministic baseline ------------------------------------------------------------


def test_one_sample_tests_use_the_constant_as_a_number():
    values = [0.61, 0.62, 0.60, 0.63, 0.64]
    result = one_sample_tests(values, 0.5)
    assert result["wilcoxon_p"] == 0.0625  # all 5 above the constant: the floor, whatever the constant's "n"
    assert result["t_p"] == pytest.approx(ttest_1samp(values, 0.5).pvalue, rel=1e-12)
    assert result["n"] == 5
    with pytest.raises(ValueError, match="one number"):
        one_sample_tests(values, [0.5] * 5)  # a replicated baseline is refused


# --- McNemar and the pooled sign test -----------------------------------------------------------------------------


def test_mcnemar_hand_count():
    result = mcnemar_exact([1, 1, 1, 0, 0, 1], [0, 0, 1, 0, 1, 1])
    assert (result["a_only"], result["b_only"]) == (2, 1)
    assert result["p"] == binomtest(2, 3).pvalue == 1.0


def test_mcnemar_nine_against_one():
    a = [1] * 9 + [0] + [1] * 5 + [0] * 5
    b = [0] * 9 + [1] + [1] * 5 + [0] * 5
    result = mcnemar_exact(a, b)
    assert (result["a_only"], result["b_only"]) == (9, 1)
    assert result["p"] == pytest.approx(2 * (1 + 10) / 1024, rel=1e-12)  # = 0.021484375


def test_mcnemar_no_discordant_images_and_bad_input():
    assert mcnemar_exact([1, 0, 1], [1, 0, 1])["p"] == 1.0
    with pytest.raises(ValueError, match="0/1"):
        mcnemar_exact([0.7, 0, 1], [1, 0, 1])


def test_pooled_sign_test_hand_example():
    a = np.array([[1, 1, 0, 0, 1, 0],
                  [1, 0, 0, 1, 1, 0],
                  [1, 1, 0, 0, 0, 1]])
    b = np.array([[0, 1, 0, 1, 1, 1],
                  [0, 0, 1, 1, 1, 0],
                  [1, 0, 0, 0, 1, 0]])
    # per-image net over seeds: [2, 1, -1, -1, -1, 0] -> 2 images for a, 3 for b, the last dropped
    result = pooled_image_sign_test(a, b)
    assert (result["a_images"], result["b_images"]) == (2, 3)
    assert result["p"] == pytest.approx(binomtest(2, 5).pvalue)
    # a baseline that never hits, broadcast to every seed: net = [3, 2, 0, 1, 2, 1] -> 5 vs 0, p = 2/32
    baseline = pooled_image_sign_test(a, np.zeros(6, int))
    assert (baseline["a_images"], baseline["b_images"], baseline["p"]) == (5, 0, pytest.approx(0.0625))


def test_pooled_sign_test_with_one_seed_is_mcnemar():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 2, 40), rng.integers(0, 2, 40)
    pooled, mcnemar = pooled_image_sign_test(a[None], b[None]), mcnemar_exact(a, b)
    assert (pooled["a_images"], pooled["b_images"]) == (mcnemar["a_only"], mcnemar["b_only"])
    assert pooled["p"] == mcnemar["p"]


# --- bootstrap ----------------------------------------------------------------------------------------------------


def hits(rng, seeds, images, rate):
    return (rng.random((seeds, images)) < rate).astype(float)


def reference_bootstrap(a, b, resamples, rng, level=0.95):
    """Slow and literal: draw seeds, then ONE image index vector shared by every drawn seed."""
    diff = a - np.broadcast_to(b, a.shape)
    n_seeds, n_images = diff.shape
    stats = []
    for _ in range(resamples):
        seeds = rng.integers(0, n_seeds, n_seeds)
        images = rng.integers(0, n_images, n_images)
        stats.append(diff[seeds][:, images].mean())
    return np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])


def test_bootstrap_delta_is_the_mean_difference():
    rng = np.random.default_rng(0)
    a, b = hits(rng, 5, 300, 0.6), hits(rng, 5, 300, 0.5)
    assert bootstrap_ci(a, b, resamples=200)[0] == pytest.approx((a - b).mean(), abs=1e-15)
    baseline = hits(rng, 1, 300, 0.3)[0]
    assert bootstrap_ci(a, baseline, resamples=200)[0] == pytest.approx(a.mean() - baseline.mean(), abs=1e-15)


def test_bootstrap_constant_difference_collapses():
    rng = np.random.default_rng(1)
    b = rng.random((4, 100))
    delta, low, high = bootstrap_ci(b + 0.2, b, resamples=500)
    assert (delta, low, high) == pytest.approx((0.2, 0.2, 0.2), abs=1e-12)


def test_bootstrap_covers_the_mean_and_shrinks_with_images():
    rng = np.random.default_rng(2)
    widths = {}
    for n in (500, 5000):
        a, b = hits(rng, 5, n, 0.6), hits(rng, 5, n, 0.5)
        delta, low, high = bootstrap_ci(a, b)
        assert low < delta < high
        widths[n] = high - low
    assert 2 < widths[500] / widths[5000] < 4.5  # ~ sqrt(10) = 3.16


def test_bootstrap_is_deterministic_for_a_seed():
    rng = np.random.default_rng(4)
    a, b = hits(rng, 3, 200, 0.6), hits(rng, 3, 200, 0.5)
    assert bootstrap_ci(a, b, resamples=1000, seed=7) == bootstrap_ci(a, b, resamples=1000, seed=7)
    assert bootstrap_ci(a, b, resamples=1000, seed=7) != bootstrap_ci(a, b, resamples=1000, seed=8)


@pytest.mark.parametrize("seeds, images", [(4, 60), (1, 80)])
def test_bootstrap_agrees_with_a_slow_reference(seeds, images):
    rng = np.random.default_rng(5)
    a, b = hits(rng, seeds, images, 0.6), hits(rng, seeds, images, 0.45)
    _, low, high = bootstrap_ci(a, b)
    ref_low, ref_high = reference_bootstrap(a, b, 2000, np.random.default_rng(99))
    tolerance = 0.15 * (high - low)
    assert abs(low - ref_low) < tolerance and abs(high - ref_high) < tolerance


def test_bootstrap_shares_the_image_draw_across_seeds():
    # every seed sees the same per-image differences: the seeds add no information, so the crossed bootstrap must
    # give the one-seed width; independent image draws per seed would shrink it by ~sqrt(5)
    rng = np.random.default_rng(6)
    row = hits(rng, 1, 400, 0.6) - hits(rng, 1, 400, 0.5)
    _, low1, high1 = bootstrap_ci(row, np.zeros(400))
    _, low5, high5 = bootstrap_ci(np.repeat(row, 5, axis=0), np.zeros(400))
    assert (high5 - low5) == pytest.approx(high1 - low1, rel=0.15)


def test_seed_bootstrap_against_a_constant_and_a_reference():
    values = np.array([0.62, 0.58, 0.66, 0.60, 0.71])
    delta, low, high = seed_bootstrap_ci(values, 0.5)
    assert delta == pytest.approx(values.mean() - 0.5)
    assert 0.58 - 0.5 - 1e-12 <= low < delta < high <= 0.71 - 0.5 + 1e-12  # means of 5 draws stay in the range
    ref_low, ref_high = reference_bootstrap(values[:, None], np.full((5, 1), 0.5), 2000, np.random.default_rng(9))
    assert abs(low - ref_low) < 0.15 * (high - low) and abs(high - ref_high) < 0.15 * (high - low)
    paired = seed_bootstrap_ci(values, values - 0.1, resamples=300)
    assert paired == pytest.approx((0.1, 0.1, 0.1), abs=1e-12)

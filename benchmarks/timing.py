"""Timing for the side-by-side benchmarks: the best time of each run, the runs taking turns."""

from __future__ import annotations

import time


def best_of_turns(repeats: int, runs: list) -> list[float]:
    """The best wall time (seconds) of each run over `repeats`, the runs taking turns so that a drift of
    the machine's speed (a shared machine's neighbours) favours none."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return best

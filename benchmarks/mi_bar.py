"""The MI experiment's bar, measured: all 8 settings with the default experiment.

For each d in {1, 2, 5, 10}, balanced (softmax) and imbalanced (pc_softmax), it
runs train.py as a user would, with its wall time, and MINE on the same data
(same seed, so the same points). Checks against the bar:
  |test/mi - test/mi_mc| <= 0.01 nats,
  |test/mi - test/mi_true| <= 0.01 + 2 * test/mi_se,
  accuracy at most 0.5 points below the Bayes rule the loss learns,
  wall time <= 90 s per setting.
The run folders land in outputs/bench/mi_bar/<setting>, so
`python -m infocam_lit.report outputs/bench/mi_bar` renders them as Table 2.

    python benchmarks/mi_bar.py [--seed 0] [--out outputs/bench/mi_bar]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIMS = (1, 2, 5, 10)


def run(out: Path, name: str, overrides: list[str]) -> tuple[dict, float]:
    run_dir = out / name
    command = [sys.executable, str(ROOT / "train.py"), "logger=csv", f"hydra.run.dir={run_dir}", *overrides]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{name} failed")
    return json.loads((run_dir / "metrics.json").read_text()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench" / "mi_bar")
    args = parser.parse_args()

    header = (f"{'setting':25s} {'mi':>7s} {'mc':>7s} {'true':>7s} {'se':>6s} {'|mi-mc|':>8s} "
              f"{'|mi-true|':>9s} {'acc':>7s} {'bayes':>7s} {'wall':>6s} {'MINE':>7s} {'|MINE-true|':>11s}  bar")
    print(header)
    failures = 0
    for imbalanced in (False, True):
        loss = "pc_softmax" if imbalanced else "softmax"
        bayes_key = "test/acc_bayes_balanced" if imbalanced else "test/acc_bayes"
        for dim in DIMS:
            setting = f"{'imbalanced' if imbalanced else 'balanced'}_d{dim}"
            common = [f"data.dim={dim}", f"data.imbalanced={str(imbalanced).lower()}", f"seed={args.seed}"]
            m, seconds = run(args.out, f"{setting}_{loss}", [*common, f"loss={loss}"])
            mine, _ = run(args.out, f"{setting}_mine", [*common, "model=mine"])
            checks = {
                "mc": abs(m["test/mi"] - m["test/mi_mc"]) <= 0.01,
                "true": abs(m["test/mi"] - m["test/mi_true"]) <= 0.01 + 2 * m["test/mi_se"],
                "acc": m["test/acc"] >= m[bayes_key] - 0.005,
                "time": seconds <= 90,
            }
            failed = [k for k, ok in checks.items() if not ok]
            failures += bool(failed)
            print(f"{setting + ' ' + loss:25s} {m['test/mi']:7.4f} {m['test/mi_mc']:7.4f} {m['test/mi_true']:7.4f} "
                  f"{m['test/mi_se']:6.4f} {abs(m['test/mi'] - m['test/mi_mc']):8.4f} "
                  f"{abs(m['test/mi'] - m['test/mi_true']):9.4f} {m['test/acc']:7.4f} {m[bayes_key]:7.4f} "
                  f"{seconds:5.1f}s {mine['test/mi']:7.4f} {abs(mine['test/mi'] - mine['test/mi_true']):11.4f}  "
                  f"{'ok' if not failed else 'MISSED: ' + ','.join(failed)}", flush=True)
    print(f"{8 - failures}/8 settings meet the bar")


if __name__ == "__main__":
    main()

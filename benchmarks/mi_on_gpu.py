"""The MI experiment on a CUDA GPU: fp32 versus bf16 autocast, side by side.

Runs train.py (classifier, pc_softmax, imbalanced d=5, and MINE) with
trainer.accelerator=gpu at each precision, and prints wall time and the bar's
quantities. A check that nothing of the experiment is CPU-only, and what mixed
precision does to an MI estimate.

    python benchmarks/mi_on_gpu.py [--out outputs/bench/mi_gpu]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench" / "mi_gpu")
    args = parser.parse_args()
    print(f"{'run':32s} {'wall':>7s} {'mi':>7s} {'mc':>7s} {'|mi-mc|':>8s} {'acc':>7s}")
    for model in ("mlp", "mine"):
        for precision in ("32-true", "bf16-mixed"):
            name = f"{model}_{precision}"
            run_dir = args.out / name
            command = [sys.executable, str(ROOT / "train.py"), "logger=csv", f"hydra.run.dir={run_dir}",
                       f"model={model}", "trainer.accelerator=gpu", f"trainer.precision={precision}"]
            start = time.perf_counter()
            result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - start
            if result.returncode != 0:
                print(f"{name:32s} FAILED\n{result.stderr[-2500:]}", flush=True)
                continue
            m = json.loads((run_dir / "metrics.json").read_text())
            acc = f"{m['test/acc']:.4f}" if "test/acc" in m else "-"
            print(f"{name:32s} {seconds:6.1f}s {m['test/mi']:7.4f} {m['test/mi_mc']:7.4f} "
                  f"{abs(m['test/mi'] - m['test/mi_mc']):8.4f} {acc:>7s}", flush=True)


if __name__ == "__main__":
    main()

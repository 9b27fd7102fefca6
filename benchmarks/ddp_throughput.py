"""DDP throughput versus a single process, measured side by side through train.py.

Each setting runs train.py twice, with a short and a longer fixed number of
epochs (no early stopping); the difference of the wall times divided by the
difference of the epochs is the time of one epoch (training and validation),
free of start-up, data generation and testing. The ratio of the epoch times is
the throughput of the second setting relative to the first.

    python benchmarks/ddp_throughput.py             # MI experiment: 1 CPU process vs DDP on 2 (gloo)
    python benchmarks/ddp_throughput.py --gpu       # one GPU: no strategy vs DDP on that one GPU
    python benchmarks/ddp_throughput.py --gpu -- experiment=wsol_cub data.root=<CUB> model=resnet50

CPU DDP is a correctness check, not a speed claim: on 2 cores two processes
share the cores the single process already uses.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {
    "cpu": (("1 process", ["trainer=cpu"]), ("DDP, 2 processes", ["trainer=ddp_cpu"])),
    "gpu": (("1 GPU, no strategy", ["trainer=gpu", "trainer.devices=1"]),
            ("1 GPU, DDP", ["trainer=ddp", "trainer.devices=1"])),
}


def wall_time(overrides: list[str], epochs: int, out: Path) -> float:
    run_dir = Path(tempfile.mkdtemp(dir=out))
    command = [sys.executable, str(ROOT / "train.py"), "logger=csv", f"hydra.run.dir={run_dir}",
               "callbacks.early_stopping=null", f"trainer.max_epochs={epochs}", *overrides]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"train.py {' '.join(overrides)} failed")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpu", action="store_true", help="one GPU without and with DDP")
    parser.add_argument("--epochs", type=int, nargs=2, default=(2, 8), metavar=("SHORT", "LONG"))
    parser.add_argument("extra", nargs="*", help="overrides for every run (after --)")
    args = parser.parse_args()
    short, long = args.epochs

    settings = SETTINGS["gpu" if args.gpu else "cpu"]
    epoch_times = []
    with tempfile.TemporaryDirectory() as out:
        for name, overrides in settings:
            runs = [*overrides, *args.extra]
            t_short, t_long = wall_time(runs, short, Path(out)), wall_time(runs, long, Path(out))
            epoch_times.append((t_long - t_short) / (long - short))
            print(f"{name:22s} {short} epochs {t_short:6.1f} s, {long} epochs {t_long:6.1f} s -> "
                  f"{epoch_times[-1]:.3f} s per epoch", flush=True)
    print(f"throughput of '{settings[1][0]}' relative to '{settings[0][0]}': {epoch_times[0] / epoch_times[1]:.2f}x")


if __name__ == "__main__":
    main()

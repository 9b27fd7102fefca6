"""DDP throughput versus a single process, measured side by side through train.py.

Each setting runs train.py for a fixed number of epochs (no early stopping).
The time of one epoch (training and its validation) comes from the timestamps
of the per-epoch log lines, from the first epoch's to the last's, so start-up,
data generation, DDP process launch and testing are left out. The ratio of the
epoch times is the throughput of the second setting relative to the first.

    python benchmarks/ddp_throughput.py             # MI experiment: 1 CPU process vs DDP on 2 (gloo)
    python benchmarks/ddp_throughput.py --gpu       # one GPU: no strategy vs DDP on that one GPU
    python benchmarks/ddp_throughput.py --gpu experiment=wsol_cub data.root=<CUB> model=resnet50

CPU DDP is a correctness check, not a speed claim: on 2 cores two processes
share the cores the single process already uses.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {
    "cpu": (("1 process", ["trainer=cpu"]), ("DDP, 2 processes", ["trainer=ddp_cpu"])),
    "gpu": (("1 GPU, no strategy", ["trainer=gpu", "trainer.devices=1"]),
            ("1 GPU, DDP", ["trainer=ddp", "trainer.devices=1"])),
}
EPOCH_LINE = re.compile(r"^\[([\d-]+ [\d:]+,\d+)\]\[infocam_lit\.progress\]\[INFO\] - epoch (\d+):", re.M)


def seconds_per_epoch(overrides: list[str], epochs: int, out: Path) -> float:
    command = [sys.executable, str(ROOT / "train.py"), "logger=csv", f"hydra.run.dir={tempfile.mkdtemp(dir=out)}",
               "callbacks.early_stopping=null", f"trainer.max_epochs={epochs}", *overrides]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"train.py {' '.join(overrides)} failed")
    stamps = {int(epoch): datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
              for stamp, epoch in EPOCH_LINE.findall(result.stdout + result.stderr)}
    first, last = min(stamps), max(stamps)
    return (stamps[last] - stamps[first]).total_seconds() / (last - first)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpu", action="store_true", help="one GPU without and with DDP")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("extra", nargs="*", help="overrides for every run")
    args = parser.parse_args()

    settings = SETTINGS["gpu" if args.gpu else "cpu"]
    epoch_times = []
    with tempfile.TemporaryDirectory() as out:
        for name, overrides in settings:
            epoch_times.append(seconds_per_epoch([*overrides, *args.extra], args.epochs, Path(out)))
            print(f"{name:22s} {epoch_times[-1]:.3f} s per epoch", flush=True)
    print(f"throughput of '{settings[1][0]}' relative to '{settings[0][0]}': {epoch_times[0] / epoch_times[1]:.2f}x")


if __name__ == "__main__":
    main()

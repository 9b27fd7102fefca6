"""CPU training speed of the CPU studies' networks: fp32 and bf16 autocast, eager and compiled
(model.compile=true), against this core's measured matmul peak.

The Tiny-ImageNet study network (small GAP CNN, 200 classes, batch 128 at 64x64, channels last) and the
MNIST CNN (batch 64 at 28x28). One training step is forward, loss, backward and an SGD step on a fixed
random batch. The settings take turns (benchmarks/timing.py); each figure is the best turn. The FLOPs of
a step come from torch's FLOP counter, and the peak from a large torch.mm in the same precision, so
"of peak" says how close a step runs to what this core can do at all. bf16 is measured only where the CPU
has native bf16 (oneDNN's check: AVX512_BF16 or AMX); elsewhere it is emulated, and the line says so.

    OMP_NUM_THREADS=1 python benchmarks/cpu_precision.py [--turns 3] [--steps 5] [--no-compile]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.timing import best_of_turns  # noqa: E402
from infocam_lit.nets.mnist_cnn import mnist_cnn  # noqa: E402
from infocam_lit.nets.wsol import small_gap_cnn  # noqa: E402
from infocam_lit.run.preflight import cpu_has_native_bf16  # noqa: E402

PEAK_SIZE = 2048  # a matmul this large runs at the core's peak on one thread


def networks() -> dict[str, tuple[torch.nn.Module, tuple[int, ...], int, bool]]:
    """name -> (network, batch shape, classes, channels last), as the studies train them."""
    tiny = small_gap_cnn(200, widths=(32, 64, 128, 256, 256), stem_stride=2, pool_after=(1, 2))
    return {"Tiny-ImageNet study net": (tiny, (128, 3, 64, 64), 200, True),
            "MNIST CNN": (mnist_cnn(10), (64, 1, 28, 28), 10, False)}


def training_step(net: torch.nn.Module, shape: tuple[int, ...], classes: int, channels_last: bool, bf16: bool):
    """One SGD step on a fixed batch, as a function of nothing (the turns call it)."""
    images = torch.randn(shape)
    labels = torch.randint(0, classes, (shape[0],))
    if channels_last:
        net, images = net.to(memory_format=torch.channels_last), images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(net(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def step_flops(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def matmul_peak(dtype: torch.dtype, turns: int) -> float:
    """GFLOP/s of a PEAK_SIZE x PEAK_SIZE matmul in `dtype` (the best of `turns`)."""
    a, b = torch.randn(PEAK_SIZE, PEAK_SIZE, dtype=dtype), torch.randn(PEAK_SIZE, PEAK_SIZE, dtype=dtype)
    torch.mm(a, b)
    (seconds,) = best_of_turns(turns, [lambda: torch.mm(a, b)])
    return 2 * PEAK_SIZE**3 / seconds / 1e9


def settings(compile: bool, bf16: bool) -> list[tuple[str, bool, bool]]:
    """(label, bf16, compiled) for each setting measured."""
    chosen = [("fp32", False, False)]
    if bf16:
        chosen.append(("bf16", True, False))
    if compile:
        chosen.append(("fp32 compiled", False, True))
        if bf16:
            chosen.append(("bf16 compiled", True, True))
    return chosen


def measure(name: str, args, chosen, peaks: dict[bool, float]) -> None:
    steps, flops = [], []
    for _, bf16, compiled in chosen:
        torch.manual_seed(0)
        net, shape, classes, channels_last = networks()[name]
        step = training_step(net.train(), shape, classes, channels_last, bf16)
        flops.append(step_flops(step))  # eager, before compiling: the same arithmetic either way
        if compiled:
            net.compile()
        started = time.perf_counter()
        for _ in range(3):
            step()  # warm-up (compiled: the compilation itself)
        print(f"  {name}: {'compiled' if compiled else 'eager'} {'bf16' if bf16 else 'fp32'} warm-up "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        steps.append(lambda step=step: [step() for _ in range(args.steps)])
    seconds = best_of_turns(args.turns, steps)
    batch = networks()[name][1][0]
    print(f"\n{name}: batch {batch}, {flops[0] / batch / 1e9:.3f} GFLOP an image a step")
    base = batch * args.steps / seconds[0]
    for (label, bf16, _), time_, count in zip(chosen, seconds, flops, strict=True):
        rate = batch * args.steps / time_
        achieved = count * args.steps / time_ / 1e9
        print(f"  {label:14s} {rate:8.1f} images/s  {rate / base:5.2f}x  {achieved:6.1f} GFLOP/s "
              f"= {achieved / peaks[bf16]:5.1%} of the {'bf16' if bf16 else 'fp32'} matmul peak")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5, help="training steps a turn")
    parser.add_argument("--no-compile", dest="compile", action="store_false")
    args = parser.parse_args()
    torch.set_num_threads(1)
    native_bf16 = cpu_has_native_bf16()
    print(f"torch {torch.__version__}, one thread, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"native bf16: {'yes' if native_bf16 else 'no (bf16 left out: emulated, it says nothing)'}")
    peaks = {False: matmul_peak(torch.float32, args.turns)}
    if native_bf16:
        peaks[True] = matmul_peak(torch.bfloat16, args.turns)
    print("matmul peak (" + ", ".join(f"{'bf16' if k else 'fp32'} {v:.1f} GFLOP/s" for k, v in peaks.items()) + ")")
    chosen = settings(args.compile, native_bf16)
    for name in networks():
        measure(name, args, chosen, peaks)


if __name__ == "__main__":
    main()

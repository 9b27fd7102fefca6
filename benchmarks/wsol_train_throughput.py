"""ResNet50-WSOL training throughput (images/s): fp32 versus bf16 autocast with channels-last.

Random 224x224 batches, 200 classes, SGD step included; the same network and
batch for each setting, measured one after the other in one run.

    python benchmarks/wsol_train_throughput.py --device cuda [--batch 64] [--steps 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.nets.wsol import resnet50  # noqa: E402


def images_per_second(device: str, batch: int, steps: int, bf16: bool, channels_last: bool) -> float:
    torch.manual_seed(0)
    net = resnet50(200, pretrained=False).to(device).train()
    images = torch.randn(batch, 3, 224, 224, device=device)
    labels = torch.randint(0, 200, (batch,), device=device)
    if channels_last:
        net, images = net.to(memory_format=torch.channels_last), images.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)

    def step():
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(net(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    fp32 = images_per_second(args.device, args.batch, args.steps, bf16=False, channels_last=False)
    fast = images_per_second(args.device, args.batch, args.steps, bf16=True, channels_last=True)
    print(f"ResNet50-WSOL training, batch {args.batch} at 224, {args.device}")
    print(f"fp32                          {fp32:8.1f} images/s")
    print(f"bf16 autocast + channels-last {fast:8.1f} images/s   ({fast / fp32:.2f}x)")


if __name__ == "__main__":
    main()

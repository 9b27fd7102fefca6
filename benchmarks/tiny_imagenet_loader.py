"""Tiny-ImageNet's training loader, from the files against from memory (data.in_memory), beside the
training step that it feeds.

The real data set (`<root>/tiny-imagenet-200/`), batch 128, shuffled, one thread:
- files (data.in_memory=false): per item a file read, JPEG decode, flip and normalise (torchvision v2),
  then collate, through a DataLoader with num_workers=0;
- memory (data.in_memory=true): every image decoded once in setup; batches sliced from the tensor,
  flipped and normalised whole.
Over the same slice of an epoch (--batches batches), the runs taking turns: each loader alone, the
training step alone on batches collected beforehand (small_gap_cnn of width 32-256 with a stride-2 stem,
SGD, channels-last), and each loader feeding the step. Loading's share of an epoch is read two ways:
measured, (loader + step - step) / (loader + step), and summed, loader / (loader + step alone).

    python benchmarks/tiny_imagenet_loader.py --root /folder/holding/tiny-imagenet-200 [--batches 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import islice
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_of_turns  # noqa: E402

from infocam_lit.data.tiny_imagenet import MD5, URL, TinyImageNetDataModule  # noqa: E402
from infocam_lit.nets.wsol import small_gap_cnn  # noqa: E402

BATCH = 128
EPOCH = 100_000  # training images of the official set


def datamodule(root: str, in_memory: bool) -> TinyImageNetDataModule:
    return TinyImageNetDataModule(root=root, download=False, url=URL, md5=MD5, in_memory=in_memory, seed=0,
                                  batch_size=BATCH, eval_batch_size=256, num_workers=0, pin_memory=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(Path(os.environ.get("INFOCAM_ROOT", ".")) / "data"),
                        help="the folder holding tiny-imagenet-200/ (default: data.root's, $INFOCAM_ROOT/data)")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    folder = Path(args.root) / "tiny-imagenet-200"
    if not folder.is_dir():
        print(f"skipped: no Tiny-ImageNet in {folder} (--root names the folder holding tiny-imagenet-200/)")
        return
    torch.set_num_threads(1)
    torch.manual_seed(0)
    files, memory = datamodule(args.root, in_memory=False), datamodule(args.root, in_memory=True)
    files.setup()
    start = time.perf_counter()
    memory.setup()  # also brings every file into the page cache, as a long file-path run has them
    decode_seconds = time.perf_counter() - start
    loaders = {"files": files.train_dataloader(), "memory": memory.train_dataloader()}

    net = small_gap_cnn(200, widths=(32, 64, 128, 256, 256), stem_stride=2, pool_after=(1, 2))
    net = net.to(memory_format=torch.channels_last).train()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step(batch: dict) -> None:
        images = batch["image"].contiguous(memory_format=torch.channels_last)  # as on_after_batch_transfer
        loss = torch.nn.functional.cross_entropy(net(images), batch["label"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def feed(loader, with_step: bool):
        def run():
            for batch in islice(loader, args.batches):
                if with_step:
                    step(batch)
        return run

    collected = list(islice(loaders["memory"], args.batches))
    images = sum(len(batch["label"]) for batch in collected)
    step(collected[0])  # the first step's one-off costs are not compared

    def steps_alone():
        for batch in collected:
            step(batch)

    runs = {"files alone": feed(loaders["files"], False), "memory alone": feed(loaders["memory"], False),
            "step alone": steps_alone, "files + step": feed(loaders["files"], True),
            "memory + step": feed(loaders["memory"], True)}
    seconds = dict(zip(runs, best_of_turns(args.repeats, list(runs.values())), strict=True))
    ms = {name: 1000 * s / images for name, s in seconds.items()}

    print(f"Tiny-ImageNet training batches of {BATCH}, {args.batches} batches ({images:,} images), "
          f"{torch.get_num_threads()} thread(s); ms per image, best of {args.repeats} turns")
    print(f"{'loader':8s}{'loader alone':>14s}{'step alone':>12s}{'loader+step':>13s}{'loading share':>15s}"
          f"{'(summed)':>10s}{'loader images/s':>17s}")
    for name in ("files", "memory"):
        alone, together, step_ms = ms[f"{name} alone"], ms[f"{name} + step"], ms["step alone"]
        print(f"{name:8s}{alone:14.3f}{step_ms:12.3f}{together:13.3f}{(together - step_ms) / together:15.1%}"
              f"{alone / (alone + step_ms):10.1%}{1000 / alone:17,.0f}")
    print(f"epoch time, files / memory: {ms['files + step'] / ms['memory + step']:.3f}x with the step, "
          f"{ms['files alone'] / ms['memory alone']:.1f}x the loaders alone")
    stored = sum(t.nbytes for t in memory.images.values()) / 1e9
    epoch_seconds = EPOCH * ms["memory + step"] / 1000
    print(f"memory's setup, once per run (the lists, then the decode): {decode_seconds:.1f} s for "
          f"{sum(len(t) for t in memory.images.values()):,} images, {stored:.2f} GB "
          f"({decode_seconds / epoch_seconds:.1%} of one in-memory epoch of {EPOCH:,} images, {epoch_seconds:.0f} s)")


if __name__ == "__main__":
    main()

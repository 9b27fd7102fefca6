"""The in-memory MNIST loader versus torchvision's datasets.MNIST, side by side.

Both read the same full-size files (60,000 training images written in the
official IDX format into a temporary folder), batch 64, shuffled:
- ours: uint8 tensors in memory, one index per batch, normalised per batch;
- torchvision: datasets.MNIST with ToTensor + Normalize per item, through a DataLoader.
First the loaders alone (batches per second), then with the paper's CNN
training step (SGD), where the model dominates on a CPU.

    python benchmarks/mnist_loader.py [--batches 400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.data.mnist import MNISTDataModule, normalize  # noqa: E402
from infocam_lit.nets.mnist_cnn import mnist_cnn  # noqa: E402
from tests.fixture_data import make_mnist  # noqa: E402


def batches_per_second(loader, prepare, batches: int, step=None) -> float:
    iterator = iter(loader)
    next(iterator)  # start-up (workers, first file access) is not what is compared
    start = time.perf_counter()
    for images, labels in islice(iterator, batches):
        images, labels = prepare(images, labels)
        if step is not None:
            step(images, labels)
    return batches / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=400)
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as root:
        make_mnist(Path(root), n_train=60_000, n_test=10_000, gz=False)
        dm = MNISTDataModule(root=root, download=False, imbalanced=False, imbalance_ratio=10, val_fraction=1 / 12,
                             seed=0, batch_size=64, eval_batch_size=1000)
        dm.setup()
        ours = dm.train_dataloader()
        per_item = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
        reference = DataLoader(datasets.MNIST(root, train=True, download=False, transform=per_item),
                               batch_size=64, shuffle=True)

        def ours_prepare(images, labels):
            return normalize(images), labels

        def as_is(images, labels):
            return images, labels

        net = mnist_cnn()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.5)

        def train_step(images, labels):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(images), labels).backward()
            optimizer.step()

        print(f"{'batch 64, batches per second':36s} {'ours':>10s} {'torchvision':>12s} {'ratio':>7s}")
        for label, step, count in (("loader alone", None, args.batches),
                                   ("with the CNN training step", train_step, args.batches // 4)):
            ours_rate = batches_per_second(ours, ours_prepare, count, step)
            reference_rate = batches_per_second(reference, as_is, count, step)
            print(f"{label:36s} {ours_rate:10.1f} {reference_rate:12.1f} {ours_rate / reference_rate:6.1f}x",
                  flush=True)


if __name__ == "__main__":
    main()

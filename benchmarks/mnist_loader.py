"""The in-memory MNIST loader against the two DataLoader idioms, side by side.

All read the same full-size files (60,000 training images written in the official IDX format into a
temporary folder), batch 64, shuffled:
- ours: uint8 tensors in memory, one index per batch, normalised per batch;
- DataLoader, batched: a BatchSampler over a TensorDataset of the same uint8 tensors with
  batch_size=None (indexed once per batch), normalised per batch (the fair baseline);
- torchvision: datasets.MNIST with ToTensor + Normalize per item, through a DataLoader.
First the loaders alone (batches per second), then with the paper's CNN training step (SGD), where
the model dominates on a CPU.

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
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset
from torchvision import datasets, transforms

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.data.mnist import MNISTDataModule, normalize  # noqa: E402
from infocam_lit.nets.mnist_cnn import mnist_cnn  # noqa: E402
from tests.helpers.fixture_data import make_mnist  # noqa: E402


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
        train = TensorDataset(*dm.splits["train"])
        per_item = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
        loaders = {  # name -> (loader, what a batch needs before the model)
            "ours": (dm.train_dataloader(), normalised),
            "DataLoader, batched": (DataLoader(train, batch_size=None,
                                               sampler=BatchSampler(RandomSampler(train), 64, drop_last=False)),
                                    normalised),
            "torchvision": (DataLoader(datasets.MNIST(root, train=True, download=False, transform=per_item),
                                       batch_size=64, shuffle=True), as_is),
        }
        net = mnist_cnn()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.5)

        def train_step(images, labels):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(images), labels).backward()
            optimizer.step()

        print(f"batch 64, batches per second, {torch.get_num_threads()} thread(s); then how many times faster ours is")
        print(f"{'':30s}" + "".join(f"{name:>21s}" for name in loaders) + f"{'vs batched':>12s}{'vs torchvision':>16s}")
        images, labels = dm.splits["train"]
        train_step(*normalised(images[:64], labels[:64]))  # the first step's one-off costs are not compared
        for label, step, count in (("loader alone", None, args.batches),
                                   ("with the CNN training step", train_step, args.batches // 4)):
            # best of three, the loaders taking turns, so that a drift of the machine's speed favours none
            rates = [0.0] * len(loaders)
            for _ in range(3):
                for i, (loader, prepare) in enumerate(loaders.values()):
                    rates[i] = max(rates[i], batches_per_second(loader, prepare, count, step))
            print(f"{label:30s}" + "".join(f"{rate:21.1f}" for rate in rates)
                  + f"{rates[0] / rates[1]:11.2f}x{rates[0] / rates[2]:15.2f}x", flush=True)


def normalised(images, labels):
    return normalize(images), labels


def as_is(images, labels):
    return images, labels


if __name__ == "__main__":
    main()

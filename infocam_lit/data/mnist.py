"""MNIST from torchvision's on-disk layout, held in memory (paper §4.2, Table 3).

`<root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`. Images stay
uint8 in memory and are normalised per batch on the device
(`batch_on_device`), so no PIL and no per-item transform runs.

Splits: a seeded `val_fraction` of the official train file is the validation
split. `imbalanced=true` keeps every odd digit and a seeded 1/`imbalance_ratio`
share (ρ, default 10: the paper's tenth) of each even digit in train and
validation; `imbalanced=false` is ρ = 1 whatever the ratio. The share is a prefix
of one seeded permutation per digit, so for one seed the subsets are nested
across ρ (the ρ = 100 subset lies inside the ρ = 10 one). Two test splits are
always reported: `test`, the official (balanced) test file, and `test_imb`, the
same file imbalanced at the paper's ρ = 10 (its own seeded stream, so every run
of a seed reports on the same `test_imb`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import torch

from infocam_lit.data.idx import DatasetError, read_idx
from infocam_lit.data.in_memory import InMemoryDataModule
from infocam_lit.data.prior import label_frequencies

MEAN, STD = 0.1307, 0.3081
NUM_CLASSES = 10
PAPER_RATIO = 10  # the paper's imbalance: a tenth of each even digit is kept (and test_imb's, always)
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def raw_folder(root: str | Path) -> Path:
    return Path(root) / "MNIST" / "raw"


def find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def missing_files_message(folder: Path, missing: list[str]) -> str:
    return (f"MNIST files missing in {folder}: {', '.join(missing)} (each may also end in .gz). "
            f"Expected: {', '.join(n for pair in FILES.values() for n in pair)}. "
            "Set data.download=true on a machine with internet access, or copy the four files of "
            "the official MNIST distribution there.")


def files_present(root: str | Path) -> bool:
    folder = raw_folder(root)
    return all(find_file(folder, name) is not None for pair in FILES.values() for name in pair)


def download_mnist(root: str | Path) -> None:
    """torchvision's download into a private temporary folder, then each file renamed into place, so a
    file of the expected name is always complete (another rank waiting for them never reads half a file)."""
    from torchvision.datasets import MNIST

    folder = raw_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".MNIST.incomplete-", dir=folder.parent))
    try:
        for train in (True, False):
            MNIST(str(work), train=train, download=True)
        for file in sorted((work / "MNIST" / "raw").iterdir()):
            os.replace(file, folder / file.name)
    except Exception as error:  # network errors come in many types
        raise DatasetError(f"could not download MNIST into {folder}: {error}. "
                           f"{missing_files_message(folder, ['(all)'])}") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load_mnist_split(root: str | Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 28, 28) and long labels (N,) of the official 'train' or 'test' file."""
    folder = raw_folder(root)
    image_name, label_name = FILES[split]
    paths = {name: find_file(folder, name) for name in (image_name, label_name)}
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise DatasetError(missing_files_message(folder, missing))
    images = read_idx(paths[image_name], expected_ndim=3)
    labels = read_idx(paths[label_name], expected_ndim=1)
    if len(images) != len(labels):
        raise DatasetError(f"{paths[image_name]} holds {len(images)} images but {paths[label_name]} "
                           f"holds {len(labels)} labels")
    if labels.numel() and int(labels.max()) >= NUM_CLASSES:
        raise DatasetError(f"{paths[label_name]} has label {int(labels.max())}; MNIST labels are 0..9")
    return images, labels.long()


def imbalanced_subset(labels: torch.Tensor, generator: torch.Generator, ratio: float = PAPER_RATIO) -> torch.Tensor:
    """Indices keeping every odd digit and a seeded 1/ratio share (rounded) of each even digit.

    Each even digit's share is a prefix of a permutation drawn whatever the ratio, so the
    generator advances alike and the subsets of one seed are nested across ratios."""
    keep = []
    for digit in range(NUM_CLASSES):
        members = torch.nonzero(labels == digit).squeeze(1)
        if digit % 2 == 0:
            count = round(len(members) / ratio)
            members = members[torch.randperm(len(members), generator=generator)[:count]]
        keep.append(members)
    return torch.cat(keep).sort().values


def split_training_file(count: int, val_fraction: float, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Indices into the official training file: the first `val_fraction` of a seeded permutation is
    the validation split, the rest the training split (val first: callers draw from `generator` next)."""
    order = torch.randperm(count, generator=generator)
    n_val = round(count * val_fraction)
    return {"val": order[:n_val], "train": order[n_val:]}


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) -> float (B, 1, 28, 28), standardised with MNIST's mean and std."""
    return ((images.float() / 255.0 - MEAN) / STD).unsqueeze(1)


class MNISTDataModule(InMemoryDataModule):
    test_split_names = ("test", "test_imb")

    def __init__(self, root: str, download: bool, imbalanced: bool,
                 imbalance_ratio: float, val_fraction: float, seed: int,
                 batch_size: int, eval_batch_size: int):
        super().__init__()
        self.root = root
        self.download = download
        self.imbalanced = imbalanced
        self.imbalance_ratio = imbalance_ratio
        self.val_fraction = val_fraction
        self.seed = seed
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def prepare_data(self) -> None:
        if self.download and not files_present(self.root):
            download_mnist(self.root)

    def is_prepared(self) -> bool:
        return not self.download or files_present(self.root)

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        generator = torch.Generator().manual_seed(self.seed)
        images, labels = load_mnist_split(self.root, "train")
        parts = split_training_file(len(labels), self.val_fraction, generator)
        for split, index in parts.items():
            index = index.sort().values
            if self.imbalanced:
                index = index[imbalanced_subset(labels[index], generator, self.imbalance_ratio)]
            self.splits[split] = (images[index], labels[index])
        test_images, test_labels = load_mnist_split(self.root, "test")
        self.splits["test"] = (test_images, test_labels)
        # its own stream, so balanced and imbalanced runs of one seed report on the same test_imb
        keep = imbalanced_subset(test_labels, torch.Generator().manual_seed(self.seed + 1))
        self.splits["test_imb"] = (test_images[keep], test_labels[keep])

    @property
    def num_classes(self) -> int:
        return NUM_CLASSES

    @property
    def label_prior(self) -> list[float]:
        self.setup()
        return label_frequencies(self.splits["train"][1], NUM_CLASSES)

    def model_kwargs(self) -> dict:
        return {"num_classes": NUM_CLASSES, "class_prior": self.label_prior}

    def batch_on_device(self, batch):
        images, labels = batch
        return normalize(images), labels

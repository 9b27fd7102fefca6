"""Double-digit MNIST (paper §6.3, Table 5, Fig. 4; SPEC §5): multi-label canvases with boxes.

A 28x56 canvas has a left and a right 28x28 slot; each slot independently gets,
with probability `slot_prob`, a digit image drawn uniformly from the split's
MNIST images. Canvases with no digit are dropped (with slot_prob = 0.7 about 9 %
of the draws). Labels are 10-dim multi-hot vectors; each placed digit has a box,
the tight box of its non-zero pixels in canvas coordinates, and its digit.
Train and validation canvases are built from disjoint parts of the MNIST
training file (a seeded `val_fraction`), test canvases from the test file, so no
test digit image is seen in training. Generation is vectorised and cached under
`cache_dir`, keyed by a hash of the source files, seed, sizes and slot probability.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
from pathlib import Path

import torch

from infocam_lit.data.in_memory import InMemoryDataModule
from infocam_lit.data.mnist import (
    FILES,
    MEAN,
    STD,
    download_mnist,
    files_present,
    find_file,
    load_mnist_split,
    raw_folder,
    split_training_file,
)
from infocam_lit.maths.boxes import mask_boxes

log = logging.getLogger(__name__)
NUM_LABELS = 10
SLOT = 28
FIELDS = ("image", "labels", "boxes", "box_labels", "box_count")


def build_canvases(images: torch.Tensor, digits: torch.Tensor, count: int, slot_prob: float,
                   generator: torch.Generator) -> dict[str, torch.Tensor]:
    """`count` non-empty canvases from uint8 source images (S, 28, 28) and their digits (S,).

    Returns image (N, 28, 56) uint8, labels (N, 10) float multi-hot, boxes (N, 2, 4) float
    (inclusive corners, placed digits first, -1 padding), box_labels (N, 2) long (-1 padding)
    and box_count (N,).
    """
    if not 0 < slot_prob <= 1:
        raise ValueError(f"data.slot_prob must be in (0, 1], got {slot_prob}")
    source_boxes = mask_boxes(images > 0).float()  # tight box of each source digit
    present = torch.empty(0, 2, dtype=torch.bool)
    while len(present) < count:  # draw, drop empty canvases, until there are enough
        draws = math.ceil((count - len(present)) / (1 - (1 - slot_prob) ** 2) * 1.05) + 8
        slots = torch.rand(draws, 2, generator=generator) < slot_prob
        present = torch.cat([present, slots[slots.any(1)]])
    present = present[:count]
    chosen = torch.randint(len(images), (count, 2), generator=generator)
    canvas = torch.cat([images[chosen[:, 0]] * present[:, :1, None], images[chosen[:, 1]] * present[:, 1:, None]],
                       dim=2)
    offset = torch.tensor([[0.0, 0.0, 0.0, 0.0], [SLOT, 0.0, SLOT, 0.0]])
    boxes = torch.where(present[..., None], source_boxes[chosen] + offset, torch.full((1, 1, 4), -1.0))
    box_labels = torch.where(present, digits[chosen], torch.full_like(chosen, -1))
    order = torch.argsort((~present).int(), dim=1, stable=True)  # placed digits first
    boxes = boxes.gather(1, order[..., None].expand(-1, -1, 4))
    box_labels = box_labels.gather(1, order)
    labels = torch.zeros(count, NUM_LABELS)
    labels.scatter_reduce_(1, digits[chosen], present.float(), reduce="amax")
    return {"image": canvas, "labels": labels, "boxes": boxes, "box_labels": box_labels,
            "box_count": present.sum(1)}


class DoubleMNISTDataModule(InMemoryDataModule):
    # the test stage also sees the validation canvases, to choose each map's box threshold there
    # (held-out tau, SPEC §7.2); the module tells the loaders apart by this order
    test_split_names = ("val", "test")

    def __init__(self, root: str, download: bool, slot_prob: float,
                 train_canvases: int, val_canvases: int, test_canvases: int,
                 val_fraction: float, seed: int, batch_size: int, eval_batch_size: int,
                 cache_dir: str | None):
        super().__init__()
        self.root, self.download, self.slot_prob = root, download, slot_prob
        self.counts = {"train": train_canvases, "val": val_canvases, "test": test_canvases}
        self.val_fraction, self.seed = val_fraction, seed
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.cache_dir = cache_dir
        self.splits: dict[str, dict[str, torch.Tensor]] = {}

    def prepare_data(self) -> None:
        """The MNIST files (when download is on) and the canvas cache: written once per node, under a
        unique temporary name renamed into place, so concurrent writers never mix their bytes."""
        if self.download and not files_present(self.root):
            download_mnist(self.root)
        cache = self.cache_file()
        if cache is not None and not cache.is_file():
            cache.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(prefix=f".{cache.name}.", suffix=".incomplete", dir=cache.parent)
            os.close(handle)
            try:
                torch.save(self.build_splits(), tmp)
                os.replace(tmp, cache)
            finally:
                Path(tmp).unlink(missing_ok=True)
            log.info("double-digit MNIST canvases cached in %s", cache)

    def is_prepared(self) -> bool:
        if not files_present(self.root):
            return not self.download  # without download, setup names the missing files
        cache = self.cache_file()
        return cache is None or cache.is_file()

    def cache_key(self) -> str:
        digest = hashlib.sha256()
        folder = raw_folder(self.root)
        for name in (n for pair in FILES.values() for n in pair):
            path = find_file(folder, name)
            digest.update(path.read_bytes() if path else name.encode())
        digest.update(repr((self.seed, self.slot_prob, self.val_fraction, sorted(self.counts.items()))).encode())
        return digest.hexdigest()[:20]

    def cache_file(self) -> Path | None:
        return Path(self.cache_dir) / f"double_mnist_{self.cache_key()}.pt" if self.cache_dir else None

    def build_splits(self) -> dict[str, dict[str, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed)
        images, digits = load_mnist_split(self.root, "train")
        sources = split_training_file(len(digits), self.val_fraction, generator)
        splits = {split: build_canvases(images[sources[split]], digits[sources[split]], self.counts[split],
                                        self.slot_prob, generator) for split in ("train", "val")}
        test_images, test_digits = load_mnist_split(self.root, "test")
        splits["test"] = build_canvases(test_images, test_digits, self.counts["test"], self.slot_prob, generator)
        return splits

    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        cache = self.cache_file()
        if cache is not None and cache.is_file():
            self.splits = torch.load(cache, weights_only=True)
            log.info("double-digit MNIST canvases loaded from %s", cache)
        else:
            self.splits = self.build_splits()

    @property
    def label_prior(self) -> list[float]:
        """The fraction of training canvases that contain each digit."""
        self.setup()
        return self.splits["train"]["labels"].double().mean(0).tolist()

    def model_kwargs(self) -> dict:
        return {"num_labels": NUM_LABELS, "label_prior": self.label_prior, "image_size": [SLOT, 2 * SLOT]}

    def split_tensors(self, name: str) -> tuple[torch.Tensor, ...]:
        """The split's stored fields and each canvas's index in the split (per-image results)."""
        fields = tuple(self.splits[name][field] for field in FIELDS)
        return (*fields, torch.arange(len(fields[0])))

    def batch_on_device(self, batch) -> dict:
        items = dict(zip((*FIELDS, "index"), batch, strict=True))
        items["image"] = ((items["image"].float() / 255.0 - MEAN) / STD).unsqueeze(1)
        return items

"""Tiny-ImageNet in its official layout (SPEC §4.4), for weakly supervised localisation.

`<root>/tiny-imagenet-200/`: wnids.txt, words.txt, train/<wnid>/images/*.JPEG,
train/<wnid>/<wnid>_boxes.txt (file x0 y0 x1 y1), val/images/*.JPEG,
val/val_annotations.txt (file wnid x0 y0 x1 y1). The boxes are corners (the
authors' code read them as x, y, w, h). Images are 64x64 and used without a
crop (training flips them). The official val set is split per class,
alternating, into validation and test. `download=true` fetches the official archive (or `url`,
checked against `md5`) through `data/archive.py` when the folder is absent; with the official MD5 the
official counts are checked too.

`in_memory=true` decodes every image once, in `setup`, into one uint8 tensor per split (about 1.35 GB
in all, on every DDP rank). Training batches are then sliced out of that tensor, flipped and normalised
as whole batches (`FlippedImageBatches`): on one core about 40,000 images/s against the per-item
path's 2,300 (benchmarks/tiny_imagenet_loader.py). Evaluation items keep the per-item path, from the
decoded images.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from pytorch_lightning.utilities import rank_zero_info
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from infocam_lit.data.archive import Archive, check_official_counts
from infocam_lit.data.idx import DatasetError
from infocam_lit.data.image_items import (
    BoxedTransform,
    LabelledImages,
    inclusive_to_span,
    overlaps_image,
    read_rgb,
    span_to_inclusive,
)
from infocam_lit.data.prior import label_frequencies
from infocam_lit.data.tensor_loader import TensorBatchLoader
from infocam_lit.data.wsol_base import WSOL_TEST_SPLITS, ImageFolderDataModule
from infocam_lit.metrics.wsolevaluation import FRAME

URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
OFFICIAL_COUNTS = {"classes": 200, "training images": 100_000, "validation images": 10_000}
HOW_TO_GET = (f"Set data.download=true to fetch it (240 MB) from {URL}, or, offline, download tiny-imagenet-200.zip "
              f"(MD5 {MD5}) on a machine with internet access and extract it under data.root (it creates the "
              "tiny-imagenet-200/ folder); data.url=file:///path/to/tiny-imagenet-200.zip with data.download=true "
              "does that.")


def _box_lines(path: Path, fields: int) -> list[list[str]]:
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != fields:
            raise DatasetError(f"{path}:{number}: malformed line {line!r} (expected {fields} fields)")
        try:
            [int(v) for v in parts[-4:]]
        except ValueError as error:
            raise DatasetError(f"{path}:{number}: malformed box in {line!r}") from error
        rows.append(parts)
    return rows


def _corners(parts: list[str]) -> torch.Tensor:
    return torch.tensor([[float(v) for v in parts[-4:]]])  # x0 y0 x1 y1, inclusive corners


def read_tiny_imagenet(root: str | Path) -> tuple[list[str], dict[str, tuple[list[Path], list[int], list]]]:
    """The class wnids and {'train': ..., 'official_val': ...} as (paths, labels, boxes);
    every listed image must exist."""
    folder = Path(root) / "tiny-imagenet-200"
    expected = [folder / "wnids.txt", folder / "val" / "val_annotations.txt", folder / "train"]
    missing = [str(p) for p in expected if not p.exists()]
    if missing:
        raise DatasetError(f"Tiny-ImageNet not found in {folder}: missing {', '.join(missing)}. Expected wnids.txt, "
                           f"words.txt, train/<wnid>/images/*.JPEG with train/<wnid>/<wnid>_boxes.txt, val/images/ "
                           f"and val/val_annotations.txt. {HOW_TO_GET}")
    wnids = [w for w in (folder / "wnids.txt").read_text().split() if w]
    index = {wnid: k for k, wnid in enumerate(wnids)}
    splits: dict[str, tuple[list, list, list]] = {"train": ([], [], []), "official_val": ([], [], [])}
    for wnid in wnids:
        box_file = folder / "train" / wnid / f"{wnid}_boxes.txt"
        if not box_file.is_file():
            raise DatasetError(f"missing {box_file} (train boxes of class {wnid}). {HOW_TO_GET}")
        for parts in _box_lines(box_file, 5):
            splits["train"][0].append(folder / "train" / wnid / "images" / parts[0])
            splits["train"][1].append(index[wnid])
            splits["train"][2].append(_corners(parts))
    annotations = folder / "val" / "val_annotations.txt"
    for number, parts in enumerate(_box_lines(annotations, 6), start=1):
        if parts[1] not in index:
            raise DatasetError(f"{annotations}:{number}: class {parts[1]} is not in wnids.txt")
        splits["official_val"][0].append(folder / "val" / "images" / parts[0])
        splits["official_val"][1].append(index[parts[1]])
        splits["official_val"][2].append(_corners(parts))
    for paths, _, _ in splits.values():
        absent = [p for p in paths if not p.is_file()]
        if absent:
            raise DatasetError(f"{len(absent)} listed image(s) are missing, first {absent[0]}. {HOW_TO_GET}")
    return wnids, splits


def verify_tiny_imagenet(root: Path, official: bool) -> None:
    """Every listed image exists (read_tiny_imagenet checks), and, for the official archive, the official
    counts hold."""
    wnids, splits = read_tiny_imagenet(root)
    if official:
        counts = {"classes": len(wnids), "training images": len(splits["train"][0]),
                  "validation images": len(splits["official_val"][0])}
        check_official_counts(Path(root) / "tiny-imagenet-200", counts, OFFICIAL_COUNTS, HOW_TO_GET)


def decode_images(paths: list[Path], size: int) -> torch.Tensor:
    """uint8 (N, 3, size, size): every image decoded; an unreadable one, or one of another size, raises
    DatasetError naming the file."""
    images = torch.empty(len(paths), 3, size, size, dtype=torch.uint8)
    for i, path in enumerate(paths):
        image = read_rgb(path)
        if image.shape[-2:] != (size, size):
            height, width = image.shape[-2:]
            raise DatasetError(f"{path} is {width}x{height}; Tiny-ImageNet images are {size}x{size}, and "
                               "data.in_memory=true holds them in one tensor (data.in_memory=false reads any size)")
        images[i] = image
    return images


def image_boxes(boxes: list[torch.Tensor], size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The boxes of unflipped items as `collate_items` pads them, (N, 1, 4), with `box_count` and
    `dropped_boxes` (N,): each box clipped to the image, one wholly outside dropped (a -1 row), as the
    per-item transform does. The format gives every image one box."""
    spans = inclusive_to_span(torch.cat(boxes).float())
    inside = overlaps_image(spans, size, size)
    clipped = torch.where(inside[:, None], span_to_inclusive(spans, size, size), -1.0)
    return clipped[:, None], inside.long(), 1 - inside.long()


# Added to the seed of the order (seed * 100_003 + epoch, TensorBatchLoader) to seed the flips: a stream of
# their own, never that of another epoch's order.
_FLIP_STREAM = 1 << 40


class FlippedImageBatches(TensorBatchLoader):
    """Shuffled training batches of decoded images as `collate_items` makes them, with no per-item
    Python: each image mirrored with probability 1/2, its boxes with it (x0' = W-1-x1, x1' = W-1-x0),
    then normalised by `to_float` as one batch. The flips are drawn per image from the seed and the
    epoch, so a resumed run sees the same batches; under DDP each rank takes its share of one draw."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, boxes: torch.Tensor, box_count: torch.Tensor,
                 dropped_boxes: torch.Tensor, to_float, batch_size: int, seed: int):
        index = torch.arange(len(images))  # which images a batch holds, to look up their flips
        super().__init__((images, labels, boxes, box_count, dropped_boxes, index), batch_size, shuffle=True,
                         seed=seed)
        self.to_float = to_float

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.sampler.epoch + _FLIP_STREAM)
        flips = torch.rand(len(self.tensors[0]), generator=generator) < 0.5
        for images, labels, boxes, box_count, dropped_boxes, index in super().__iter__():
            flip = flips[index]
            images[flip] = images[flip].flip(-1)  # in place: the batch is a copy (indexed by a tensor)
            width = images.shape[-1]
            boxes = boxes[:, : max(int(box_count.max()), 1)]  # collate_items pads to the batch's most boxes
            real = torch.arange(boxes.shape[1]) < box_count[:, None]  # not the -1 padding
            mirrored = torch.stack([width - 1 - boxes[..., 2], boxes[..., 1], width - 1 - boxes[..., 0],
                                    boxes[..., 3]], dim=-1)
            boxes = torch.where((flip[:, None] & real)[..., None], mirrored, boxes)
            yield {"image": self.to_float(images), "label": labels, "boxes": boxes, "box_count": box_count,
                   "dropped_boxes": dropped_boxes}


def alternate_halves(labels: list[int]) -> tuple[list[int], list[int]]:
    """Per class, alternating: the 1st, 3rd, ... image to the first half, the 2nd, 4th, ... to the second."""
    seen: dict[int, int] = {}
    first, second = [], []
    for i, label in enumerate(labels):
        (first if seen.get(label, 0) % 2 == 0 else second).append(i)
        seen[label] = seen.get(label, 0) + 1
    return first, second


class TinyImageNetDataModule(ImageFolderDataModule):
    test_split_names = WSOL_TEST_SPLITS

    official_md5 = MD5
    wsolevaluation_name = "ILSVRC"  # its evaluator scores ImageNet-style box files under this name

    def __init__(self, root: str, download: bool, url: str, md5: str | None, in_memory: bool, seed: int,
                 batch_size: int, eval_batch_size: int, num_workers: int, pin_memory: bool):
        super().__init__(root, download, Archive(url, md5, "tiny-imagenet-200", HOW_TO_GET), batch_size,
                         eval_batch_size, num_workers, pin_memory)
        self.in_memory, self.seed = in_memory, seed
        self.image_size = 64
        self.transforms = {"train": BoxedTransform([v2.RandomHorizontalFlip()]), "eval": BoxedTransform([])}
        self.reference_frame = FRAME  # wsolevaluation's boxes: int(v * 224 / 64), as its evaluator scales them
        self.records: dict[str, tuple[list, list, list]] = {}
        self.images: dict[str, torch.Tensor] = {}  # in_memory: uint8 (N, 3, 64, 64) per split
        self.wnids: list[str] = []

    def verify(self, root: Path, official: bool) -> None:
        verify_tiny_imagenet(root, official)

    def setup(self, stage: str | None = None) -> None:
        if self.records:
            return
        self.wnids, splits = read_tiny_imagenet(self.root)
        records = {"train": splits["train"]}
        paths, labels, boxes = splits["official_val"]
        for name, indices in zip(("val", "test"), alternate_halves(labels), strict=True):
            records[name] = tuple([column[i] for i in indices] for column in (paths, labels, boxes))
        if self.in_memory:
            start = time.perf_counter()
            self.images = {name: decode_images(columns[0], self.image_size) for name, columns in records.items()}
            size = sum(images.nbytes for images in self.images.values()) / 1e9
            rank_zero_info(f"Tiny-ImageNet decoded into memory in {time.perf_counter() - start:.1f} s: "
                           f"{size:.2f} GB")
        self.records = records  # set last: after a failed decode, the next setup starts afresh

    def train_dataloader(self) -> DataLoader | FlippedImageBatches:
        if not self.in_memory:
            return super().train_dataloader()
        _, labels, boxes = self.records["train"]
        return FlippedImageBatches(self.images["train"], torch.tensor(labels), *image_boxes(boxes, self.image_size),
                                   self.transforms["eval"].to_float, self.batch_size, self.seed)

    @property
    def num_classes(self) -> int:
        self.setup()
        return len(self.wnids)

    @property
    def label_prior(self) -> list[float]:
        self.setup()
        return label_frequencies(torch.tensor(self.records["train"][1]), self.num_classes)

    def model_kwargs(self) -> dict:
        return {"num_classes": self.num_classes, "class_prior": self.label_prior, "image_size": self.image_size,
                "class_names": self.class_names()}

    def class_names(self) -> list[str]:
        """words.txt's name of each class (its first synonym), the wnid where words.txt lacks it."""
        words = Path(self.root) / self.archive.folder / "words.txt"
        names = {}
        if words.is_file():
            for line in words.read_text().splitlines():
                wnid, _, text = line.partition("\t")
                names[wnid] = text.split(",")[0].strip() or wnid
        return [names.get(wnid, wnid) for wnid in self.wnids]

    def dataset(self, split: str, transform: BoxedTransform, reference_frame: int | None = None) -> LabelledImages:
        return LabelledImages(*self.records[split], transform, reference_frame,
                              id_root=Path(self.root) / self.archive.folder,  # ids: val/images/<file>.JPEG
                              images=self.images.get(split))

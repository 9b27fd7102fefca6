"""CUB-200-2011 in its official layout (paper §4.2 and §6; SPEC §3, §4.4).

`<root>/CUB_200_2011/`: images.txt (id path), image_class_labels.txt (id class,
1-based), train_test_split.txt (id is_train), bounding_boxes.txt (id x y w h,
original pixels), classes.txt (id name), images/<class dir>/<file>.jpg.
Every listed image is checked to exist when the metadata is read; an image
that cannot be decoded is named when it is loaded. Nothing is skipped.

`CUBImages` serves classification here and localisation later; the
classification DataModule (Inception-V3, 299x299) splits as SPEC §3:
validation is a seeded tenth of each class's official training images;
`imbalanced=true` drops a seeded half of the train and validation images of a
seeded half of the classes; `test` is the official test split and `test_imb`
the same split with half the test images of those classes dropped.

`download=true` fetches the official archive (or `url`, checked against `md5`) through
`data/archive.py` when the folder is absent; with the official MD5 the official counts are checked too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision.transforms import v2

from infocam_lit.data.archive import Archive, check_official_counts
from infocam_lit.data.idx import DatasetError
from infocam_lit.data.image_items import BoxedTransform, LabelledImages
from infocam_lit.data.prior import label_frequencies
from infocam_lit.data.wsol_base import WSOL_TEST_SPLITS, ImageFolderDataModule, wsol_transforms
from infocam_lit.metrics.wsolevaluation import FRAME

METADATA_FILES = ("images.txt", "image_class_labels.txt", "train_test_split.txt", "bounding_boxes.txt",
                  "classes.txt")
URL = "https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz"
MD5 = "97eceeb196236b17998738112f37df78"
OFFICIAL_COUNTS = {"images": 11_788, "classes": 200, "training images": 5_994}
HOW_TO_GET = (f"Set data.download=true to fetch it (1.1 GB) from {URL}, or, offline, download CUB_200_2011.tgz "
              f"(MD5 {MD5}) on a machine with internet access and extract it under data.root (it creates the "
              "CUB_200_2011/ folder); data.url=file:///path/to/CUB_200_2011.tgz with data.download=true does that.")


@dataclass
class CUBMetadata:
    folder: Path
    paths: list[Path]  # per image, absolute
    labels: torch.Tensor  # (N,) long, 0-based
    is_train: torch.Tensor  # (N,) bool
    boxes: torch.Tensor  # (N, 4) inclusive x0 y0 x1 y1, original pixels
    class_names: list[str]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def _read_table(path: Path, fields: int, kinds: tuple) -> dict[int, tuple]:
    """id -> the remaining fields of each line, converted by `kinds`; errors name file and line."""
    rows = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=fields - 1) if kinds[-1] is str else line.split()
        try:
            if len(parts) != fields:
                raise ValueError(f"expected {fields} fields, got {len(parts)}")
            rows[int(parts[0])] = tuple(kind(value) for kind, value in zip(kinds, parts[1:], strict=True))
        except ValueError as error:
            raise DatasetError(f"{path}:{number}: malformed line {line!r} ({error})") from error
    return rows


def read_cub_metadata(root: str | Path) -> CUBMetadata:
    folder = Path(root) / "CUB_200_2011"
    missing = [name for name in METADATA_FILES if not (folder / name).is_file()]
    if missing or not (folder / "images").is_dir():
        raise DatasetError(f"CUB-200-2011 not found in {folder}: missing {', '.join(missing) or 'images/'}. "
                           f"Expected {', '.join(METADATA_FILES)} and images/<class>/<file>.jpg. {HOW_TO_GET}")
    images = _read_table(folder / "images.txt", 2, (str,))
    labels = _read_table(folder / "image_class_labels.txt", 2, (int,))
    split = _read_table(folder / "train_test_split.txt", 2, (int,))
    boxes = _read_table(folder / "bounding_boxes.txt", 5, (float, float, float, float))
    classes = _read_table(folder / "classes.txt", 2, (str,))
    ids = sorted(images)
    for name, table in (("image_class_labels.txt", labels), ("train_test_split.txt", split),
                        ("bounding_boxes.txt", boxes)):
        absent = [i for i in ids if i not in table]
        if absent:
            raise DatasetError(f"{folder / name} lists no entry for image id(s) {absent[:10]}")
    class_ids = sorted(classes)
    if class_ids != list(range(1, len(class_ids) + 1)):
        raise DatasetError(f"{folder / 'classes.txt'}: class ids must be 1..{len(class_ids)}")
    bad = [i for i in ids if not 1 <= labels[i][0] <= len(class_ids)]
    if bad:
        raise DatasetError(f"{folder / 'image_class_labels.txt'}: image id {bad[0]} has class {labels[bad[0]][0]}, "
                           f"outside 1..{len(class_ids)}")
    paths = [folder / "images" / images[i][0] for i in ids]
    absent_files = [p for p in paths if not p.is_file()]
    if absent_files:
        raise DatasetError(f"{len(absent_files)} image(s) listed in {folder / 'images.txt'} are missing, "
                           f"first {absent_files[0]}. {HOW_TO_GET}")
    xywh = torch.tensor([boxes[i] for i in ids], dtype=torch.float64)
    corners = torch.stack([xywh[:, 0], xywh[:, 1], xywh[:, 0] + xywh[:, 2] - 1, xywh[:, 1] + xywh[:, 3] - 1], 1)
    return CUBMetadata(
        folder=folder,
        paths=paths,
        labels=torch.tensor([labels[i][0] - 1 for i in ids]),
        is_train=torch.tensor([split[i][0] == 1 for i in ids]),
        boxes=corners.float(),
        class_names=[classes[c][0] for c in class_ids],
    )


class CUBImages(LabelledImages):
    """Items {image, label, boxes} of the given image indices, through a BoxedTransform. In
    wsolevaluation's convention a CUB box (x, y, w, h) ends at x + w: one past the inclusive end."""

    def __init__(self, meta: CUBMetadata, indices: list[int], transform: BoxedTransform,
                 reference_frame: int | None = None):
        self.meta, self.indices = meta, list(indices)
        super().__init__([meta.paths[i] for i in self.indices], [int(meta.labels[i]) for i in self.indices],
                         [meta.boxes[i : i + 1] for i in self.indices], transform, reference_frame, box_end_offset=1.0,
                         id_root=meta.folder / "images")  # ids as in its metadata: <class dir>/<file>.jpg


def verify_cub(root: Path, official: bool) -> None:
    """Every image the metadata lists exists (read_cub_metadata checks), and, for the official archive,
    the official counts hold."""
    meta = read_cub_metadata(root)
    if official:
        counts = {"images": len(meta.paths), "classes": meta.num_classes, "training images": int(meta.is_train.sum())}
        check_official_counts(meta.folder, counts, OFFICIAL_COUNTS, HOW_TO_GET)


# --------------------------------------------------------------------------- splits
def per_class_share(labels: torch.Tensor, indices: torch.Tensor, share: float,
                    generator: torch.Generator) -> torch.Tensor:
    """A seeded `share` (rounded, at least one where a class has two or more) of each class's indices."""
    chosen = []
    for k in labels[indices].unique().tolist():
        members = indices[labels[indices] == k]
        count = min(len(members) - 1, max(1, round(len(members) * share))) if len(members) > 1 else 0
        chosen.append(members[torch.randperm(len(members), generator=generator)[:count]])
    return torch.cat(chosen).sort().values if chosen else indices[:0]


def drop_half_of_classes(labels: torch.Tensor, indices: torch.Tensor, classes: torch.Tensor,
                         generator: torch.Generator) -> torch.Tensor:
    """`indices` without a seeded half (rounded down) of the images of each class in `classes`."""
    dropped = []
    for k in classes.tolist():
        members = indices[labels[indices] == k]
        dropped.append(members[torch.randperm(len(members), generator=generator)[: len(members) // 2]])
    drop = torch.cat(dropped) if dropped else indices[:0]
    return indices[~torch.isin(indices, drop)]


def classification_splits(meta: CUBMetadata, seed: int, imbalanced: bool) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    all_ids = torch.arange(len(meta.labels))
    official_train, test = all_ids[meta.is_train], all_ids[~meta.is_train]
    val = per_class_share(meta.labels, official_train, 0.1, generator)
    train = official_train[~torch.isin(official_train, val)]
    # the same classes lose half their images in test_imb whether or not the run is imbalanced
    reduced = torch.randperm(meta.num_classes, generator=generator)[: meta.num_classes // 2].sort().values
    splits = {"train": train, "val": val, "test": test,
              "test_imb": drop_half_of_classes(meta.labels, test, reduced, generator)}
    if imbalanced:
        for name in ("train", "val"):
            splits[name] = drop_half_of_classes(meta.labels, splits[name], reduced, generator)
    return splits


def inception_transforms(image_size: int) -> dict[str, BoxedTransform]:
    """torchvision's Inception-V3 preprocessing: random-resized crop + flip; resize 342 + centre crop 299."""
    resize = round(image_size * 342 / 299)
    return {
        "train": BoxedTransform([v2.RandomResizedCrop(image_size, antialias=True), v2.RandomHorizontalFlip()]),
        "eval": BoxedTransform([v2.Resize(resize, antialias=True), v2.CenterCrop(image_size)]),
    }


class CUBDataModule(ImageFolderDataModule):
    """What both CUB DataModules share: the download, the metadata, read once; `make_splits(meta)`
    decides the splits."""

    official_md5 = MD5
    wsolevaluation_name = "CUB"

    def __init__(self, root: str, download: bool, url: str, md5: str | None, batch_size: int,
                 eval_batch_size: int, num_workers: int, pin_memory: bool):
        super().__init__(root, download, Archive(url, md5, "CUB_200_2011", HOW_TO_GET), batch_size,
                         eval_batch_size, num_workers, pin_memory)
        self.meta: CUBMetadata | None = None
        self.splits: dict[str, torch.Tensor] = {}

    def verify(self, root: Path, official: bool) -> None:
        verify_cub(root, official)

    def setup(self, stage: str | None = None) -> None:
        if self.meta is None:
            self.meta = read_cub_metadata(self.root)
            self.splits = self.make_splits(self.meta)

    @property
    def num_classes(self) -> int:
        self.setup()
        return self.meta.num_classes

    @property
    def label_prior(self) -> list[float]:
        self.setup()
        return label_frequencies(self.meta.labels[self.splits["train"]], self.num_classes)

    def dataset(self, split: str, transform: BoxedTransform, reference_frame: int | None = None) -> CUBImages:
        return CUBImages(self.meta, self.splits[split].tolist(), transform, reference_frame)


class CUBClassificationDataModule(CUBDataModule):
    test_split_names = ("test", "test_imb")

    def __init__(self, root: str, download: bool, url: str, md5: str | None, imbalanced: bool, seed: int,
                 image_size: int, batch_size: int, eval_batch_size: int, num_workers: int, pin_memory: bool):
        super().__init__(root, download, url, md5, batch_size, eval_batch_size, num_workers, pin_memory)
        self.imbalanced = imbalanced
        self.seed = seed
        self.image_size = image_size
        self.transforms = inception_transforms(image_size)

    def make_splits(self, meta: CUBMetadata) -> dict[str, torch.Tensor]:
        return classification_splits(meta, self.seed, self.imbalanced)

    def model_kwargs(self) -> dict:
        return {"num_classes": self.num_classes, "class_prior": self.label_prior}


# --------------------------------------------------------------------------- localisation (WSOL)
def wsol_splits(meta: CUBMetadata) -> dict[str, torch.Tensor]:
    """Official train split for training; the official test split halved per class, alternating
    (first image to validation, second to test, ...), into validation and test (paper §6.1)."""
    all_ids = torch.arange(len(meta.labels))
    test_ids = all_ids[~meta.is_train]
    position = torch.zeros(len(test_ids), dtype=torch.long)
    for k in meta.labels[test_ids].unique().tolist():
        members = meta.labels[test_ids] == k
        position[members] = torch.arange(int(members.sum()))
    return {"train": all_ids[meta.is_train], "val": test_ids[position % 2 == 0], "test": test_ids[position % 2 == 1],
            "official_test": test_ids}


class CUBWSOLDataModule(CUBDataModule):
    """CUB-200-2011 for weakly supervised localisation (SPEC §4.4); items carry their boxes."""

    test_split_names = WSOL_TEST_SPLITS

    def __init__(self, root: str, download: bool, url: str, md5: str | None, resize_size: int, crop_size: int,
                 eval_transform: str, eval_split: str, batch_size: int, eval_batch_size: int, num_workers: int,
                 pin_memory: bool):
        super().__init__(root, download, url, md5, batch_size, eval_batch_size, num_workers, pin_memory)
        if eval_split not in ("test", "official_test"):
            raise ValueError(f"data.eval_split={eval_split!r}; valid: test, official_test")
        self.eval_split = eval_split
        if eval_split == "official_test":  # no validation half to choose a threshold on: it is scored
            self.test_split_names = ("test",)
        self.image_size = crop_size
        self.transforms = wsol_transforms(resize_size, crop_size, eval_transform)
        self.reference_frame = FRAME if eval_transform == "wsolevaluation" else None

    def make_splits(self, meta: CUBMetadata) -> dict[str, torch.Tensor]:
        splits = wsol_splits(meta)
        if self.eval_split == "official_test":
            splits["test"] = splits["official_test"]
        return splits

    def model_kwargs(self) -> dict:
        return {"num_classes": self.num_classes, "class_prior": self.label_prior, "image_size": self.image_size,
                "class_names": self.meta.class_names}

"""Small datasets written in the exact official on-disk formats, for tests and benchmarks.

Images carry a learnable signal (a class-specific pattern) so that short runs
learn something, and CUB images have a coloured object at a known box.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from torchvision.io import write_jpeg

from infocam_lit.data.idx import write_idx

MNIST_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def mnist_like(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (count, 28, 28) images like MNIST's: a zero background, and a bright 6x6 block whose
    place encodes the digit, with faint noise in a 2-pixel ring around it (the "stroke" edges)."""
    labels = rng.integers(0, 10, size=count).astype(np.uint8)
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    for k in range(10):
        row, col = 3 + 6 * (k // 4), 2 + 6 * (k % 4)
        chosen = labels == k
        ring = rng.integers(0, 60, size=(int(chosen.sum()), 10, 10)).astype(np.uint8)
        images[chosen, row - 2 : row + 8, col - 2 : col + 8] = ring
        images[chosen, row : row + 6, col : col + 6] = 255
    return images, labels


def make_mnist(root: Path, n_train: int = 600, n_test: int = 200, gz: bool = True, seed: int = 0) -> Path:
    """<root>/MNIST/raw/ with the four IDX files (gzipped or not)."""
    rng = np.random.default_rng(seed)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", n_train), ("test", n_test)):
        images, labels = mnist_like(count, rng)
        suffix = ".gz" if gz else ""
        write_idx(raw / (MNIST_NAMES[split][0] + suffix), images)
        write_idx(raw / (MNIST_NAMES[split][1] + suffix), labels)
    return raw


COLOURS = [(220, 40, 40), (40, 200, 40), (40, 60, 230), (230, 200, 30), (200, 40, 200), (30, 200, 200)]


def make_cub(root: Path, num_classes: int = 4, train_per_class: int = 10, test_per_class: int = 6,
             seed: int = 0, size_range: tuple[int, int] = (60, 100)) -> tuple[Path, dict[int, tuple]]:
    """<root>/CUB_200_2011/ with the official metadata files and JPEGs of varied sizes.

    Each image is noise with one class-coloured rectangle; its box (x, y, w, h) is
    written to bounding_boxes.txt. Returns the folder and {image id: (x, y, w, h)}.
    """
    rng = np.random.default_rng(seed)
    folder = root / "CUB_200_2011"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    lines = {name: [] for name in ("images", "labels", "split", "boxes", "classes")}
    boxes = {}
    image_id = 0
    for k in range(num_classes):
        class_dir = f"{k + 1:03d}.Bird_{k + 1}"
        (folder / "images" / class_dir).mkdir(exist_ok=True)
        lines["classes"].append(f"{k + 1} {class_dir}")
        for j in range(train_per_class + test_per_class):
            image_id += 1
            height, width = (int(v) for v in rng.integers(*size_range, size=2))
            image = rng.integers(0, 90, size=(3, height, width)).astype(np.uint8)
            w, h = int(rng.integers(width // 4, width // 2)), int(rng.integers(height // 4, height // 2))
            x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
            image[:, y : y + h, x : x + w] = np.array(COLOURS[k % len(COLOURS)], dtype=np.uint8)[:, None, None]
            name = f"{class_dir}/Bird_{k + 1}_{j:04d}.jpg"
            write_jpeg(torch.from_numpy(image), str(folder / "images" / name), quality=95)
            lines["images"].append(f"{image_id} {name}")
            lines["labels"].append(f"{image_id} {k + 1}")
            lines["split"].append(f"{image_id} {1 if j < train_per_class else 0}")
            lines["boxes"].append(f"{image_id} {x}.0 {y}.0 {w}.0 {h}.0")
            boxes[image_id] = (x, y, w, h)
    for name, file in (("images", "images.txt"), ("labels", "image_class_labels.txt"),
                       ("split", "train_test_split.txt"), ("boxes", "bounding_boxes.txt"),
                       ("classes", "classes.txt")):
        (folder / file).write_text("\n".join(lines[name]) + "\n")
    return folder, boxes


def _object_image(rng: np.random.Generator, height: int, width: int, colour) -> tuple[np.ndarray, tuple]:
    """Noise with one coloured rectangle; returns the image (3, H, W) and its inclusive corners."""
    image = rng.integers(0, 90, size=(3, height, width)).astype(np.uint8)
    w, h = int(rng.integers(width // 4, width // 2)), int(rng.integers(height // 4, height // 2))
    x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
    image[:, y : y + h, x : x + w] = np.array(colour, dtype=np.uint8)[:, None, None]
    return image, (x, y, x + w - 1, y + h - 1)


def make_tiny_imagenet(root: Path, num_classes: int = 3, train_per_class: int = 6, val_per_class: int = 4,
                       seed: int = 0) -> tuple[Path, dict[str, tuple]]:
    """<root>/tiny-imagenet-200/ in the official layout, 64x64 JPEGs; boxes are corners x0 y0 x1 y1.
    Returns the folder and {relative image path: corners}."""
    rng = np.random.default_rng(seed)
    folder = root / "tiny-imagenet-200"
    wnids = [f"n{1000 + k:08d}" for k in range(num_classes)]
    (folder / "val" / "images").mkdir(parents=True, exist_ok=True)
    (folder / "wnids.txt").write_text("\n".join(wnids) + "\n")
    (folder / "words.txt").write_text("\n".join(f"{w}\tthing {k}" for k, w in enumerate(wnids)) + "\n")
    corners = {}
    val_lines = []
    for k, wnid in enumerate(wnids):
        images = folder / "train" / wnid / "images"
        images.mkdir(parents=True)
        lines = []
        for j in range(train_per_class):
            image, box = _object_image(rng, 64, 64, COLOURS[k % len(COLOURS)])
            name = f"{wnid}_{j}.JPEG"
            write_jpeg(torch.from_numpy(image), str(images / name), quality=95)
            lines.append(f"{name}\t{box[0]}\t{box[1]}\t{box[2]}\t{box[3]}")
            corners[f"train/{wnid}/images/{name}"] = box
        (folder / "train" / wnid / f"{wnid}_boxes.txt").write_text("\n".join(lines) + "\n")
        for j in range(val_per_class):
            image, box = _object_image(rng, 64, 64, COLOURS[k % len(COLOURS)])
            name = f"val_{k * val_per_class + j}.JPEG"
            write_jpeg(torch.from_numpy(image), str(folder / "val" / "images" / name), quality=95)
            val_lines.append(f"{name}\t{wnid}\t{box[0]}\t{box[1]}\t{box[2]}\t{box[3]}")
            corners[f"val/images/{name}"] = box
    (folder / "val" / "val_annotations.txt").write_text("\n".join(val_lines) + "\n")
    return folder, corners


def archive_folder(folder: Path, archive: Path, extra_top_level: dict[str, str] | None = None) -> Path:
    """Pack `folder` (kept as the archive's top-level folder) into a .tgz or .zip as the official archives
    are, with optional extra top-level files (CUB's archive also holds attributes.txt)."""
    extra = extra_top_level or {}
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive, "w") as zipped:
            for path in sorted(folder.rglob("*")):
                zipped.write(path, path.relative_to(folder.parent))
            for name, text in extra.items():
                zipped.writestr(name, text)
    else:
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname=folder.name)
            for name, text in extra.items():
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return archive

"""The `data` group: one schema per DataModule."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

from infocam_lit.data import cub, tiny_imagenet
from infocam_lit.run.schema.base import ArchiveConfig, DataFolderConfig, WorkersConfig, require_loader_sizes
from infocam_lit.run.schema.checks import require


class EvalTransform(str, Enum):
    wsolevaluation = "wsolevaluation"  # resize straight to the crop size
    legacy = "legacy"  # resize, then centre crop (the authors')


class EvalSplit(str, Enum):
    test = "test"  # the half of the official test split left after the validation half (paper §6.1)
    official_test = "official_test"  # all of it (5,794 images), as wsolevaluation's test split


@dataclass
class GMMDataConfig:
    _target_: str = "infocam_lit.data.gmm.GMMDataModule"
    dim: int = 5  # any d >= 1; the paper uses 1, 2, 5, 10
    imbalanced: bool = True  # false: 10k train per class; true: 5k, 10k, 15k, 20k, 25k
    seed: int = "${seed}"  # every sample is a function of this seed
    batch_size: int = 512
    eval_batch_size: int = 8192
    noise_dims: int = 0  # independent N(0, 1) coordinates appended to x; I(X;Y) does not change (SPEC §7.4)
    size_factor: float = 1.0  # train and val keep this fraction of each class (a prefix); test is unchanged

    def __post_init__(self) -> None:
        require(self.dim >= 1, "data.dim", ">= 1", self.dim)
        require(self.noise_dims >= 0, "data.noise_dims", ">= 0", self.noise_dims)
        require(0 < self.size_factor <= 1, "data.size_factor", "in (0, 1] (a fraction of the paper's sample)",
                self.size_factor)
        require_loader_sizes(self)


@dataclass
class MNISTDataConfig(DataFolderConfig):
    """root holds MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]."""
    _target_: str = "infocam_lit.data.mnist.MNISTDataModule"
    imbalanced: bool = False  # true: all odd digits, a seeded 1/imbalance_ratio of each even digit (train and val)
    # rho: imbalanced keeps 1/rho of each even digit (imbalanced=false: rho = 1); the subsets of one seed are
    # nested across rho; test_imb is always rho = 10
    imbalance_ratio: float = 10.0
    val_fraction: float = 1 / 12  # of the official train file
    seed: int = "${seed}"
    batch_size: int = 64
    eval_batch_size: int = 1000

    def __post_init__(self) -> None:
        require(0 < self.val_fraction < 1, "data.val_fraction", "in (0, 1)", self.val_fraction)
        require(self.imbalance_ratio >= 1, "data.imbalance_ratio", ">= 1", self.imbalance_ratio)
        require_loader_sizes(self)


@dataclass
class CUBArchiveConfig(WorkersConfig, ArchiveConfig):
    """CUB-200-2011: download fetches the archive if <root>/CUB_200_2011/ is absent."""
    url: str = cub.URL
    md5: Optional[str] = cub.MD5


@dataclass
class CUBClassificationDataConfig(CUBArchiveConfig):
    _target_: str = "infocam_lit.data.cub.CUBClassificationDataModule"
    imbalanced: bool = False  # true: half of the train/val images of a seeded half of the classes dropped
    seed: int = "${seed}"
    image_size: int = 299  # Inception-V3's input; eval resizes to image_size * 8 / 7 first
    batch_size: int = 32
    eval_batch_size: int = 64

    def __post_init__(self) -> None:
        require(self.image_size >= 8, "data.image_size", ">= 8", self.image_size)
        require_loader_sizes(self)


@dataclass
class CUBWSOLDataConfig(CUBArchiveConfig):
    _target_: str = "infocam_lit.data.cub.CUBWSOLDataModule"
    resize_size: int = 256
    crop_size: int = 224
    # wsolevaluation: resize to crop_size x crop_size | legacy: resize to resize_size, then centre crop
    eval_transform: EvalTransform = EvalTransform.wsolevaluation
    # what the test stage scores: test (validation half held out, val_tau chosen on it) | official_test (the
    # whole official test split, for numbers beside wsolevaluation's; no val_tau; for evaluate.py)
    eval_split: EvalSplit = EvalSplit.test
    batch_size: int = 32
    eval_batch_size: int = 64

    def __post_init__(self) -> None:
        require(self.crop_size >= 8, "data.crop_size", ">= 8", self.crop_size)
        require(self.resize_size >= self.crop_size, "data.resize_size", f">= data.crop_size ({self.crop_size})",
                self.resize_size)
        require_loader_sizes(self)


@dataclass
class TinyImageNetDataConfig(WorkersConfig, ArchiveConfig):
    """Tiny-ImageNet: download fetches the archive when <root>/tiny-imagenet-200/ is absent."""
    _target_: str = "infocam_lit.data.tiny_imagenet.TinyImageNetDataModule"
    url: str = tiny_imagenet.URL
    md5: Optional[str] = tiny_imagenet.MD5
    # decode every image once into uint8 tensors (about 1.35 GB); training batches are flipped and normalised as
    # whole batches
    in_memory: bool = False
    seed: int = "${seed}"  # the order and flips of in-memory training batches (with the epoch)
    batch_size: int = 256
    eval_batch_size: int = 256

    def __post_init__(self) -> None:
        require_loader_sizes(self)


@dataclass
class DoubleMNISTDataConfig(DataFolderConfig):
    """Canvases of two MNIST digits, made from the MNIST files under root."""
    _target_: str = "infocam_lit.data.double_mnist.DoubleMNISTDataModule"
    slot_prob: float = 0.7
    train_canvases: int = 55_000
    val_canvases: int = 5_000
    test_canvases: int = 10_000
    val_fraction: float = 1 / 12
    seed: int = "${seed}"
    batch_size: int = 128
    eval_batch_size: int = 1000
    cache_dir: Optional[str] = "${paths.cache_dir}"

    def __post_init__(self) -> None:
        require(0 < self.slot_prob <= 1, "data.slot_prob", "in (0, 1]", self.slot_prob)
        for key in ("train_canvases", "val_canvases", "test_canvases"):
            require(getattr(self, key) >= 1, f"data.{key}", ">= 1", getattr(self, key))
        require_loader_sizes(self)
        require(0 < self.val_fraction < 1, "data.val_fraction", "in (0, 1)", self.val_fraction)


DATA_SCHEMAS = {"gmm": GMMDataConfig, "mnist": MNISTDataConfig, "cub_cls": CUBClassificationDataConfig,
                "cub_wsol": CUBWSOLDataConfig, "tiny_imagenet": TinyImageNetDataConfig,
                "double_mnist": DoubleMNISTDataConfig}

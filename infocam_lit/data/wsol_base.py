"""What the image DataModules share (CUB, Tiny-ImageNet): the download of their archive, the WSOL
transforms and the loader plumbing."""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import DataLoader
from torchvision.transforms import v2

from infocam_lit.data.archive import Archive, fetch
from infocam_lit.data.base import ExperimentDataModule
from infocam_lit.data.image_items import BoxedTransform, collate_items, eval_sampler

# The WSOL test stage also runs over the validation half: a box threshold is chosen there and applied
# to the test half (held-out tau, SPEC §7.2). The module tells the loaders apart by this order.
WSOL_TEST_SPLITS = ("val", "test")


def wsol_transforms(resize_size: int, crop_size: int, eval_transform: str) -> dict[str, BoxedTransform]:
    """Train: resize to a square, random crop, flip. Eval: resize straight to the crop size
    (wsolevaluation) or resize + centre crop (`legacy`, the authors')."""
    if eval_transform == "wsolevaluation":
        evaluation = [v2.Resize((crop_size, crop_size), antialias=True)]
    elif eval_transform == "legacy":
        evaluation = [v2.Resize((resize_size, resize_size), antialias=True), v2.CenterCrop(crop_size)]
    else:
        raise ValueError(f"data.eval_transform={eval_transform!r}; valid: wsolevaluation, legacy")
    return {
        "train": BoxedTransform([v2.Resize((resize_size, resize_size), antialias=True), v2.RandomCrop(crop_size),
                                 v2.RandomHorizontalFlip()]),
        "eval": BoxedTransform(evaluation),
    }


class ImageFolderDataModule(ExperimentDataModule):
    """An image dataset with boxes, unpacked from `archive` into `<root>/<archive.folder>/`. Subclasses
    set `self.transforms` ({"train", "eval"}) and `self.reference_frame` (wsolevaluation's 224 x 224
    frame when the eval transform is a plain resize, so eval items also carry its boxes scaled into that
    frame as its evaluator scales them; else None), provide
    `self.dataset(split, transform, reference_frame)` and
    `verify(root, official)` (run on a fresh download before it is put in place; `official` when the
    archive's MD5 is `official_md5`); one test loader per name in `test_split_names`."""

    official_md5: str = ""
    wsolevaluation_name: str = ""  # the dataset_name its evaluate_wsol scores these maps under

    def __init__(self, root: str, download: bool, archive: Archive, batch_size: int, eval_batch_size: int,
                 num_workers: int, pin_memory: bool):
        super().__init__()
        self.root, self.download, self.archive = root, download, archive
        self.reference_frame: int | None = None
        self.batch_size, self.eval_batch_size = batch_size, eval_batch_size
        self.num_workers, self.pin_memory = num_workers, pin_memory

    def verify(self, root: Path, official: bool) -> None:
        raise NotImplementedError

    def prepare_data(self) -> None:
        if self.download:
            official = (self.archive.md5 or "").lower() == self.official_md5
            fetch(self.archive, self.root, lambda root: self.verify(root, official))

    def is_prepared(self) -> bool:
        return not self.download or (Path(self.root) / self.archive.folder).is_dir()

    def _loader(self, split: str, train: bool) -> DataLoader:
        dataset = self.dataset(split, self.transforms["train" if train else "eval"],
                               None if train else self.reference_frame)
        sampler = None if train else eval_sampler(dataset)
        return DataLoader(dataset, batch_size=self.batch_size if train else self.eval_batch_size,
                          shuffle=train if sampler is None else None, sampler=sampler,
                          num_workers=self.num_workers, pin_memory=self.pin_memory,
                          persistent_workers=self.num_workers > 0, collate_fn=collate_items)

    def item_names(self, split: str) -> list[str]:
        dataset = self.dataset(split, self.transforms["eval"])
        return [dataset.image_id(i) for i in range(len(dataset))]

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", train=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", train=False)

    def test_dataloader(self) -> DataLoader | list[DataLoader]:
        loaders = [self._loader(name, train=False) for name in self.test_split_names]
        return loaders if len(loaders) > 1 else loaders[0]

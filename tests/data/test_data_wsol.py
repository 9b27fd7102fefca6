"""The WSOL DataModules: CUB (official test halved) and Tiny-ImageNet (corner boxes), with boxes that
follow the transforms by SPEC §4.2's rule, and bad input named."""

import math

import pytest
import torch

from infocam_lit.data.cub import read_cub_metadata, wsol_splits
from infocam_lit.data.idx import DatasetError
from infocam_lit.data.image_items import read_rgb
from infocam_lit.data.tiny_imagenet import alternate_halves
from tests.helpers.datamodules import datamodule
from tests.helpers.fixture_data import make_cub, make_tiny_imagenet


@pytest.fixture(scope="module")
def cub_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cub_wsol")
    make_cub(root, num_classes=3, train_per_class=4, test_per_class=5)
    return root


def test_cub_official_test_is_halved_per_class_alternating(cub_root):
    meta = read_cub_metadata(cub_root)
    splits = wsol_splits(meta)
    assert len(splits["train"]) == 12
    assert torch.bincount(meta.labels[splits["val"]]).tolist() == [3, 3, 3]  # images 1, 3, 5 of each class
    assert torch.bincount(meta.labels[splits["test"]]).tolist() == [2, 2, 2]
    test_of_class0 = (~meta.is_train & (meta.labels == 0)).nonzero().squeeze(1)
    assert splits["val"][:3].tolist() == test_of_class0[0::2].tolist()


def test_eval_split_official_test_scores_the_whole_official_test_split(cub_root):
    """data.eval_split=official_test: wsolevaluation's test split (all official test images), no val half."""
    dm = datamodule("cub_wsol", root=str(cub_root), eval_split="official_test", num_workers=0, pin_memory=False)
    dm.setup()
    assert dm.test_split_names == ("test",)
    assert dm.splits["test"].tolist() == (~dm.meta.is_train).nonzero().squeeze(1).tolist()
    assert len(dm.test_dataloader().dataset) == 15
    halved = datamodule("cub_wsol", root=str(cub_root), num_workers=0, pin_memory=False)
    assert halved.test_split_names == ("val", "test")


def scaled(box, sx, sy):
    x0, y0, x1, y1 = box
    return [math.floor(x0 * sx), math.floor(y0 * sy), math.ceil((x1 + 1) * sx) - 1, math.ceil((y1 + 1) * sy) - 1]


def test_cub_eval_boxes_match_the_fixture_after_the_resize(cub_root):
    dm = datamodule("cub_wsol", root=str(cub_root), resize_size=72, crop_size=64, num_workers=0, pin_memory=False)
    dm.setup()
    dataset = dm.dataset("test", dm.transforms["eval"])
    for i in range(len(dataset)):
        index = dataset.indices[i]
        height, width = read_rgb(dm.meta.paths[index]).shape[-2:]
        item = dataset[i]
        assert item["image"].shape == (3, 64, 64)
        assert item["boxes"][0].tolist() == scaled(dm.meta.boxes[index].tolist(), 64 / width, 64 / height)


def test_cub_legacy_eval_resizes_then_crops(cub_root):
    dm = datamodule("cub_wsol", root=str(cub_root), resize_size=80, crop_size=64, eval_transform="legacy",
                           num_workers=0, pin_memory=False)
    dm.setup()
    dataset = dm.dataset("test", dm.transforms["eval"])
    index = dataset.indices[0]
    height, width = read_rgb(dm.meta.paths[index]).shape[-2:]
    expected = torch.tensor(scaled(dm.meta.boxes[index].tolist(), 80 / width, 80 / height), dtype=torch.float)
    expected = (expected - 8).clamp(0, 63)  # centre crop offset (80 - 64) / 2
    assert dataset[0]["boxes"][0].tolist() == expected.tolist()


def test_cub_train_batches(cub_root):
    dm = datamodule("cub_wsol", root=str(cub_root), resize_size=72, crop_size=64, batch_size=4, num_workers=0,
                           pin_memory=False)
    dm.setup()
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 3, 64, 64) and batch["boxes"].shape == (4, 1, 4)
    assert dm.model_kwargs()["image_size"] == 64 and dm.num_classes == 3


def test_tiny_imagenet_reads_corners_not_widths(tmp_path):
    folder, corners = make_tiny_imagenet(tmp_path, num_classes=3, train_per_class=4, val_per_class=4)
    dm = datamodule("tiny_imagenet", root=str(tmp_path), num_workers=0, pin_memory=False)
    dm.setup()
    assert dm.num_classes == 3 and len(dm.records["train"][0]) == 12
    assert len(dm.records["val"][0]) == 6 and len(dm.records["test"][0]) == 6
    dataset = dm.dataset("test", dm.transforms["eval"])
    for i in range(len(dataset)):
        relative = dataset.paths[i].relative_to(folder).as_posix()
        item = dataset[i]
        assert item["image"].shape == (3, 64, 64)
        assert tuple(int(v) for v in item["boxes"][0].tolist()) == corners[relative]


def test_alternate_halves():
    assert alternate_halves([0, 0, 1, 0, 1, 1, 0]) == ([0, 2, 3, 5], [1, 4, 6])


def test_tiny_imagenet_missing_and_malformed(tmp_path):
    with pytest.raises(DatasetError, match="tiny-imagenet-200.*wnids.txt"):
        datamodule("tiny_imagenet", root=str(tmp_path / "none")).setup()
    folder, _ = make_tiny_imagenet(tmp_path, num_classes=2, train_per_class=2, val_per_class=2)
    annotations = folder / "val" / "val_annotations.txt"
    lines = annotations.read_text().splitlines()
    lines[1] = lines[1].rsplit("\t", 1)[0] + "\tx"
    annotations.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match="val_annotations.txt:2: malformed box"):
        datamodule("tiny_imagenet", root=str(tmp_path)).setup()


def test_tiny_imagenet_missing_image_is_named(tmp_path):
    folder, _ = make_tiny_imagenet(tmp_path, num_classes=2, train_per_class=2, val_per_class=2)
    victim = folder / "val" / "images" / "val_1.JPEG"
    victim.unlink()
    with pytest.raises(DatasetError, match="val_1.JPEG"):
        datamodule("tiny_imagenet", root=str(tmp_path)).setup()


def test_a_box_the_centre_crop_cuts_away_is_dropped_and_counted(tmp_path):
    """A box wholly outside the legacy centre crop is dropped (was: a 1-pixel box at the edge)."""
    from torchvision.transforms import v2

    from infocam_lit.data.image_items import BoxedTransform, collate_items

    transform = BoxedTransform([v2.Resize((80, 80), antialias=True), v2.CenterCrop(64)])
    image = torch.zeros(3, 80, 80, dtype=torch.uint8)
    boxes = torch.tensor([[0.0, 0.0, 5.0, 5.0], [20.0, 20.0, 40.0, 40.0], [74.0, 10.0, 79.0, 30.0]])
    _, kept = transform(image, boxes)
    assert kept.tolist() == [[12.0, 12.0, 32.0, 32.0]]
    _, edge = transform(image, torch.tensor([[5.0, 5.0, 8.0, 9.0]]))  # one pixel row/column inside
    assert edge.tolist() == [[0.0, 0.0, 0.0, 1.0]]
    items = [{"image": torch.zeros(3, 2, 2), "label": 0, "boxes": kept, "dropped_boxes": 2},
             {"image": torch.zeros(3, 2, 2), "label": 1, "boxes": kept[:0], "dropped_boxes": 1}]
    batch = collate_items(items)
    assert batch["box_count"].tolist() == [1, 0] and batch["dropped_boxes"].tolist() == [2, 1]

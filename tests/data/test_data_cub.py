"""CUB-200-2011 from its official layout: metadata, splits, boxes through transforms, bad input."""

import math

import pytest
import torch
from torchvision.transforms import v2

from infocam_lit.data.cub import (
    CUBImages,
    classification_splits,
    inception_transforms,
    read_cub_metadata,
)
from infocam_lit.data.idx import DatasetError
from infocam_lit.data.image_items import BoxedTransform, collate_items, read_rgb
from tests.helpers.datamodules import datamodule
from tests.helpers.fixture_data import make_cub


@pytest.fixture(scope="module")
def cub(tmp_path_factory):
    root = tmp_path_factory.mktemp("cub")
    folder, boxes = make_cub(root, num_classes=4, train_per_class=10, test_per_class=6)
    return root, boxes


def test_metadata(cub):
    root, boxes = cub
    meta = read_cub_metadata(root)
    assert meta.num_classes == 4 and len(meta.paths) == 64
    assert meta.labels[:16].tolist() == [0] * 16 and int(meta.labels[-1]) == 3
    assert int(meta.is_train.sum()) == 40
    x, y, w, h = boxes[1]
    assert meta.boxes[0].tolist() == [x, y, x + w - 1, y + h - 1]  # inclusive corners


def test_classification_splits_balanced(cub):
    meta = read_cub_metadata(cub[0])
    splits = classification_splits(meta, seed=0, imbalanced=False)
    assert torch.bincount(meta.labels[splits["val"]]).tolist() == [1, 1, 1, 1]  # a tenth of 10
    assert torch.bincount(meta.labels[splits["train"]]).tolist() == [9, 9, 9, 9]
    assert len(splits["test"]) == 24 and not set(splits["train"].tolist()) & set(splits["val"].tolist())
    assert sorted(torch.bincount(meta.labels[splits["test_imb"]]).tolist()) == [3, 3, 6, 6]


def test_classification_splits_imbalanced_and_seeded(cub):
    meta = read_cub_metadata(cub[0])
    splits = classification_splits(meta, seed=0, imbalanced=True)
    train_counts = torch.bincount(meta.labels[splits["train"]], minlength=4)
    assert sorted(train_counts.tolist()) == [5, 5, 9, 9]  # half (rounded up kept) of 9 for 2 of 4 classes
    test_imb = torch.bincount(meta.labels[splits["test_imb"]], minlength=4)
    assert torch.equal(train_counts < 9, test_imb < 6)  # the same classes are reduced everywhere
    again = classification_splits(meta, seed=0, imbalanced=True)
    assert all(torch.equal(splits[k], again[k]) for k in splits)
    balanced = classification_splits(meta, seed=0, imbalanced=False)
    assert torch.equal(balanced["test_imb"], splits["test_imb"])  # same test_imb whatever the training data


def test_prior_matches_train_split(cub):
    dm = datamodule("cub_cls", root=str(cub[0]), imbalanced=True, seed=0, num_workers=0)
    dm.setup()
    counts = torch.bincount(dm.meta.labels[dm.splits["train"]], minlength=4).double()
    assert dm.label_prior == pytest.approx((counts / counts.sum()).tolist())


def expected_resize(box, width, height, new_width, new_height):
    sx, sy = new_width / width, new_height / height
    x0, y0, x1, y1 = box
    return [math.floor(x0 * sx), math.floor(y0 * sy), math.ceil((x1 + 1) * sx) - 1, math.ceil((y1 + 1) * sy) - 1]


def test_boxes_follow_a_resize_by_the_span_rule(cub):
    root, _ = cub
    meta = read_cub_metadata(root)
    for index in range(0, 64, 7):
        height, width = read_rgb(meta.paths[index]).shape[-2:]
        item = CUBImages(meta, [index], BoxedTransform([v2.Resize((40, 50), antialias=True)]))[0]
        assert item["image"].shape == (3, 40, 50)
        assert item["boxes"][0].tolist() == expected_resize(meta.boxes[index].tolist(), width, height, 50, 40)


def test_boxes_follow_a_centre_crop_and_are_clipped():
    image = torch.zeros(3, 20, 30, dtype=torch.uint8)
    boxes = torch.tensor([[2.0, 3.0, 12.0, 8.0], [20.0, 0.0, 29.0, 19.0]])
    out_image, out_boxes = BoxedTransform([v2.CenterCrop((10, 16))])(image, boxes)
    # crop offsets: top = round((20 - 10) / 2) = 5, left = round((30 - 16) / 2) = 7
    assert out_image.shape == (3, 10, 16)
    assert out_boxes.tolist() == [[0.0, 0.0, 5.0, 3.0], [13.0, 0.0, 15.0, 9.0]]


def test_boxes_follow_a_flip():
    image = torch.zeros(3, 10, 20, dtype=torch.uint8)
    _, boxes = BoxedTransform([v2.RandomHorizontalFlip(p=1.0)])(image, torch.tensor([[2.0, 1.0, 5.0, 4.0]]))
    assert boxes.tolist() == [[14.0, 1.0, 17.0, 4.0]]  # x -> W - 1 - x


def test_eval_items_keep_the_object_box(cub):
    root, _ = cub
    dm = datamodule("cub_cls", root=str(root), image_size=80, num_workers=0, eval_batch_size=5)
    dm.setup()
    batch = next(iter(dm.test_dataloader()[0]))
    assert batch["image"].shape == (5, 3, 80, 80) and batch["boxes"].shape == (5, 1, 4)
    assert batch["box_count"].tolist() == [1] * 5
    assert (batch["boxes"] >= 0).all() and (batch["boxes"] <= 79).all()


def test_train_transform_shapes(cub):
    # The random-resized crop may miss the box entirely, which then drops it; seeded, so the test is fixed.
    meta = read_cub_metadata(cub[0])
    dataset = CUBImages(meta, [0], inception_transforms(75)["train"])
    kept = 0
    for seed in range(10):
        torch.manual_seed(seed)
        item = dataset[0]
        assert item["image"].shape == (3, 75, 75) and item["boxes"].shape[0] in (0, 1) and item["boxes"].shape[1] == 4
        assert ((item["boxes"] >= 0) & (item["boxes"] <= 74)).all()
        kept += item["boxes"].shape[0]
    assert kept > 0


def test_collate_pads_boxes():
    items = [{"image": torch.zeros(3, 4, 4), "label": 1, "boxes": torch.ones(2, 4)},
             {"image": torch.zeros(3, 4, 4), "label": 0, "boxes": torch.ones(1, 4)}]
    batch = collate_items(items)
    assert batch["boxes"].shape == (2, 2, 4) and batch["boxes"][1, 1].tolist() == [-1.0] * 4
    assert batch["box_count"].tolist() == [2, 1] and batch["label"].tolist() == [1, 0]


# --------------------------------------------------------------------------- bad input
def test_missing_dataset_names_folder_and_files(tmp_path):
    with pytest.raises(DatasetError) as info:
        read_cub_metadata(tmp_path)
    message = str(info.value)
    assert str(tmp_path / "CUB_200_2011") in message and "images.txt" in message and "bounding_boxes.txt" in message


def test_missing_image_is_named(tmp_path):
    folder, _ = make_cub(tmp_path, num_classes=2, train_per_class=2, test_per_class=1)
    victim = sorted((folder / "images").rglob("*.jpg"))[1]
    victim.unlink()
    with pytest.raises(DatasetError, match=victim.name):
        read_cub_metadata(tmp_path)


def test_corrupt_image_is_named_when_loaded(tmp_path):
    folder, _ = make_cub(tmp_path, num_classes=2, train_per_class=2, test_per_class=1)
    meta = read_cub_metadata(tmp_path)
    meta.paths[2].write_bytes(b"\xff\xd8 this is not a jpeg")
    dataset = CUBImages(meta, [2], inception_transforms(75)["eval"])
    with pytest.raises(DatasetError, match=f"cannot read image {meta.paths[2]}"):
        dataset[0]


def test_malformed_line_is_named(tmp_path):
    folder, _ = make_cub(tmp_path, num_classes=2, train_per_class=2, test_per_class=1)
    lines = (folder / "bounding_boxes.txt").read_text().splitlines()
    lines[3] = "4 10.0 oops 5.0 5.0"
    (folder / "bounding_boxes.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"bounding_boxes.txt:4: malformed line"):
        read_cub_metadata(tmp_path)


def test_image_without_label_is_named(tmp_path):
    folder, _ = make_cub(tmp_path, num_classes=2, train_per_class=2, test_per_class=1)
    lines = (folder / "image_class_labels.txt").read_text().splitlines()
    (folder / "image_class_labels.txt").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(DatasetError, match=r"image_class_labels.txt lists no entry for image id\(s\) \[6\]"):
        read_cub_metadata(tmp_path)

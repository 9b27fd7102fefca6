"""Double-digit MNIST canvases: slot probability, no empty canvas, tight boxes, determinism, no leakage."""

import pytest
import torch

from infocam_lit.data.double_mnist import build_canvases
from tests.helpers.datamodules import datamodule
from tests.helpers.fixture_data import make_mnist


def digits_like(count: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    images = torch.zeros(count, 28, 28, dtype=torch.uint8)
    rows = torch.randint(2, 14, (count,), generator=g)
    cols = torch.randint(2, 14, (count,), generator=g)
    for i in range(count):  # a 9x7 block per image at a known place
        images[i, rows[i] : rows[i] + 9, cols[i] : cols[i] + 7] = 200
    return images, torch.randint(0, 10, (count,), generator=g), rows, cols


def test_slot_probability_and_no_empty_canvas():
    images, digits, _, _ = digits_like(200)
    canvases = build_canvases(images, digits, 20_000, 0.7, torch.Generator().manual_seed(0))
    count = canvases["box_count"]
    assert (count >= 1).all()
    # given a non-empty canvas, P(two digits) = 0.49 / 0.91
    assert (count == 2).double().mean().item() == pytest.approx(0.49 / 0.91, abs=0.015)
    assert canvases["image"].shape == (20_000, 28, 56) and canvases["image"].dtype == torch.uint8


def test_boxes_are_tight_around_each_pasted_digit_and_labels_match():
    images, digits, rows, cols = digits_like(50, seed=1)
    canvases = build_canvases(images, digits, 300, 0.7, torch.Generator().manual_seed(1))
    for i in range(300):
        canvas = canvases["image"][i]
        for j in range(int(canvases["box_count"][i])):
            x0, y0, x1, y1 = (int(v) for v in canvases["boxes"][i, j])
            slot = 0 if x0 < 28 else 1
            ys, xs = torch.nonzero(canvas[:, 28 * slot : 28 * slot + 28], as_tuple=True)
            assert (x0 - 28 * slot, y0, x1 - 28 * slot, y1) == (int(xs.min()), int(ys.min()), int(xs.max()),
                                                                 int(ys.max()))
            assert canvases["labels"][i, canvases["box_labels"][i, j]] == 1
        assert canvases["labels"][i].sum() == len(set(canvases["box_labels"][i, : canvases["box_count"][i]].tolist()))
        assert (canvases["boxes"][i, int(canvases["box_count"][i]) :] == -1).all()


def test_same_seed_same_canvases():
    images, digits, _, _ = digits_like(30)
    a = build_canvases(images, digits, 100, 0.7, torch.Generator().manual_seed(5))
    b = build_canvases(images, digits, 100, 0.7, torch.Generator().manual_seed(5))
    c = build_canvases(images, digits, 100, 0.7, torch.Generator().manual_seed(6))
    assert all(torch.equal(a[k], b[k]) for k in a) and not torch.equal(a["image"], c["image"])


def test_no_test_digit_in_training_canvases_and_the_cache(tmp_path):
    make_mnist(tmp_path / "data", n_train=600, n_test=200)
    dm = datamodule("double_mnist", root=str(tmp_path / "data"), train_canvases=500, val_canvases=100,
                               test_canvases=200, cache_dir=str(tmp_path / "cache"))
    dm.prepare_data()  # writes the cache (once per node; setup runs on every rank and only reads it)
    dm.setup()
    from infocam_lit.data.mnist import load_mnist_split

    train_images, _ = load_mnist_split(tmp_path / "data", "train")
    test_images, _ = load_mnist_split(tmp_path / "data", "test")
    train_set = {bytes(im.numpy()) for im in train_images}
    slots = torch.cat([dm.splits["test"]["image"][:, :, :28], dm.splits["test"]["image"][:, :, 28:]])
    assert all(bytes(s.numpy()) in {bytes(t.numpy()) for t in test_images} or s.sum() == 0 for s in slots[:50])
    train_slots = torch.cat([dm.splits["train"]["image"][:, :, :28], dm.splits["train"]["image"][:, :, 28:]])
    assert all(bytes(s.numpy()) in train_set or s.sum() == 0 for s in train_slots[:200])
    assert len(list((tmp_path / "cache").glob("double_mnist_*.pt"))) == 1
    again = datamodule("double_mnist", root=str(tmp_path / "data"), train_canvases=500, val_canvases=100,
                                  test_canvases=200, cache_dir=str(tmp_path / "cache"))
    again.setup()
    assert torch.equal(again.splits["train"]["image"], dm.splits["train"]["image"])
    prior = dm.label_prior
    assert len(prior) == 10 and all(0 < p < 1 for p in prior)


def test_batches_are_dicts_of_normalised_images():
    images, digits, _, _ = digits_like(30)
    dm = datamodule("double_mnist", batch_size=8)
    dm.splits = {"train": build_canvases(images, digits, 40, 0.7, torch.Generator().manual_seed(0))}
    batch = dm.batch_on_device(next(iter(dm.train_dataloader())))
    assert batch["image"].shape == (8, 1, 28, 56) and batch["labels"].shape == (8, 10)
    assert batch["boxes"].shape == (8, 2, 4) and batch["box_labels"].shape == (8, 2)

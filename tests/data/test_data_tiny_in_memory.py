"""Tiny-ImageNet decoded once into memory (data.in_memory=true): the same evaluation batches as the
file path, bit for bit; training batches sliced from the tensor, each image the file path's own or
its mirror with its boxes mirrored too, seeded by the seed and the epoch; bad images named."""

import shutil

import pytest
import torch
from torchvision.io import write_jpeg
from torchvision.transforms import v2

from infocam_lit.data.idx import DatasetError
from infocam_lit.data.image_items import BoxedTransform, read_rgb
from tests.helpers.datamodules import datamodule
from tests.helpers.fixture_data import make_tiny_imagenet
from tests.helpers.runs import read_metrics, run_entry


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    """The fixture, with one training box reaching past the image (clipped) and one wholly outside it
    (dropped), so both paths' box rules are compared too."""
    root = tmp_path_factory.mktemp("tiny")
    folder, _ = make_tiny_imagenet(root, num_classes=3, train_per_class=6, val_per_class=4)
    wnid = (folder / "wnids.txt").read_text().split()[0]  # the first class: the first training items
    box_file = folder / "train" / wnid / f"{wnid}_boxes.txt"
    lines = box_file.read_text().splitlines()
    lines[0] = "\t".join([lines[0].split("\t")[0], "50", "3", "70", "20"])
    lines[1] = "\t".join([lines[1].split("\t")[0], "64", "0", "80", "10"])
    box_file.write_text("\n".join(lines) + "\n")
    return root


def tiny(root, **values):
    dm = datamodule("tiny_imagenet", root=str(root), num_workers=0, pin_memory=False, batch_size=5,
                    eval_batch_size=4, **values)
    dm.setup()
    return dm


def same_batch(ours: dict, theirs: dict) -> bool:
    assert set(ours) == set(theirs)
    return all(torch.equal(ours[k], theirs[k]) if isinstance(ours[k], torch.Tensor) else ours[k] == theirs[k]
               for k in ours)


def test_eval_batches_equal_the_file_path_bit_for_bit(tiny_root, tmp_path):
    shutil.copytree(tiny_root, tmp_path, dirs_exist_ok=True)
    from_files, in_memory = tiny(tmp_path), tiny(tmp_path, in_memory=True)
    assert in_memory.images["val"].shape == (6, 3, 64, 64) and in_memory.images["val"].dtype == torch.uint8
    loaders = [[from_files.val_dataloader(), *from_files.test_dataloader()],
               [in_memory.val_dataloader(), *in_memory.test_dataloader()]]
    file_batches = [list(loader) for loader in loaders[0]]
    shutil.rmtree(tmp_path / "tiny-imagenet-200" / "val" / "images")  # in memory, the files are read once
    for theirs, ours in zip(file_batches, loaders[1], strict=True):
        batches = list(zip(theirs, ours, strict=True))
        assert len(batches) == 2
        for file_batch, memory_batch in batches:
            assert "boxes_wsolevaluation" in memory_batch and "image_id" in memory_batch
            assert same_batch(memory_batch, file_batch)


def references(dm) -> tuple[list, list]:
    """Each training item as the file path makes it, unflipped and flipped (torchvision's flip)."""
    paths, labels, boxes = dm.records["train"]
    plain, mirrored = BoxedTransform([]), BoxedTransform([v2.RandomHorizontalFlip(p=1.0)])
    return ([plain(read_rgb(path), box) for path, box in zip(paths, boxes, strict=True)],
            [mirrored(read_rgb(path), box) for path, box in zip(paths, boxes, strict=True)])


def padded(boxes: torch.Tensor) -> torch.Tensor:
    return boxes if len(boxes) else torch.full((1, 4), -1.0)


def epoch_items(loader, epoch: int, plain: list, mirrored: list) -> list[tuple[int, bool]]:
    """(training index, flipped) of every item of an epoch, in order, checking each against the references."""
    loader.sampler.set_epoch(epoch)
    seen = []
    for batch in loader:
        assert batch["image"].dtype == torch.float32 and batch["label"].dtype == torch.int64
        for image, label, boxes, count, dropped in zip(batch["image"], batch["label"], batch["boxes"],
                                                       batch["box_count"], batch["dropped_boxes"], strict=True):
            matches = [(i, flip) for i in range(len(plain)) for flip, reference in ((False, plain), (True, mirrored))
                       if torch.equal(image, reference[i][0])]
            assert len(matches) == 1, "each image is one training image, as it is or mirrored"
            i, flip = matches[0]
            expected_boxes = (mirrored if flip else plain)[i][1]
            assert torch.equal(boxes, padded(expected_boxes)), "the boxes are flipped exactly when the image is"
            assert int(label) == loader.tensors[1][i] and int(count) == len(expected_boxes)
            assert int(dropped) == 1 - len(expected_boxes)
            seen.append((i, flip))
    return seen


def test_training_batches_are_the_file_paths_items_flipped_with_their_boxes(tiny_root):
    dm = tiny(tiny_root, in_memory=True, seed=3)
    plain, mirrored = references(dm)
    # the hand-made boxes: clipped at x = 63, and dropped
    assert plain[0][1].tolist() == [[50.0, 3.0, 63.0, 20.0]] and mirrored[0][1].tolist() == [[0.0, 3.0, 13.0, 20.0]]
    assert plain[1][1].numel() == 0
    loader = dm.train_dataloader()
    assert len(loader) == 4  # 18 images in batches of 5
    first = epoch_items(loader, 0, plain, mirrored)
    assert sorted(i for i, _ in first) == list(range(18)), "an epoch is a permutation"
    assert {flip for _, flip in first} == {False, True}
    assert epoch_items(tiny(tiny_root, in_memory=True, seed=3).train_dataloader(), 0, plain, mirrored) == first
    second = epoch_items(loader, 1, plain, mirrored)
    assert [i for i, _ in second] != [i for i, _ in first]
    assert epoch_items(loader, 0, plain, mirrored) == first  # a resumed epoch 0: the same batches
    other_seed = epoch_items(tiny(tiny_root, in_memory=True, seed=4).train_dataloader(), 0, plain, mirrored)
    assert other_seed != first


def test_a_corrupt_or_odd_sized_image_is_named(tmp_path):
    folder, _ = make_tiny_imagenet(tmp_path, num_classes=2, train_per_class=2, val_per_class=2)
    victim = next((folder / "train").glob("*/images/*_1.JPEG"))
    victim.write_bytes(b"\xff\xd8\xff not a jpeg")
    with pytest.raises(DatasetError, match=f"cannot read image .*{victim.name}"):
        tiny(tmp_path, in_memory=True)
    tiny(tmp_path)  # the file path reads images only when it loads them
    write_jpeg(torch.zeros(3, 32, 48, dtype=torch.uint8), str(victim))
    with pytest.raises(DatasetError, match=f"{victim.name} is 48x32; Tiny-ImageNet images are 64x64"):
        tiny(tmp_path, in_memory=True)


@pytest.mark.subprocess
def test_train_in_memory(tmp_path):
    make_tiny_imagenet(tmp_path / "data", num_classes=3, train_per_class=4, val_per_class=4)
    run_entry("train.py", tmp_path / "run", "experiment=wsol_tiny", "model=small_gap_cnn", "data.in_memory=true",
              f"data.root={tmp_path / 'data'}", "logger=csv", "data.batch_size=4", "data.eval_batch_size=8",
              "data.num_workers=0", "data.pin_memory=false", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
              "cam.threshold_step=0.05")
    metrics = read_metrics(tmp_path / "run")
    assert 0 <= metrics["test/cls_top1"] <= 1 and "test/infocam/maxboxacc_v2" in metrics

"""MNIST from IDX files: splits, imbalance, and every bad input named."""

import pytest
import torch

from infocam_lit.data import mnist
from infocam_lit.data.idx import DatasetError, read_idx
from infocam_lit.data.mnist import imbalanced_subset, normalize
from tests.helpers.datamodules import datamodule
from tests.helpers.fixture_data import make_mnist


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist")
    make_mnist(root, n_train=1200, n_test=400, gz=True)
    return root


def test_gzipped_and_plain_files_read_the_same(tmp_path):
    make_mnist(tmp_path / "gz", gz=True, seed=3)
    make_mnist(tmp_path / "plain", gz=False, seed=3)
    a = mnist.load_mnist_split(tmp_path / "gz", "train")
    b = mnist.load_mnist_split(tmp_path / "plain", "train")
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert a[0].dtype == torch.uint8 and a[0].shape == (600, 28, 28)


def test_balanced_splits(mnist_root):
    dm = datamodule("mnist", root=str(mnist_root), seed=0)
    dm.setup()
    assert len(dm.splits["val"][1]) == 100 and len(dm.splits["train"][1]) == 1100
    assert len(dm.splits["test"][1]) == 400
    counts = torch.bincount(dm.splits["train"][1], minlength=10).double()
    assert dm.label_prior == pytest.approx((counts / counts.sum()).tolist())


def test_imbalanced_split_counts(mnist_root):
    dm = datamodule("mnist", root=str(mnist_root), imbalanced=True, seed=0)
    dm.setup()
    full = datamodule("mnist", root=str(mnist_root), imbalanced=False, seed=0)
    full.setup()
    for split in ("train", "val"):
        before = torch.bincount(full.splits[split][1], minlength=10)
        after = torch.bincount(dm.splits[split][1], minlength=10)
        for digit in range(10):
            expected = before[digit] if digit % 2 else round(int(before[digit]) * 0.1)
            assert after[digit] == expected, (split, digit)
    test_counts = torch.bincount(dm.splits["test"][1], minlength=10)
    imb_counts = torch.bincount(dm.splits["test_imb"][1], minlength=10)
    assert torch.equal(imb_counts[1::2], test_counts[1::2])
    assert all(imb_counts[d] == round(int(test_counts[d]) * 0.1) for d in range(0, 10, 2))
    assert dm.label_prior[1] > 5 * dm.label_prior[0]
    assert torch.equal(dm.splits["test_imb"][1], full.splits["test_imb"][1])  # paired across the two settings


def test_imbalanced_split_is_a_function_of_the_seed(mnist_root):
    a, b, c = (datamodule("mnist", root=str(mnist_root), imbalanced=True, seed=s) for s in (1, 1, 2))
    for dm in (a, b, c):
        dm.setup()
    assert torch.equal(a.splits["train"][0], b.splits["train"][0])
    assert not torch.equal(a.splits["val"][1], c.splits["val"][1]) or not torch.equal(
        a.splits["train"][0][:50], c.splits["train"][0][:50])


def test_imbalance_ratio_subsets_are_nested_and_rho_one_is_balanced(mnist_root):
    """SPEC §7.3: 1/rho of each even digit, nested across rho for one seed; rho = 1 and
    imbalanced=false keep everything; test_imb stays the paper's rho = 10 split."""
    def splits(**kwargs):
        dm = datamodule("mnist", root=str(mnist_root), seed=3, **kwargs)
        dm.setup()
        return dm.splits

    balanced = splits(imbalanced=False, imbalance_ratio=100)
    rho = {ratio: splits(imbalanced=True, imbalance_ratio=ratio) for ratio in (1, 4, 10, 100)}
    default = splits(imbalanced=True)
    for split in ("train", "val"):
        assert torch.equal(rho[1][split][0], balanced[split][0])
        assert torch.equal(rho[10][split][0], default[split][0])  # the default ratio is the paper's
        full = torch.bincount(balanced[split][1], minlength=10)
        for ratio in (4, 10, 100):
            counts = torch.bincount(rho[ratio][split][1], minlength=10)
            assert torch.equal(counts[1::2], full[1::2])
            assert counts[0::2].tolist() == [round(int(n) / ratio) for n in full[0::2]], (split, ratio)
        # nested: every image kept at a larger ratio is kept at each smaller one
        for small, large in ((1, 4), (4, 10), (10, 100)):
            kept = {bytes(image.numpy()) for image in rho[small][split][0]}
            assert all(bytes(image.numpy()) in kept for image in rho[large][split][0])
    for ratio in (1, 100):
        assert torch.equal(rho[ratio]["test_imb"][1], default["test_imb"][1])
        assert torch.equal(rho[ratio]["test"][1], default["test"][1])


def test_imbalanced_subset_keeps_odd_digits():
    labels = torch.tensor([0] * 20 + [1] * 7 + [2] * 15)
    keep = imbalanced_subset(labels, torch.Generator().manual_seed(0))
    assert torch.bincount(labels[keep], minlength=3).tolist() == [2, 7, 2]


def test_normalize():
    out = normalize(torch.tensor([[[0, 255]]], dtype=torch.uint8))
    assert out.shape == (1, 1, 1, 2)
    assert out[0, 0, 0].tolist() == pytest.approx([-0.1307 / 0.3081, (1 - 0.1307) / 0.3081])


def test_batches_are_normalised_on_the_device(mnist_root):
    dm = datamodule("mnist", root=str(mnist_root), batch_size=16)
    dm.setup()
    images, labels = dm.batch_on_device(next(iter(dm.train_dataloader())))
    assert images.shape == (16, 1, 28, 28) and images.dtype == torch.float32 and labels.dtype == torch.long


# --------------------------------------------------------------------------- bad input
def test_missing_files_name_the_folder_and_files(tmp_path):
    with pytest.raises(DatasetError) as info:
        datamodule("mnist", root=str(tmp_path)).setup()
    message = str(info.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "train-images-idx3-ubyte" in message
    assert "data.download=true" in message


def test_truncated_file_is_named(tmp_path):
    raw = make_mnist(tmp_path, gz=False)
    path = raw / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetError, match="truncated") as info:
        mnist.load_mnist_split(tmp_path, "train")
    assert str(path) in str(info.value)


def test_truncated_gzip_is_named(tmp_path):
    raw = make_mnist(tmp_path, gz=True)
    path = raw / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(DatasetError, match=str(path)):
        mnist.load_mnist_split(tmp_path, "test")


def test_wrong_magic_is_named(tmp_path):
    raw = make_mnist(tmp_path, gz=False)
    path = raw / "train-labels-idx1-ubyte"
    data = bytearray(path.read_bytes())
    data[3] = 3  # claims 3 dimensions
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match="magic 0x00000803") as info:
        mnist.load_mnist_split(tmp_path, "train")
    assert str(path) in str(info.value)


def test_image_label_count_mismatch(tmp_path):
    raw = make_mnist(tmp_path, gz=False)
    labels = read_idx(raw / "train-labels-idx1-ubyte", 1)
    from infocam_lit.data.idx import write_idx

    write_idx(raw / "train-labels-idx1-ubyte", labels[:-5].numpy())
    with pytest.raises(DatasetError, match="holds 600 images but .* holds 595 labels"):
        mnist.load_mnist_split(tmp_path, "train")


def test_not_gzip_data_in_a_gz_file(tmp_path):
    raw = make_mnist(tmp_path, gz=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError, match="cannot read"):
        mnist.load_mnist_split(tmp_path, "train")


def test_failed_download_says_what_to_do(tmp_path, monkeypatch):
    import torchvision.datasets

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(DatasetError, match="could not download MNIST into .*network is unreachable"):
        datamodule("mnist", root=str(tmp_path), download=True).prepare_data()

"""The GMM DataModule and the in-memory batch loader."""

import pytest
import torch

from infocam_lit.data import tensor_loader
from infocam_lit.data.tensor_loader import TensorBatchLoader
from infocam_lit.maths import gmm
from tests.helpers.datamodules import datamodule


@pytest.mark.parametrize("imbalanced", [False, True])
def test_split_counts_and_prior(imbalanced):
    dm = datamodule("gmm", dim=3, imbalanced=imbalanced, seed=1)
    dm.setup()
    train = (5000, 10000, 15000, 20000, 25000) if imbalanced else (10000,) * 5
    for split, divisor in (("train", 1), ("val", 10), ("test", 5)):
        x, y = dm.splits[split]
        assert x.shape[1] == 3
        assert torch.bincount(y, minlength=5).tolist() == [n // divisor for n in train]
    assert dm.label_prior == pytest.approx(gmm.class_prior(imbalanced).tolist())


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = (datamodule("gmm", dim=2, seed=s) for s in (7, 7, 8))
    for dm in (a, b, c):
        dm.setup()
    assert torch.equal(a.splits["test"][0], b.splits["test"][0])
    assert not torch.equal(a.splits["test"][0], c.splits["test"][0])
    assert not torch.equal(a.splits["val"][0][:100], a.splits["test"][0][:100])


def test_reference_metrics_keys():
    dm = datamodule("gmm", dim=5, imbalanced=True)
    ref = dm.reference_metrics()
    assert set(ref["mi"]) == {"test/mi_true", "test/mi_mc"}
    assert set(ref["accuracy"]) == {f"test/acc_bayes{exact}{rule}{average}" for exact in ("", "_exact")
                                    for rule in ("", "_balanced") for average in ("", "_macro")}
    assert ref["accuracy"]["test/acc_bayes_exact_balanced_macro"] == pytest.approx(0.980, abs=5e-4)  # SPEC §2
    assert ref["mi"]["test/mi_true"] == pytest.approx(1.44491, abs=1e-4)
    # on imbalanced data the prior rule wins micro accuracy, the balanced rule macro accuracy
    assert ref["accuracy"]["test/acc_bayes"] >= ref["accuracy"]["test/acc_bayes_balanced"]
    assert ref["accuracy"]["test/acc_bayes_balanced_macro"] >= ref["accuracy"]["test/acc_bayes_macro"]


def test_loader_visits_every_sample_once_per_epoch_and_reshuffles():
    x = torch.arange(1000).float()[:, None]
    loader = TensorBatchLoader((x, torch.arange(1000)), batch_size=64, shuffle=True, seed=3)
    first = torch.cat([b[1] for b in loader])
    assert len(loader) == 16 and sorted(first.tolist()) == list(range(1000))
    again = torch.cat([b[1] for b in loader])
    loader.sampler.set_epoch(1)
    second = torch.cat([b[1] for b in loader])
    assert torch.equal(first, again) and not torch.equal(first, second)


def test_eval_loader_keeps_order():
    loader = TensorBatchLoader((torch.arange(10),), batch_size=4, shuffle=False)
    assert [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_ranks_share_without_duplicates(monkeypatch):
    seen = {}
    for rank in (0, 1):
        monkeypatch.setattr(tensor_loader, "_rank_and_world", lambda r=rank: (r, 2))
        eval_loader = TensorBatchLoader((torch.arange(11),), batch_size=4, shuffle=False)
        train_loader = TensorBatchLoader((torch.arange(11),), batch_size=4, shuffle=True)
        seen[rank] = (torch.cat([b[0] for b in eval_loader]), torch.cat([b[0] for b in train_loader]),
                      len(train_loader))
    eval_all = torch.cat([seen[0][0], seen[1][0]])
    assert sorted(eval_all.tolist()) == list(range(11))  # every sample once, none padded
    assert len(seen[0][1]) == len(seen[1][1]) == 5 and seen[0][2] == seen[1][2]  # equal training shares
    assert not set(seen[0][1].tolist()) & set(seen[1][1].tolist())


def test_nuisance_dimensions_leave_the_sample_and_the_ground_truth_alone():
    plain, noisy = datamodule("gmm", dim=5, seed=4), datamodule("gmm", dim=5, seed=4, noise_dims=10)
    plain.setup(), noisy.setup()
    for split, stream in (("train", 0), ("val", 1), ("test", 2)):
        # noise_dims=0 is the sample drawn before nuisance dimensions existed: the split's own stream only
        today = gmm.sample(gmm.split_counts(True)[split], 5, torch.Generator().manual_seed(4 * 10 + stream))
        assert torch.equal(plain.splits[split][0], today[0]) and torch.equal(plain.splits[split][1], today[1])
        x, y = noisy.splits[split]
        assert x.shape[1] == 15 and torch.equal(x[:, :5], today[0]) and torch.equal(y, today[1])
        noise = x[:, 5:]
        assert noise.mean().abs() < 0.02 and (noise.std() - 1).abs() < 0.02
        assert all(noise[y == k].mean().abs() < 0.05 for k in range(5))  # the same law in every class
    assert noisy.reference_metrics() == plain.reference_metrics()
    assert noisy.model_kwargs()["input_dim"] == 15
    # each split's noise has its own stream, and it is not the stream of the informative coordinates
    assert not torch.equal(noisy.splits["train"][0][:100, 5:], noisy.splits["test"][0][:100, 5:])
    assert not torch.equal(noisy.splits["train"][0][:100, 5:10], noisy.splits["train"][0][:100, :5])


def test_size_factor_keeps_a_prefix_of_each_class_in_train_and_val_only():
    full, small = datamodule("gmm", dim=2, seed=1), datamodule("gmm", dim=2, seed=1, size_factor=0.1)
    full.setup(), small.setup()
    counts = gmm.split_counts(True)
    for split in ("train", "val"):
        x, y = small.splits[split]
        assert torch.bincount(y, minlength=5).tolist() == [round(n / 10) for n in counts[split]]
        for k in range(5):
            kept = x[y == k]
            assert torch.equal(kept, full.splits[split][0][full.splits[split][1] == k][:len(kept)])
    assert torch.equal(small.splits["test"][0], full.splits["test"][0])
    assert small.reference_metrics() == full.reference_metrics()  # same prior, same test split
    assert small.label_prior == pytest.approx(full.label_prior)
    unscaled = datamodule("gmm", dim=2, seed=1, size_factor=1.0)
    unscaled.setup()
    assert all(torch.equal(a, b) for split in full.splits for a, b in zip(unscaled.splits[split], full.splits[split],
                                                                           strict=True))

"""The GMM DataModule and the in-memory batch loader."""

import pytest
import torch

from infocam_lit.data import tensor_loader
from infocam_lit.data.tensor_loader import TensorBatchLoader
from infocam_lit.maths import gmm
from tests.conftest import datamodule


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

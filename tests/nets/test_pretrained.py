"""Pretrained weights: a local file works offline; an unreachable download is a clear error, not a hang."""

import urllib.error

import pytest
import torch
from torch import nn
from torchvision.models import Inception_V3_Weights

from infocam_lit.nets import pretrained
from infocam_lit.nets.pretrained import PretrainedWeightsError, load_pretrained


def test_local_weights_file(tmp_path):
    source = nn.Linear(3, 2)
    torch.save(source.state_dict(), tmp_path / "w.pt")
    target = nn.Linear(3, 2)
    load_pretrained(target, Inception_V3_Weights.IMAGENET1K_V1, str(tmp_path / "w.pt"), "toy")
    assert torch.equal(target.weight, source.weight)


def test_missing_local_file(tmp_path):
    with pytest.raises(PretrainedWeightsError, match="no such file"):
        load_pretrained(nn.Linear(3, 2), Inception_V3_Weights.IMAGENET1K_V1, str(tmp_path / "none.pt"), "toy")


def test_weights_that_do_not_fit(tmp_path):
    torch.save(nn.Linear(4, 2).state_dict(), tmp_path / "w.pt")
    with pytest.raises(RuntimeError):
        load_pretrained(nn.Linear(3, 2), Inception_V3_Weights.IMAGENET1K_V1, str(tmp_path / "w.pt"), "toy")


def test_unreachable_download_says_how_to_run_offline(monkeypatch):
    def offline(self, *args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(type(Inception_V3_Weights.IMAGENET1K_V1), "get_state_dict", offline)
    with pytest.raises(PretrainedWeightsError) as info:
        load_pretrained(nn.Linear(3, 2), Inception_V3_Weights.IMAGENET1K_V1, True, "inception_v3")
    message = str(info.value)
    assert "model.net.pretrained=false" in message and "name resolution" in message
    assert pretrained.DOWNLOAD_TIMEOUT_S <= 60


def test_downloaded_weights_are_checked_against_the_hash_in_their_name(tmp_path, monkeypatch):
    """torchvision's file names carry the first hex digits of the file's SHA-256; a file that does not
    match them (corrupt or tampered) is refused, not loaded."""
    import io

    from torchvision.models import Weights, WeightsEnum

    from tests.helpers.fixture_server import FileServer

    buffer = io.BytesIO()
    torch.save(nn.Linear(3, 2).state_dict(), buffer)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    with FileServer() as server:
        server.files["/toy-0123abcd.pth"] = buffer.getvalue()  # its SHA-256 does not start with 0123abcd

        class ToyWeights(WeightsEnum):
            V1 = Weights(url=server.url("/toy-0123abcd.pth"), transforms=None, meta={})

        with pytest.raises(PretrainedWeightsError, match="hash"):
            load_pretrained(nn.Linear(3, 2), ToyWeights.V1, True, "toy")

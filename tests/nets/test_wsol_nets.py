"""The WSOL networks: 14x14 features at 224, ADL placement and behaviour, new-layer parameter groups."""

import pytest
import torch

from infocam_lit.nets.adl import ADL
from infocam_lit.nets.wsol import resnet50, small_gap_cnn, vgg16_gap


@pytest.mark.parametrize("build", [vgg16_gap, resnet50])
def test_features_are_14x14_at_224_and_the_head_is_gap_linear(build):
    net = build(num_classes=7, pretrained=False).eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        features = net.features(x)
        assert features.shape[-2:] == (14, 14)
        assert torch.allclose(net(x), net.fc(features.mean((2, 3))), atol=1e-5)
    assert net.fc.weight.shape == (7, features.shape[1])


def test_adl_positions():
    vgg = vgg16_gap(5, pretrained=False, adl=True)
    layers = list(vgg.backbone.children())
    positions = [i for i, m in enumerate(layers) if isinstance(m, ADL)]
    # after pool3 (index 16), pool4 (23) and conv5_3's ReLU (29), shifted by the ADLs inserted before
    assert positions == [17, 25, 32]
    assert isinstance(layers[16], torch.nn.MaxPool2d) and isinstance(layers[24], torch.nn.MaxPool2d)
    wsolevaluation = list(vgg16_gap(5, pretrained=False, adl=True, adl_positions="wsolevaluation").backbone)
    assert isinstance(wsolevaluation[24], ADL) and isinstance(wsolevaluation[25], torch.nn.MaxPool2d)
    resnet = resnet50(5, pretrained=False, adl=True)
    layer3, layer4 = resnet.backbone[6], resnet.backbone[7]
    assert isinstance(layer3[1], ADL) and isinstance(layer4[1], ADL) and isinstance(layer4[4], ADL)
    assert sum(isinstance(m, ADL) for m in resnet.modules()) == 3
    with pytest.raises(ValueError, match="valid: paper"):
        resnet50(5, pretrained=False, adl=True, adl_positions="wsolevaluation")


def test_adl_is_identity_in_eval_and_picks_one_map_per_batch_in_training():
    adl = ADL(drop_rate=0.75, gamma=0.9)
    x = torch.rand(4, 8, 5, 5)
    assert torch.equal(adl.eval()(x), x)
    adl.train()
    attention = x.mean(1, keepdim=True)
    drop = x * (attention < 0.9 * attention.flatten(1).max(1).values.view(-1, 1, 1, 1)).float()
    importance = x * torch.sigmoid(attention)
    seen = set()
    torch.manual_seed(0)
    for _ in range(40):
        out = adl(x)
        seen.add("drop" if torch.equal(out, drop) else "importance" if torch.allclose(out, importance) else "?")
    assert seen == {"drop", "importance"}


def test_adl_drop_rate_one_always_drops():
    x = torch.rand(2, 3, 4, 4)
    attention = x.mean(1, keepdim=True)
    expected = x * (attention < 0.8 * attention.flatten(1).max(1).values.view(-1, 1, 1, 1)).float()
    assert torch.equal(ADL(drop_rate=1.0, gamma=0.8).train()(x), expected)


def test_new_layers_are_split_from_pretrained_ones():
    vgg = vgg16_gap(5, pretrained=False)
    old, new = vgg.parameter_groups()
    assert {id(p) for p in new} == {id(p) for p in [*vgg.head.parameters(), *vgg.fc.parameters()]}
    assert len(old) == 26  # the 13 VGG16 conv layers, weight and bias
    resnet = resnet50(5, pretrained=False)
    old, new = resnet.parameter_groups()
    assert {id(p) for p in new} == {id(p) for p in [*resnet.backbone[7].parameters(), *resnet.fc.parameters()]}


def test_small_gap_cnn_has_no_pretrained_weights():
    assert small_gap_cnn(3)(torch.randn(2, 3, 32, 32)).shape == (2, 3)
    with pytest.raises(ValueError, match="pretrained=false"):
        small_gap_cnn(3, pretrained=True)


def test_small_gap_cnn_shape():
    default = small_gap_cnn(3)
    assert default.features(torch.randn(2, 3, 64, 64)).shape == (2, 128, 16, 16)  # stride 4
    # the layer layout of checkpoints written before stem_stride and pool_after existed
    assert [type(m).__name__ for m in default.backbone] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"] * 2 + [
        "Conv2d", "BatchNorm2d", "ReLU"]
    tiny = small_gap_cnn(200, widths=(32, 64, 128, 256, 256), stem_stride=2, pool_after=(1, 2), adl=True)
    assert tiny.features(torch.randn(2, 3, 64, 64)).shape == (2, 256, 8, 8)  # stride 2 * 2 * 2
    assert tiny.backbone[0].stride == (2, 2) and tiny.backbone[3].stride == (1, 1)
    assert sum(p.numel() for p in tiny.parameters()) == pytest.approx(1.03e6, rel=0.01)


def test_checkpoints_hold_each_weight_once():
    net = resnet50(5, pretrained=False)
    state = net.state_dict()
    assert len({t.data_ptr() for t in state.values() if t.numel()}) == sum(1 for t in state.values() if t.numel())

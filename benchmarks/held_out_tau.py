"""What the held-out threshold (SPEC §7.2) adds to a test pass, measured side by side on the same batch.

WSOL (ResNet50-WSOL, pretrained=false, 5 map variants at 224x224): before, a test batch cost the
forward pass + maps + boxes at the fixed threshold + MaxBoxAccV2's sweep; now the sweep also tracks
the largest component's box at every threshold, and the validation half (as large as the test half)
adds a forward pass + maps + a sweep of the largest box only.
Double-digit MNIST (2 maps at 28x56 per digit present, 1000 canvases a batch): before, the forward
pass + maps + boxes at the fixed threshold; now also a full sweep and the pointing game on the test
canvases, and a forward pass + maps + largest-box sweep on the validation canvases (half as many).

    python benchmarks/held_out_tau.py [--device cuda] [--wsol-batch 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.maths.boxes import boxes_from_maps  # noqa: E402
from infocam_lit.metrics.localization import ThresholdSweep, pointing_hits  # noqa: E402
from infocam_lit.modules.wsol import WSOLModule  # noqa: E402
from infocam_lit.nets.wsol import small_gap_cnn  # noqa: E402
from infocam_lit.run.schema import section  # noqa: E402
from infocam_lit.run.schema.maps import CamConfig, LossConfig  # noqa: E402


def timed(fn, device: str) -> float:
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def wsol(device: str, batch: int) -> None:
    cam = section(CamConfig, region_size=4)
    net = {"_target_": "infocam_lit.nets.wsol.resnet50", "pretrained": False}
    sgd = {"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.01}
    module = WSOLModule(net, sgd, None, 10.0, section(LossConfig, name="softmax"), cam, False, False, 200,
                        [1 / 200] * 200, 224, None)
    module = module.to(device).eval()
    images = torch.randn(batch, 3, 224, 224, device=device)
    batch_dict = {"image": images, "label": torch.randint(0, 200, (batch,), device=device)}
    gt = torch.tensor([[[40.0, 50.0, 180.0, 200.0]]], device=device).expand(batch, 1, 4).contiguous()
    count = torch.ones(batch, dtype=torch.long, device=device)
    with torch.no_grad():
        module._maps(batch_dict)  # warm-up
        state = {}
        forward = timed(lambda: state.update(maps=module._maps(batch_dict)[1]), device)
        maps = state["maps"]
        fixed = timed(lambda: [boxes_from_maps(m, 0.2) for m in maps.values()], device)
        sweeps = {kind: ThresholdSweep(**options).to(device) for kind, options in
                  {"maxbox": {"largest_box": False}, "both": {}, "largest": {"every_component": False}}.items()}
        cost = {kind: timed(lambda s=sweep: [s.update(m, gt, count) for m in maps.values()], device)
                for kind, sweep in sweeps.items()}
    before = forward + fixed + cost["maxbox"]
    after = forward + fixed + cost["both"] + forward + cost["largest"]
    print(f"WSOL, ResNet50, {batch} images at 224, 5 variants, 100 thresholds ({device}), seconds per test batch:")
    print(f"  forward + maps {forward:.3f}, fixed-tau boxes {fixed:.3f}, MaxBoxAccV2 sweep {cost['maxbox']:.3f}, "
          f"sweep + largest box {cost['both']:.3f}, largest-box sweep alone {cost['largest']:.3f}")
    print(f"  test pass before {before:.3f} s, after (test half + validation half) {after:.3f} s: "
          f"{after / before:.2f}x")


def double_mnist(device: str) -> None:
    torch.manual_seed(0)
    net = small_gap_cnn(10, in_channels=1).to(device).eval()
    images = torch.randn(1000, 1, 28, 56, device=device)
    pairs = torch.randint(0, 1000, (1400,), device=device)  # about 1.4 digits a canvas
    label = torch.randint(0, 10, (1400,), device=device)
    gt = torch.tensor([[[3.0, 4.0, 24.0, 25.0], [-1, -1, -1, -1]]], device=device).expand(1400, 2, 4).contiguous()
    count = torch.full((1400,), 2, device=device)
    from infocam_lit.maths.cam import upsampled_maps

    def maps():
        features = net.features(images)
        return upsampled_maps(features[pairs], net.fc.weight, label, {"cam": ("cam", 1), "infocam": ("cam", 3)},
                              (28, 56))

    with torch.no_grad():
        maps()
        state = {}
        forward = timed(lambda: state.update(maps=maps()), device)
        fixed = timed(lambda: [boxes_from_maps(m, 0.2) for m in state["maps"].values()], device)
        test_sweep = ThresholdSweep(num_labels=10).to(device)
        val_sweep = ThresholdSweep(num_labels=10, every_component=False).to(device)
        test_cost = timed(lambda: [(test_sweep.update(m, gt, count, label), pointing_hits(m, gt, count))
                                   for m in state["maps"].values()], device)
        val_cost = timed(lambda: [val_sweep.update(m, gt, count, label) for m in state["maps"].values()], device)
    before = forward + fixed
    after = before + test_cost + 0.5 * (forward + val_cost)  # 5,000 validation canvases per 10,000 test
    print(f"double-digit MNIST, 1000 canvases (1400 digit maps x 2 maps) at 28x56, 100 thresholds ({device}), "
          "seconds per test batch:")
    print(f"  forward + maps {forward:.3f}, fixed-tau boxes {fixed:.3f}, full sweep + pointing {test_cost:.3f}, "
          f"largest-box sweep {val_cost:.3f}")
    print(f"  test pass before {before:.3f} s, after (test + half as many validation canvases) {after:.3f} s: "
          f"{after / before:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--wsol-batch", type=int, default=8)
    args = parser.parse_args()
    torch.manual_seed(0)
    double_mnist(args.device)
    wsol(args.device, args.wsol_batch)


if __name__ == "__main__":
    main()

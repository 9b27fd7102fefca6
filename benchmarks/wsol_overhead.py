"""Cost of localisation in a WSOL evaluation step, side by side with the forward pass.

ResNet50-WSOL (layer4 stride 1, 200 classes, pretrained=false), batch 32 (--batch) at 224,
eval mode. Measured: the forward pass alone; the three maps (CAM, infoCAM,
infoCAM+, R=4) + bicubic upsampling + boxes at the fixed threshold + IoU; the
same for all five Table 8 variants (the GPU goal: at most 50 % of the forward pass at batch 64 in
bf16 + channels-last); and, for the map step alone, how close it is to its floor, one read of the
features.

    python benchmarks/wsol_overhead.py [--device cuda] [--batch 64] [--precision bf16] [--channels-last]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infocam_lit.maths.boxes import best_iou, boxes_from_maps  # noqa: E402
from infocam_lit.maths.cam import compute_maps, upsampled_maps  # noqa: E402
from infocam_lit.modules.wsol import MAP_VARIANTS  # noqa: E402
from infocam_lit.nets.wsol import resnet50  # noqa: E402


def timed(fn, device: str, repeats: int) -> float:
    fn()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = args.device
    net = resnet50(200, pretrained=False).to(device).eval()
    images = torch.randn(args.batch, 3, 224, 224, device=device)
    if args.channels_last:
        net, images = net.to(memory_format=torch.channels_last), images.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 200, (args.batch,), device=device)
    gt = torch.tensor([[[40.0, 50.0, 180.0, 200.0]]], device=device).expand(args.batch, 1, 4)
    count = torch.ones(args.batch, dtype=torch.long, device=device)
    autocast = torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=args.precision == "bf16")

    def forward():
        with torch.no_grad(), autocast:
            features = net.features(images)
            return features, net.fc(features.mean((2, 3)))

    features, logits = forward()
    features, logits, weight = features.float(), logits.float(), net.fc.weight.float()

    def localise(variants):  # what the WSOL module does per evaluation batch
        named = {f"{method}{region}": (method, 4 if region else 1) for method, region in variants}
        for maps in upsampled_maps(features, weight, labels, named, (224, 224), logits=logits).values():
            best_iou(boxes_from_maps(maps, 0.2), gt, count)

    def maps_only():
        for method in ("cam", "infocam", "infocam_plus"):
            compute_maps(features, weight, labels, method, 4, logits=logits)

    three = [("cam", False), ("infocam", True), ("infocam_plus", True)]
    t_forward = timed(forward, device, args.repeats)
    t_three = timed(lambda: localise(three), device, args.repeats)
    t_five = timed(lambda: localise(list(MAP_VARIANTS.values())), device, args.repeats)
    t_maps = timed(maps_only, device, args.repeats)
    t_read = timed(lambda: features.sum(), device, args.repeats)
    layout = ", channels-last" if args.channels_last else ""
    print(f"ResNet50-WSOL, batch {args.batch} at 224, {device}, {args.precision}{layout}")
    print(f"forward pass                                   {1000 * t_forward:9.1f} ms")
    print(f"3 maps + upsample + boxes + IoU                {1000 * t_three:9.1f} ms  "
          f"({100 * t_three / t_forward:.1f}% of the forward pass)")
    print(f"all 5 Table 8 variants                         {1000 * t_five:9.1f} ms  "
          f"({100 * t_five / t_forward:.1f}%)")
    print(f"3 maps alone vs one read of the features       {1000 * t_maps:9.2f} ms vs {1000 * t_read:.2f} ms "
          f"({t_maps / t_read:.1f}x the floor)")


if __name__ == "__main__":
    main()

"""Image dataset items with ground-truth boxes: decoding, transforms that move the
boxes with the image, and the collate function (shared by CUB and Tiny-ImageNet).

An item is a dict: `image` (3, H, W) float, `label` int, `boxes` (K, 4) float,
inclusive pixel corners (x0, y0, x1, y1) in the transformed image, clipped to it,
and `dropped_boxes`, how many boxes fell wholly outside it (a crop) and were dropped.
Evaluation items of a plain resize also carry `boxes_wsolevaluation`: the same boxes in
wsolevaluation's convention and frame (metrics/wsolevaluation.py), for `cam.box_convention`, and what
its metadata files hold: `image_id` (the path as in its metadata), `original_size` (W, H) and
`boxes_original` (its convention, original pixels), for `export=scoremaps`.

Boxes move through a resize or crop by SPEC §4.2's rule: an inclusive box is
the continuous span [x0, x1 + 1); the span is transformed; then
x0' = floor(x0), x1' = ceil(x1 + 1) - 1, clipped to the image.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torchvision import tv_tensors
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms import v2

from infocam_lit.data.idx import DatasetError
from infocam_lit.metrics.wsolevaluation import wsolevaluation_boxes

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_EPS = 1e-4  # float slack before floor / ceil, so an exact pixel edge does not round outwards


def read_rgb(path: Path) -> torch.Tensor:
    """uint8 (3, H, W); a missing or undecodable file raises DatasetError naming it. torchvision decodes
    JPEG, PNG, GIF and WebP; PIL the formats it cannot (BMP, TIFF)."""
    try:
        data = torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8)
    except OSError as error:
        raise DatasetError(f"cannot read image {path}: {error}") from error
    try:
        return decode_image(data, mode=ImageReadMode.RGB)
    except (RuntimeError, ValueError) as error:
        try:
            return _read_with_pil(path)
        except (OSError, ValueError):
            raise DatasetError(f"cannot read image {path}: {error}") from error


def _read_with_pil(path: Path) -> torch.Tensor:
    from PIL import Image
    from torchvision.transforms.v2.functional import pil_to_tensor

    with Image.open(path) as image:
        return pil_to_tensor(image.convert("RGB"))


def inclusive_to_span(boxes: torch.Tensor) -> torch.Tensor:
    return boxes + torch.tensor([0.0, 0.0, 1.0, 1.0])


def span_to_inclusive(spans: torch.Tensor, width: int, height: int) -> torch.Tensor:
    x0y0 = torch.floor(spans[:, :2] + _EPS)
    x1y1 = torch.ceil(spans[:, 2:] - _EPS) - 1
    boxes = torch.cat([x0y0, x1y1], dim=1)
    limit = torch.tensor([width - 1, height - 1, width - 1, height - 1], dtype=boxes.dtype)
    return torch.minimum(boxes.clamp_min(0), limit)


def overlaps_image(spans: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Which spans (M, 4) overlap a width x height image: the others, wholly outside (cut away by a crop),
    are dropped, not turned into 1-pixel boxes at the edge."""
    inside_x = spans[:, 2].clamp(max=width) - spans[:, 0].clamp(min=0)
    inside_y = spans[:, 3].clamp(max=height) - spans[:, 1].clamp(min=0)
    return (inside_x > _EPS) & (inside_y > _EPS)


class BoxedTransform:
    """A torchvision v2 geometric pipeline applied to image and boxes together, then normalised."""

    def __init__(self, geometric: list, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        self.geometric = v2.Compose(geometric) if geometric else v2.Identity()
        self.to_float = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)])

    def __call__(self, image: torch.Tensor, boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The transformed image and the boxes that overlap it (`overlaps_image`)."""
        height, width = image.shape[-2:]
        spans = tv_tensors.BoundingBoxes(inclusive_to_span(boxes.float()), format="XYXY",
                                         canvas_size=(height, width))
        image, spans = self.geometric(tv_tensors.Image(image), spans)
        out_height, out_width = image.shape[-2:]
        spans = spans.as_subclass(torch.Tensor)
        spans = spans[overlaps_image(spans, out_width, out_height)]
        return self.to_float(image).as_subclass(torch.Tensor), span_to_inclusive(spans, out_width, out_height)


def reference_frame_fields(boxes: torch.Tensor, image: torch.Tensor, frame: int, box_end_offset: float) -> dict:
    """wsolevaluation's ground truth of an image: its (x0, y0, x1, y1) is the dataset's inclusive box
    with `box_end_offset` added to x1, y1 (CUB: 1, its x + w); in the frame x frame resize, scaled with int()."""
    height, width = image.shape[-2:]
    theirs = boxes.double() + torch.tensor([0.0, 0.0, box_end_offset, box_end_offset], dtype=torch.float64)
    return {"boxes_wsolevaluation": wsolevaluation_boxes(theirs, (width, height), (frame, frame)).float(),
            "boxes_original": theirs, "original_size": (width, height)}


def collate_items(items: list[dict]) -> dict:
    """Stack images and labels; pad boxes to (B, K_max, 4) with -1, `box_count` (B,) says how many are
    real; `dropped_boxes` (B,) counts the boxes a crop cut away; `index` (B,) the items' indices in their split."""
    counts = torch.tensor([len(item["boxes"]) for item in items])
    batch = {
        "image": torch.stack([item["image"] for item in items]),
        "label": torch.tensor([item["label"] for item in items]),
        "boxes": _padded([item["boxes"] for item in items]),
        "box_count": counts,
        "dropped_boxes": torch.tensor([item.get("dropped_boxes", 0) for item in items]),
    }
    if all("index" in item for item in items):  # each item's index in its split: per-image results
        batch["index"] = torch.tensor([item["index"] for item in items])
    if all("boxes_wsolevaluation" in item for item in items):
        batch["boxes_wsolevaluation"] = _padded([item["boxes_wsolevaluation"] for item in items])
        batch["boxes_original"] = _padded([item["boxes_original"] for item in items])
        batch["original_size"] = torch.tensor([item["original_size"] for item in items])
        batch["image_id"] = [item["image_id"] for item in items]
    return batch


def _padded(boxes: list[torch.Tensor]) -> torch.Tensor:
    out = torch.full((len(boxes), max(max(len(b) for b in boxes), 1), 4), -1.0)
    for i, b in enumerate(boxes):
        out[i, : len(b)] = b
    return out


class LabelledImages(torch.utils.data.Dataset):
    """Items {image, label, boxes} from parallel lists of paths, labels and (K, 4) inclusive boxes;
    with a `reference_frame` (the size of a plain resize) also wsolevaluation's fields, image ids being
    the paths relative to `id_root`. `images`, the paths' images already decoded (uint8 (N, 3, H, W)),
    are used instead of reading the files."""

    def __init__(self, paths: list[Path], labels: list[int], boxes: list[torch.Tensor], transform: BoxedTransform,
                 reference_frame: int | None = None, box_end_offset: float = 0.0, id_root: Path | None = None,
                 images: torch.Tensor | None = None):
        self.paths, self.labels, self.boxes, self.transform = paths, labels, boxes, transform
        self.reference_frame, self.box_end_offset, self.id_root = reference_frame, box_end_offset, id_root
        self.images = images

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> dict:
        original = read_rgb(self.paths[i]) if self.images is None else self.images[i]
        image, boxes = self.transform(original, self.boxes[i])
        item = {"image": image, "label": self.labels[i], "boxes": boxes,
                "dropped_boxes": len(self.boxes[i]) - len(boxes), "index": i}
        if self.reference_frame is not None:
            item |= reference_frame_fields(self.boxes[i], original, self.reference_frame, self.box_end_offset)
            item["image_id"] = self.image_id(i)
        return item

    def image_id(self, i: int) -> str:
        """Item i's path relative to `id_root` (its file name without one): how the per-image results and
        wsolevaluation's metadata name it."""
        path = self.paths[i]
        return (path.relative_to(self.id_root) if self.id_root else Path(path.name)).as_posix()


def eval_sampler(dataset: torch.utils.data.Dataset) -> torch.utils.data.Sampler | None:
    """Under DDP, each rank evaluates its own share with no padding, so no image counts twice
    (Lightning's default DistributedSampler repeats images to even out the shares). Lightning
    keeps a DistributedSampler it is given. None (a plain sequential order) without DDP."""
    import torch.distributed as dist
    from pytorch_lightning.overrides.distributed import UnrepeatedDistributedSampler

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return UnrepeatedDistributedSampler(dataset, shuffle=False)
    return None

"""`evaluate.py ... export=scoremaps`: each test image's maps written as clovaai/wsolevaluation's
`evaluate_wsol` reads them, so its evaluator can score them unchanged.

Under `<run folder>/scoremaps/`:
- `<map>/<image_id>.npy` for each map variant of `export_maps`: the map of the ground-truth class at
  224 x 224, float64 (its validity check refuses float32), min-max normalised as its
  `normalize_scoremap` does; the image id keeps its extension (`.../Black_Footed_Albatross_0046_18.jpg.npy`);
- `metadata/<CUB|ILSVRC>/test/`: `image_ids.txt`, `class_labels.txt` (id,label), `image_sizes.txt`
  (id,width,height) and `localization.txt` (id,x0,y0,x1,y1 per box, its convention, original pixels).
Then: `evaluate_wsol(scoremap_root=<run>/scoremaps/cam, metadata_root=<run>/scoremaps/metadata,
dataset_name=CUB, split=test, multi_contour_eval=True, multi_iou_eval=True, ...)` (Tiny-ImageNet:
dataset_name=ILSVRC).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback

from infocam_lit.data.wsol_base import ImageFolderDataModule
from infocam_lit.metrics.wsolevaluation import FRAME, normalize_scoremap
from infocam_lit.modules.wsol import MAP_VARIANTS, WSOLModule
from infocam_lit.run.schema import ConfigError, require_known


class ScoremapExport(Callback):
    def __init__(self, folder: Path, maps: list[str]):
        require_known("export_maps", maps, tuple(MAP_VARIANTS))
        self.folder, self.maps = Path(folder), list(maps)
        self.rows: dict[str, list[str]] = {}

    def on_test_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.world_size > 1:
            raise ConfigError("export=scoremaps runs in one process (trainer.devices=1): every rank would write "
                              "only its share of the metadata")
        datamodule = trainer.datamodule
        if not isinstance(pl_module, WSOLModule) or not isinstance(datamodule, ImageFolderDataModule):
            raise ConfigError("export=scoremaps is for the WSOL experiments (experiment=wsol_cub or wsol_tiny)")
        self.metadata = self.folder / "metadata" / datamodule.wsolevaluation_name / "test"
        self.rows = {"image_ids": [], "class_labels": [], "image_sizes": [], "localization": []}

    def on_test_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs, batch: dict,
                          batch_idx: int, dataloader_idx: int = 0) -> None:
        if pl_module.test_split_name(dataloader_idx) != "test":
            return
        if "image_id" not in batch:
            raise ConfigError("export=scoremaps needs data.eval_transform=wsolevaluation (a plain resize, the "
                              "frame its evaluator assumes)")
        maps = pl_module.localization_maps(outputs["features"], outputs["logits"], batch["label"], (FRAME, FRAME))
        for variant in self.maps:
            for image_id, scoremap in zip(batch["image_id"], maps[variant].double().cpu().numpy(), strict=True):
                path = self.folder / variant / f"{image_id}.npy"
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, normalize_scoremap(scoremap).astype(np.float64))
        for i, image_id in enumerate(batch["image_id"]):
            width, height = batch["original_size"][i].tolist()
            self.rows["image_ids"].append(image_id)
            self.rows["class_labels"].append(f"{image_id},{int(batch['label'][i])}")
            self.rows["image_sizes"].append(f"{image_id},{width},{height}")
            for box in batch["boxes_original"][i].to(torch.long).tolist():
                if min(box) >= 0:  # not padding
                    self.rows["localization"].append(",".join([image_id, *map(str, box)]))

    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.metadata.mkdir(parents=True, exist_ok=True)
        for name, rows in self.rows.items():
            (self.metadata / f"{name}.txt").write_text("".join(f"{row}\n" for row in rows))

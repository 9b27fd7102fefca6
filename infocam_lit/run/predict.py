"""`python predict.py ckpt_path=<WSOL checkpoint> images=<image file or folder>`: a trained WSOL model
on new images. In the run folder: `predictions.json` (per image its top-5 class ids, names and
probabilities, and per map its box), `<image>_<map>.png` overlays (the map over the image, its box),
and with `export=maps` each map as `<image>_<map>.npy`. The preprocessing is the checkpoint's
evaluation transform; boxes are in that frame's pixels (inclusive corners)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from hydra.utils import get_class
from omegaconf import DictConfig
from pytorch_lightning.callbacks import BasePredictionWriter
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from infocam_lit.data.idx import DatasetError
from infocam_lit.data.image_items import BoxedTransform, read_rgb
from infocam_lit.modules.hparams import to_plain
from infocam_lit.modules.wsol import MAP_VARIANTS, WSOLModule
from infocam_lit.run.build import build_trainer, load_module, write_run_config
from infocam_lit.run.preflight import validate_config
from infocam_lit.run.restore import arguments_the_checkpoint_lacks, load_run_config, restore_run
from infocam_lit.run.run_files import PREDICTIONS_FILE
from infocam_lit.run.schema import ConfigError, require_known

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
EXPORTS = ("maps",)


def image_files(images: str) -> list[Path]:
    """The image file, or every image in the folder and its subfolders, sorted."""
    path = Path(images)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if found:
            return found
        raise DatasetError(f"images={images}: no image files ({', '.join(IMAGE_SUFFIXES)}) in {path}")
    raise DatasetError(f"images={images}: no such file or folder")


def eval_transform(data: dict, image_size: int) -> BoxedTransform:
    """The checkpoint's evaluation preprocessing: resize to the model's input, or (data.eval_transform=legacy)
    resize and centre crop."""
    if data.get("eval_transform") == "legacy":
        return BoxedTransform([v2.Resize((data["resize_size"], data["resize_size"]), antialias=True),
                               v2.CenterCrop(image_size)])
    return BoxedTransform([v2.Resize((image_size, image_size), antialias=True)])


class NewImages(Dataset):
    """The images, preprocessed; a file that cannot be read is a blank image marked unreadable, so one
    bad file costs only its own prediction."""

    def __init__(self, paths: list[Path], transform: BoxedTransform, image_size: int):
        self.paths, self.transform, self.image_size = paths, transform, image_size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> dict:
        try:
            original = read_rgb(self.paths[i])
        except DatasetError as error:
            log.warning("%s", error)  # one line per unreadable file: it gets no prediction
            return {"image": torch.zeros(3, self.image_size, self.image_size), "index": i, "readable": False}
        image, _ = self.transform(original, torch.zeros(0, 4))
        return {"image": image, "index": i, "readable": True}


class PredictionWriter(BasePredictionWriter):
    """predictions.json, the overlays, and with export=maps the raw maps, into `folder`."""

    def __init__(self, folder: Path, paths: list[Path], class_names: list[str] | None, maps: list[str],
                 export_maps: bool):
        super().__init__(write_interval="batch")
        self.folder, self.paths, self.class_names = folder, paths, class_names
        self.maps, self.export_maps = maps, export_maps
        self.records: list[dict] = []
        self.unreadable: list[str] = []

    def on_predict_start(self, trainer, pl_module) -> None:
        if trainer.world_size > 1:
            raise ConfigError("predict.py runs in one process (trainer.devices=1): every rank would write only "
                              "its share of predictions.json")

    def write_on_batch_end(self, trainer, pl_module, prediction: dict, batch_indices, batch: dict, batch_idx: int,
                           dataloader_idx: int) -> None:
        from infocam_lit.run.figures import plot_prediction

        for row, index in enumerate(batch["index"].tolist()):
            if not batch["readable"][row]:
                self.unreadable.append(str(self.paths[index]))
                continue
            path = self.paths[index]
            stem = f"{index:05d}_{path.stem}"
            ids = prediction["top_classes"][row].tolist()
            record = {"image": str(path), "top_classes": ids,
                      "top_names": [self.class_names[k] for k in ids] if self.class_names else None,
                      "top_probabilities": prediction["top_probabilities"][row].tolist(), "boxes": {}}
            for name in self.maps:
                map_ = prediction["maps"][name][row].float().cpu()
                box = prediction["boxes"][name][row].tolist()
                record["boxes"][name] = box
                top = record["top_names"][0] if self.class_names else f"class {ids[0]}"
                title = f"{name}: {top} ({100 * record['top_probabilities'][0]:.0f}%)"
                plot_prediction(batch["image"][row].cpu(), map_, box, title, self.folder / f"{stem}_{name}.png")
                if self.export_maps:
                    np.save(self.folder / f"{stem}_{name}.npy", map_.numpy())
            self.records.append(record)

    def on_predict_end(self, trainer, pl_module) -> None:
        if not self.records:
            raise DatasetError(f"none of the {len(self.unreadable)} image file(s) could be read (each named above)")
        (self.folder / PREDICTIONS_FILE).write_text(json.dumps(self.records, indent=1) + "\n")
        log.info("%d image(s): predictions in %s", len(self.records), self.folder / PREDICTIONS_FILE)
        if self.unreadable:
            log.warning("%d file(s) could not be read and have no prediction: %s", len(self.unreadable),
                        ", ".join(self.unreadable))


def predict(cfg: DictConfig) -> None:
    if not cfg.get("ckpt_path") or not cfg.get("images"):
        raise ConfigError("python predict.py ckpt_path=<WSOL checkpoint> images=<image file or folder>")
    export = cfg.get("export")
    if export is not None:
        require_known("export", [export], EXPORTS)
    require_known("maps", cfg.maps, tuple(MAP_VARIANTS))
    module_class = get_class(load_run_config(cfg.ckpt_path)["model"]["_target_"])
    if not issubclass(module_class, WSOLModule):
        raise ConfigError(f"{cfg.ckpt_path} is a {module_class.__name__} checkpoint; predict.py takes a WSOL one "
                          "(experiment=wsol_cub or wsol_tiny)")
    cfg = restore_run(cfg)
    lacking = arguments_the_checkpoint_lacks(cfg.ckpt_path)
    validate_config(cfg)
    write_run_config(cfg)
    model = load_module(cfg, cfg.ckpt_path, lacking)
    paths = image_files(cfg.images)
    dataset = NewImages(paths, eval_transform(to_plain(cfg.data), model.hparams.image_size), model.hparams.image_size)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, num_workers=cfg.num_workers)
    folder = Path(cfg.paths.output_dir)
    if model.hparams.get("class_names") is None:
        log.warning("%s predates class names in checkpoints: predictions give class ids only", cfg.ckpt_path)
    writer = PredictionWriter(folder, paths, model.hparams.get("class_names"), list(cfg.maps), export == "maps")
    trainer: pl.Trainer = build_trainer(cfg, callbacks=[writer])
    trainer.predict(model, dataloaders=loader, return_predictions=False)

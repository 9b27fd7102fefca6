"""predict.py: a trained WSOL checkpoint on new images (a fixture folder), as a user runs it."""

import json

import numpy as np
import pytest

from tests.helpers.fixture_data import make_cub
from tests.helpers.runs import run_entry

pytestmark = pytest.mark.subprocess


def test_predict_writes_top5_overlays_and_maps_for_new_images(tmp_path):
    folder, _ = make_cub(tmp_path / "data", num_classes=3, train_per_class=4, test_per_class=2)
    run_entry("train.py", tmp_path / "run", "experiment=wsol_cub", "model=small_gap_cnn",
              f"data.root={tmp_path / 'data'}",
              "data.resize_size=72", "data.crop_size=64", "logger=csv", "data.batch_size=4", "data.num_workers=0",
              "data.pin_memory=false", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
              "cam.threshold_step=0.1")
    images = tmp_path / "new"
    (images / "nested").mkdir(parents=True)
    sources = sorted((folder / "images").rglob("*.jpg"))[:3]
    for i, source in enumerate(sources):
        (images / ("nested" if i == 2 else "") / f"bird{i}.jpg").write_bytes(source.read_bytes())
    (images / "notes.txt").write_text("not an image")
    ckpt = f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'best.ckpt'}"
    run_entry("predict.py", tmp_path / "predict", ckpt, f"images={images}", "export=maps")
    records = json.loads((tmp_path / "predict" / "predictions.json").read_text())
    assert [r["image"].rsplit("/", 1)[-1] for r in records] == ["bird0.jpg", "bird1.jpg", "bird2.jpg"]
    for index, record in enumerate(records):
        assert len(record["top_classes"]) == 3  # 3 classes: top-k is at most their number
        assert record["top_names"][0] == f"{record['top_classes'][0] + 1:03d}.Bird_{record['top_classes'][0] + 1}"
        assert record["top_probabilities"] == sorted(record["top_probabilities"], reverse=True)
        assert 0.99 < sum(record["top_probabilities"]) <= 1.0 + 1e-6
        assert set(record["boxes"]) == {"cam", "infocam", "infocam_plus"}
        for name, (x0, y0, x1, y1) in record["boxes"].items():
            assert 0 <= x0 <= x1 < 64 and 0 <= y0 <= y1 < 64
            stem = f"{index:05d}_bird{index}_{name}"
            assert (tmp_path / "predict" / f"{stem}.png").is_file()
            assert np.load(tmp_path / "predict" / f"{stem}.npy").shape == (64, 64)
    missing = run_entry("predict.py", tmp_path / "missing", ckpt, f"images={tmp_path / 'absent'}", check=False)
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr and "Traceback" not in missing.stderr

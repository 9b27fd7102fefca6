"""One typed record of a run (run/run_record.py): a checkpoint is read once per command, however many
places ask for it; a run folder's config.yaml and metrics.json read into the same record."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from infocam_lit.run import run_record
from infocam_lit.run.run_record import checkpoint_record, folder_record, read_checkpoint
from tests.helpers.paths import ROOT

CHECKPOINTS = ROOT / "tests" / "helpers" / "checkpoints"


def test_a_checkpoint_is_read_once_until_it_changes(tmp_path, monkeypatch):
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes((CHECKPOINTS / "mi_gmm.ckpt").read_bytes())
    loads = []
    real = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    first = read_checkpoint(ckpt)
    assert read_checkpoint(str(ckpt)) is first and len(loads) == 1
    torch.save({"state_dict": {}}, ckpt)  # another file under the same name: read again
    os.utime(ckpt, ns=(1, 1))
    assert read_checkpoint(ckpt) == {"state_dict": {}} and len(loads) == 2


def test_the_checkpoint_record_types_its_sections():
    record = checkpoint_record(CHECKPOINTS / "wsol_tiny.ckpt")
    assert record.experiment_name == "wsol_tiny" and record.seed == 0 and record.task == "train"
    assert set(record.sections) == {"data", "model", "loss", "cam"}
    cam = record.typed("cam")
    assert cam.region_padding == "zeros"  # a key added after the checkpoint: the schema's default
    assert record.trainer is None  # made before checkpoints kept their trainer section
    assert "state_dict" in record.contents and record.hyper_parameters


def test_the_folder_record_reads_config_and_metrics(tmp_path):
    (tmp_path / "config.yaml").write_text("task_name: evaluate\nexperiment_name: mi_gmm\nseed: 3\n"
                                          "data: {_target_: infocam_lit.data.gmm.GMMDataModule, dim: 2}\n"
                                          "trainer: {limit_test_batches: 2}\n")
    (tmp_path / "metrics.json").write_text(json.dumps({"test/mi": 1e-05}))
    record = folder_record(tmp_path)
    assert (record.task, record.experiment_name, record.seed) == ("evaluate", "mi_gmm", 3)
    assert record.metrics == {"test/mi": 1e-05} and record.trainer == {"limit_test_batches": 2}
    assert record.typed("data").dim == 2 and record.typed("data").noise_dims == 0  # schema default
    assert folder_record(tmp_path / "absent").metrics is None


COUNTING = textwrap.dedent("""
    import atexit, runpy, sys
    from pathlib import Path
    import torch
    target = Path(sys.argv.pop(1)).resolve()
    sys.argv = sys.argv[1:]  # as `python <script> <overrides>` gives them
    script = sys.argv[0]
    real, loads = torch.load, []
    def counting(f, *a, **k):
        if isinstance(f, (str, Path)) and Path(f).resolve() == target:
            loads.append(f)
        return real(f, *a, **k)
    torch.load = counting
    atexit.register(lambda: print(f"CHECKPOINT LOADS {len(loads)}"))
    runpy.run_path(script, run_name="__main__")
""")


@pytest.mark.subprocess
@pytest.mark.parametrize("script", ["evaluate.py", "predict.py"])
def test_one_read_of_the_checkpoint_per_command(script, tmp_path):
    from PIL import Image

    image = tmp_path / "image.png"
    Image.new("RGB", (40, 30), (120, 60, 30)).save(image)
    ckpt = CHECKPOINTS / ("mi_gmm.ckpt" if script == "evaluate.py" else "wsol_tiny.ckpt")
    arguments = [f"ckpt_path={ckpt}", f"hydra.run.dir={tmp_path / 'run'}"]
    arguments += ["logger=csv"] if script == "evaluate.py" else [f"images={image}"]
    result = subprocess.run([sys.executable, "-c", COUNTING, str(ckpt), str(ROOT / script), *arguments], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "CHECKPOINT LOADS 1" in result.stdout, result.stdout[-2000:]


def test_nothing_else_in_the_package_loads_a_checkpoint():
    """torch.load of a checkpoint lives in run_record.read_checkpoint alone (pretrained weights and data caches
    are not checkpoints)."""
    loaders = {path.relative_to(ROOT).as_posix() for path in (ROOT / "infocam_lit").rglob("*.py")
               if "torch.load(" in path.read_text() or "load_from_checkpoint(" in path.read_text()}
    assert loaders == {"infocam_lit/run/run_record.py", "infocam_lit/nets/pretrained.py",
                       "infocam_lit/data/double_mnist.py"}
    assert run_record.RUN_CONFIG_KEY == "infocam_lit_run_config"  # the key every checkpoint so far carries

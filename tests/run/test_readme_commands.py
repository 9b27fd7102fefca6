"""Every `python evaluate.py` and `python predict.py` command in the bash blocks of README.md and docs/ (USAGE,
RESULTS, SPEED) runs as printed, through bash (so its quoting is tested too), with fixture checkpoints and data in
place of its placeholders. The other commands of those blocks: tests/run/test_doc_commands.py."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.doc_commands import doc_commands
from tests.helpers.fixture_data import make_cub, make_tiny_imagenet
from tests.helpers.paths import ROOT
from tests.helpers.runs import run_entry

pytestmark = pytest.mark.subprocess
CHECKPOINTS = ROOT / "tests" / "helpers" / "checkpoints"
CKPT_VALUE = re.compile(r"""ckpt_path=("'[^']*'"|'[^']*'|\S+)""")


def readme_commands() -> dict[str, str]:
    """The evaluate and predict commands of the docs' bash blocks by where they are printed (continuation lines
    joined, comments dropped, an optional `[key=value]` kept as given), but those that need a GPU."""
    return {command.source: re.sub(r"\[([^\]]*)\]", lambda m: "" if "..." in m.group(1) else m.group(1), command.line)
            for command in doc_commands()
            if re.match(r"python (evaluate|predict)\.py ", command.line) and "GPU" not in command.needs}


COMMANDS = readme_commands()


def test_readme_has_the_commands_this_test_runs():
    commands = list(COMMANDS.values())
    assert len(commands) >= 6 and any("predict.py" in c for c in commands)
    assert any("official_test" in c for c in commands) and any(" -m " in c for c in commands)
    assert {source.split(":")[0] for source in COMMANDS} >= {"docs/USAGE.md", "docs/RESULTS.md"}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> dict:
    """A CUB checkpoint trained here, the Tiny-ImageNet and mixture checkpoints kept under tests/helpers, their
    data, and images for predict.py."""
    root = tmp_path_factory.mktemp("readme")
    cub_folder, _ = make_cub(root / "cub", num_classes=3, train_per_class=4, test_per_class=2)
    run_entry("train.py", root / "cub_run", "experiment=wsol_cub", "model=small_gap_cnn", f"data.root={root / 'cub'}",
              "data.resize_size=72", "data.crop_size=64", "logger=csv", "data.batch_size=4", "data.num_workers=0",
              "data.pin_memory=false", "trainer.max_epochs=1", "trainer.limit_train_batches=2",
              "cam.threshold_step=0.1")
    make_tiny_imagenet(root / "tiny")  # the fixture wsol_tiny.ckpt was trained on
    images = root / "images"
    images.mkdir()
    for source in sorted((cub_folder / "images").rglob("*.jpg"))[:2]:
        (images / source.name).write_bytes(source.read_bytes())
    return {"root": root, "images": images,
            "cub": (root / "cub_run" / "checkpoints" / "best.ckpt", root / "cub"),
            "tiny": (CHECKPOINTS / "wsol_tiny.ckpt", root / "tiny"),
            "mi_gmm": (CHECKPOINTS / "mi_gmm.ckpt", None)}


def as_run(command: str, fixtures: dict, out: Path) -> tuple[str, str]:
    """The command with fixture paths for its placeholders, and which fixture it uses."""
    printed = CKPT_VALUE.search(command).group(1)
    kind = ("cub" if "wsol_cub" in printed or "official_test" in command else
            "mi_gmm" if "mi_gmm" in printed else "tiny")
    ckpt, data_root = fixtures[kind]
    quoted = f"\"'{ckpt}'\"" if printed.startswith("\"'") else f"'{ckpt}'" if printed.startswith("'") else str(ckpt)
    command = command.replace(f"ckpt_path={printed}", f"ckpt_path={quoted}")
    command = command.replace("<image file or folder>", str(fixtures["images"]))
    if data_root is not None:
        command = command.replace("<folder>", str(data_root))
        if "data.root=" not in command and "predict.py" not in command:
            command += f" data.root={data_root}"  # where the fixture data lies (the checkpoint's is gone)
    assert "<" not in command, f"a placeholder this test does not know: {command}"
    command = command.replace("python ", f"{shlex.quote(sys.executable)} ", 1)
    return f"{command} paths.log_dir={out} logger=csv", kind


@pytest.mark.parametrize("source", list(COMMANDS))
def test_each_readme_command_runs_as_printed(source, fixtures, tmp_path):
    command = COMMANDS[source]
    line, kind = as_run(command, fixtures, tmp_path / "out")
    result = subprocess.run(["bash", "-c", line], cwd=ROOT, capture_output=True, text=True, timeout=900,
                            env={"PYTHONWARNINGS": "ignore", "PATH": "/usr/bin:/bin", "WANDB_MODE": "offline",
                                 "HOME": str(tmp_path)})
    assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    written = "predictions.json" if "predict.py" in command else "metrics.json"
    found = list((tmp_path / "out").rglob(written))
    assert found, f"no {written} from {line}"
    assert all(kind in str(path) for path in found)  # under the checkpoint's own experiment
    assert len(found) > 1 if " -m " in command else len(found) == 1  # a sweep: one folder per job

"""The wheel is a tool on its own: built from the sources, installed into a fresh virtual
environment that borrows this one's dependencies (nothing is downloaded), it runs the default
experiment through its console script from a folder that is not a checkout."""

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT
from tests.helpers.runs import read_metrics

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


def run(*command, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600,
                            **kwargs)
    output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{output}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # build from a copy of the sources, so no build/ or egg-info lands in the checkout
    source = tmp_path_factory.mktemp("source")
    for name in ("infocam_lit", "conf"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    wheels = tmp_path_factory.mktemp("wheels")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, ".",
        cwd=source)
    return next(wheels.glob("infocam_lit-*.whl"))


def test_the_wheel_ships_the_config_and_console_scripts(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    configs = {n.removeprefix("infocam_lit/conf/") for n in names if n.startswith("infocam_lit/conf/")}
    assert configs == {str(p.relative_to(ROOT / "conf")) for p in (ROOT / "conf").rglob("*.yaml")}
    assert {str(p.relative_to(ROOT)) for p in (ROOT / "infocam_lit").rglob("*.py")} <= set(names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "infocam-train = infocam_lit.run.cli:train_main" in entry_points
    assert "infocam-evaluate = infocam_lit.run.cli:evaluate_main" in entry_points
    assert "infocam-predict = infocam_lit.run.cli:predict_main" in entry_points
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert all(f"Provides-Extra: {extra}" in metadata for extra in ("slurm", "joblib", "wsolevaluation"))
    assert any(n.endswith("licenses/LICENSE") for n in names)


def test_an_installed_wheel_runs_the_default_experiment_outside_a_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).stdout.strip()
    # this environment's dependencies (torch, Lightning, Hydra, pip), not its editable infocam_lit:
    # a path line in a .pth file adds the folder without running the .pth files inside it
    (Path(site) / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    location = run(python, "-c", "import infocam_lit; print(infocam_lit.__file__)", cwd=elsewhere).stdout
    assert location.startswith(str(venv)), location

    result = run(venv / "bin" / "infocam-train", "trainer.max_epochs=1", "logger=csv", cwd=elsewhere,
                 env={"PATH": "/usr/bin:/bin", "WANDB_MODE": "offline", "HOME": str(tmp_path)})
    (run_dir,) = (elsewhere / "outputs" / "mi_gmm").iterdir()
    metrics = read_metrics(run_dir)
    assert metrics["test/mi_true"] == pytest.approx(1.44491, abs=1e-4) and 0 < metrics["test/mi"] < 2
    assert "I(X;Y) estimate" in result.stdout

    evaluated = run(venv / "bin" / "infocam-evaluate", f"ckpt_path={run_dir / 'checkpoints' / 'best.ckpt'}",
                    "logger=csv", f"hydra.run.dir={tmp_path / 'eval'}", cwd=elsewhere,
                    env={"PATH": "/usr/bin:/bin", "WANDB_MODE": "offline", "HOME": str(tmp_path)})
    assert read_metrics(tmp_path / "eval") == metrics
    assert "I(X;Y) estimate" in evaluated.stdout

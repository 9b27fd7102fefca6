"""What `--help` prints (conf/hydra/default.yaml's `hydra.help.template`, through the `infocam.help` resolver),
and where the config folder is."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def config_dir() -> str:
    """The wheel's infocam_lit/conf, or the checkout's conf/ beside the package."""
    for folder in (PACKAGE / "conf", PACKAGE.parent / "conf"):
        if (folder / "train.yaml").is_file():
            return str(folder)
    raise FileNotFoundError(f"no config folder: neither {PACKAGE / 'conf'} (an installed wheel) nor "
                            f"{PACKAGE.parent / 'conf'} (a checkout) holds train.yaml; reinstall infocam_lit")


USAGE = {
    "train": "python train.py [experiment=<name>] [group=option ...] [key=value ...]\n"
             "  -m (or a sweep=<file>): one run per combination of comma-separated values",
    "evaluate": "python evaluate.py ckpt_path=<checkpoint> [key=value ...]\n"
                "  the checkpoint's experiment, data, model, loss and cam are restored; overrides apply on top\n"
                "  -m: one folder per checkpoint and per combination (sweep_id=<name> to find them again)",
    "predict": "python predict.py ckpt_path=<WSOL checkpoint> images=<image file or folder> [export=maps] "
               "[key=value ...]",
}


def help_text(task: str) -> str:
    """--help: the entry point's usage, the config groups a user chooses from (not the schemas registered
    under schema/), and how to see every key; Hydra's flags after them."""
    groups = sorted(p for p in Path(config_dir()).iterdir() if p.is_dir() and p.name != "hydra")
    lines = [f"Usage: {USAGE.get(task, USAGE['train'])}", "", "Config groups (group=option):"]
    lines += [f"  {group.name}: {', '.join(sorted(f.stem for f in group.glob('*.yaml')))}" for group in groups]
    lines += ["", f"Every key that can be set, with its value: python {task}.py [experiment=<name>] --cfg job",
              "README.md and docs/ say more.", "", "Hydra's flags:", "$FLAGS_HELP"]
    return "\n".join(lines)

"""Experiment loggers from the `logger` config (each entry a `_target_` and its arguments): CSV in
the run folder always, W&B through a thin wrapper that falls back to offline logging, TensorBoard's
event files in the run folder, MLflow runs (a store in the run folder by default)."""

from __future__ import annotations

import importlib.util
import inspect
import logging
import netrc
import os
import secrets
from pathlib import Path

from hydra.utils import get_class
from pytorch_lightning.loggers import CSVLogger, Logger, MLFlowLogger, TensorBoardLogger, WandbLogger
from pytorch_lightning.utilities import rank_zero_only

log = logging.getLogger(__name__)

MLFLOW_RUN_ID_FILE = "mlflow_run_id"


def wandb_credentials_available() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    netrc_path = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    try:
        hosts = netrc.netrc(netrc_path).hosts
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False
    base_url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    host = base_url.split("://")[-1].split("/")[0]
    return host in hosts


def build_loggers(logger_cfg: dict | None, output_dir: str, run_name: str, config: dict,
                  run_tags: dict | None = None) -> list[Logger]:
    """Each entry of `logger` (a `_target_` and its arguments), with what only the run knows (the run
    folder, its name, the W&B run id and config, a sweep's group and the config choices as tags) as
    defaults the entry may override. A CSV file in the run folder is written whatever the config."""
    loggers: list[Logger] = []
    for key, entry in (logger_cfg or {}).items():
        if not entry:
            continue
        cls = get_class(entry["_target_"])
        arguments = {k: v for k, v in entry.items() if k != "_target_"}
        if issubclass(cls, WandbLogger):
            run_tags = run_tags or {}
            arguments = {"name": run_name, "save_dir": output_dir, "id": _run_id(Path(output_dir)),
                         "resume": "allow",  # a resumed run (ckpt_path=last) goes on logging into its W&B run
                         "config": config, **arguments,
                         "group": run_tags.get("group") or arguments.get("group"),
                         "tags": list(dict.fromkeys([*(arguments.get("tags") or []), *run_tags.get("tags", [])]))}
        elif issubclass(cls, (CSVLogger, TensorBoardLogger)):
            # files in the run folder, <run folder>/<entry>/ (no version_N/: a resumed run appends there)
            arguments = {"save_dir": output_dir, "name": key, "version": "", **arguments}
        elif issubclass(cls, MLFlowLogger):
            arguments = {"run_name": run_name, "tags": mlflow_tags(run_tags or {}),
                         "run_id": _recorded(Path(output_dir) / MLFLOW_RUN_ID_FILE), **arguments}
        logger = cls(**arguments)
        if isinstance(logger, MLFlowLogger):
            _record_mlflow_run(logger, Path(output_dir))
        loggers.append(logger)
    if not any(isinstance(logger, CSVLogger) for logger in loggers):
        loggers.insert(0, CSVLogger(save_dir=output_dir, name="csv", version=""))
    return loggers


def mlflow_tags(run_tags: dict) -> dict[str, str]:
    """The W&B grouping and tags as MLflow's tags: `model=resnet50` becomes model: resnet50, and a user's
    own tag (`ablation`) a tag with an empty value."""
    tags = {"group": run_tags["group"]} if run_tags.get("group") else {}
    for tag in run_tags.get("tags", []):
        name, _, value = tag.partition("=")
        tags[name] = value
    return tags


def _recorded(path: Path) -> str | None:
    return path.read_text().strip() if path.is_file() else None


@rank_zero_only
def _record_mlflow_run(logger: MLFlowLogger, output_dir: Path) -> None:
    """The MLflow run id of this run folder, kept in the folder, so that a resumed run (ckpt_path=last)
    goes on logging into its MLflow run."""
    path = output_dir / MLFLOW_RUN_ID_FILE
    if not path.is_file():
        output_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(logger.run_id + "\n")  # run_id creates the run in the store


def accepted_arguments(cls: type) -> set[str] | None:
    """The keyword arguments a logger class takes (None: any). Lightning's WandbLogger hands its
    **kwargs to wandb.init and its TensorBoardLogger to the SummaryWriter, so theirs count as its own."""
    accepted: set[str] = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters
        accepted |= {name for name, p in parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if not any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
            return accepted - {"self"}
        passed_on = _keyword_arguments_passed_on(klass)
        if passed_on is not None:
            return (accepted | passed_on) - {"self"}
    return None


def _keyword_arguments_passed_on(klass: type) -> set[str] | None:
    if klass is WandbLogger:
        import wandb

        return set(inspect.signature(wandb.init).parameters)
    if klass is TensorBoardLogger:
        try:  # the writer Lightning uses: tensorboard's, else tensorboardX's
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            from tensorboardX import SummaryWriter
        return set(inspect.signature(SummaryWriter.__init__).parameters) - {"log_dir"}  # the logger's own
    return None


# Logger classes whose packages are extras of infocam_lit: (the packages, any of which will do; the extra)
LOGGER_EXTRAS = ((TensorBoardLogger, ("tensorboard", "tensorboardX"), "tensorboard"),
                 (MLFlowLogger, ("mlflow",), "mlflow"))


def missing_package(cls: type) -> str | None:
    """What to install for a logger class whose package is missing (Lightning would raise
    ModuleNotFoundError when the run starts), or None."""
    for klass, packages, extra in LOGGER_EXTRAS:
        if issubclass(cls, klass) and all(importlib.util.find_spec(package) is None for package in packages):
            return f'the {packages[0]} package, which is not installed: pip install "infocam_lit[{extra}]"'
    return None


class FallbackWandbLogger(WandbLogger):
    """Lightning's WandbLogger (every argument of it and of wandb.init works) that never prompts:
    without credentials (WANDB_API_KEY, a netrc entry for the W&B host, or WANDB_MODE=offline) it
    logs offline and says where the run is and how to sync it."""

    def __init__(self, *, offline: bool = False, log_model: bool | str = False, save_dir: str = ".", **kwargs):
        offline = bool(offline) or os.environ.get("WANDB_MODE") in ("offline", "dryrun")
        if not offline and not wandb_credentials_available():
            offline = True
            os.environ["WANDB_MODE"] = "offline"
            _announce_offline(save_dir)
        if offline and log_model:
            _announce_checkpoints_not_uploaded(save_dir)
            log_model = False  # W&B cannot upload artifacts from an offline run
        super().__init__(offline=offline, log_model=log_model, save_dir=save_dir, **kwargs)
        if kwargs.get("anonymous") is None:  # Lightning passes anonymous=None, which W&B warns has no effect
            self._wandb_init.pop("anonymous", None)


def _run_id(output_dir: Path) -> str:
    """The W&B run id of this run folder, made once and kept in the folder."""
    path = output_dir / "wandb_run_id"
    if path.is_file():
        return path.read_text().strip()
    run_id = secrets.token_hex(4)  # W&B ids: lower-case letters and digits
    if rank_zero_only.rank == 0:
        output_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(run_id + "\n")
    return run_id


@rank_zero_only
def _announce_offline(output_dir: str) -> None:
    log.warning(
        "W&B: no credentials found, logging offline under %s/wandb; "
        "sync later with `wandb sync %s/wandb/offline-run-*` (or run `wandb login` first)",
        output_dir, output_dir,
    )


@rank_zero_only
def _announce_checkpoints_not_uploaded(output_dir: str) -> None:
    log.warning("W&B: logger.wandb.log_model needs an online run; this run is offline, so its checkpoints stay in "
                "%s/checkpoints only", output_dir)

"""Experiment loggers: CSV in the run folder always, W&B when configured.

W&B never prompts: without credentials (WANDB_API_KEY, a netrc entry for the
W&B host, or WANDB_MODE=offline) the run is logged offline and one line says
where it is and how to sync it.
"""

from __future__ import annotations

import logging
import netrc
import os
import secrets
from pathlib import Path

from pytorch_lightning.loggers import CSVLogger, Logger
from pytorch_lightning.utilities import rank_zero_only

log = logging.getLogger(__name__)


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
    """CSV always; W&B when configured, with `run_tags` (a sweep's group, the config choices as tags)."""
    loggers: list[Logger] = [CSVLogger(save_dir=output_dir, name="csv", version="")]
    wandb_cfg = (logger_cfg or {}).get("wandb")
    if wandb_cfg:
        run_tags = run_tags or {}
        wandb_cfg = {**wandb_cfg, "group": run_tags.get("group") or wandb_cfg.get("group"),
                     "tags": [*(wandb_cfg.get("tags") or []), *run_tags.get("tags", [])]}
        loggers.append(_wandb_logger(wandb_cfg, output_dir, run_name, config))
    return loggers


def _wandb_logger(wandb_cfg: dict, output_dir: str, run_name: str, config: dict) -> Logger:
    from pytorch_lightning.loggers import WandbLogger

    offline = bool(wandb_cfg.get("offline")) or os.environ.get("WANDB_MODE") in ("offline", "dryrun")
    if not offline and not wandb_credentials_available():
        offline = True
        os.environ["WANDB_MODE"] = "offline"
        _announce_offline(output_dir)
    log_model = wandb_cfg.get("log_model", False)
    if offline and log_model:
        _announce_checkpoints_not_uploaded(output_dir)
        log_model = False  # W&B cannot upload artifacts from an offline run
    logger = WandbLogger(
        id=_run_id(Path(output_dir)),
        resume="allow",  # a resumed run (ckpt_path=last) goes on logging into its W&B run
        project=wandb_cfg.get("project", "infocam_lit"),
        entity=wandb_cfg.get("entity"),
        group=wandb_cfg.get("group"),
        tags=list(wandb_cfg.get("tags") or []),
        name=run_name,
        save_dir=output_dir,
        offline=offline,
        log_model=log_model,
        config=config,
    )
    return logger


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

"""The checks made before any work: every section's range checks, and what a schema cannot see (the
optimiser and schedule built once, bf16 on this GPU or CPU, each logger's arguments)."""

from __future__ import annotations

from dataclasses import is_dataclass

from omegaconf import DictConfig, ListConfig, OmegaConf
from pytorch_lightning.loggers import WandbLogger

from infocam_lit.run.schema import ConfigError, require
from infocam_lit.run.schema.data import EvalTransform
from infocam_lit.run.schema.maps import BoxConvention
from infocam_lit.run.search import UnknownObjective


def validate_config(cfg: DictConfig) -> None:
    """Run every section's range checks; raise ConfigError naming the key."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        hydra_config = HydraConfig.get()
        check_added_top_level_keys(list(hydra_config.overrides.task), set(hydra_config.runtime.choices))
    check_optimized_metric(cfg)
    for section in ("data", "model", "loss", "cam", "trainer", "callbacks"):
        node = cfg.get(section)
        if node is not None and is_dataclass(OmegaConf.get_type(node)):
            OmegaConf.to_object(node)  # builds the dataclass, so __post_init__ runs
    if cfg.get("cam") is not None and cfg.cam.box_convention == BoxConvention.wsolevaluation:
        # data without an eval_transform (Tiny-ImageNet) always resizes
        transform = cfg.data.get("eval_transform")
        require(transform in (None, EvalTransform.wsolevaluation), "data.eval_transform",
                "wsolevaluation with cam.box_convention=wsolevaluation (its boxes are defined on a plain resize)",
                transform)
    if cfg.get("model") is not None and "optimizer" in cfg.model:  # a family may configure its own
        check_optimizer(cfg.model)
    if cfg.get("trainer") is not None:
        check_precision(cfg.trainer)
        check_accelerator(cfg.trainer)
        check_trainer_arguments(cfg.trainer)
    if cfg.get("tags") is not None:  # a string would become one W&B tag per letter
        tags = OmegaConf.to_container(cfg.tags) if isinstance(cfg.tags, ListConfig) else cfg.tags
        require(isinstance(tags, list) and all(isinstance(tag, str) for tag in tags), "tags",
                "a list of strings, e.g. tags=[ablation,lr]", tags)
    for name, entry in (OmegaConf.to_container(cfg.get("logger") or {}, resolve=False) or {}).items():
        if entry:
            check_logger(f"logger.{name}", entry)


def check_optimized_metric(cfg: DictConfig) -> None:
    """What can be told before any work: a validation value must be the checkpoint callback's monitor, the
    only one whose best score a run keeps."""
    name = cfg.get("optimized_metric")
    if name is None or not str(name).startswith("val/"):
        return
    checkpoint = (cfg.get("callbacks") or {}).get("model_checkpoint")
    monitor = checkpoint.monitor if checkpoint else None
    if name != monitor:
        raise UnknownObjective(
            f"optimized_metric={name}: the validation value a run keeps is its checkpoint's monitor "
            f"(callbacks.model_checkpoint.monitor={monitor}), its best score; set optimized_metric={monitor}, or "
            f"monitor {name} (callbacks.model_checkpoint.monitor={name} and .mode)")


def check_trainer_arguments(trainer: DictConfig) -> None:
    """A key added with `+trainer.<key>=...` that the trainer's `_target_` does not take: one line naming the
    closest argument it does take, before any work (the Trainer itself would stop with a TypeError)."""
    import difflib
    import inspect

    from hydra.utils import get_class

    accepted = inspect.signature(get_class(trainer._target_)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        return
    for key in trainer:
        if not str(key).startswith("_") and key not in accepted:
            close = difflib.get_close_matches(str(key), list(accepted), n=1, cutoff=0.5)
            hint = f"; did you mean trainer.{close[0]}?" if close else ""
            raise ConfigError(f"trainer.{key}: {trainer._target_} takes no such argument{hint}")


def check_added_top_level_keys(overrides: list[str], groups: set[str]) -> None:
    """`+test=false` would add a top-level key that nothing reads: refused, naming the config groups and keys
    one can set instead (`+group=option` for an optional config group stays allowed)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.key_or_group
        if override.is_add() and "." not in key and "/" not in key and key not in groups:
            raise ConfigError(f"{override.input_line} adds a top-level key that nothing reads; set one of the keys "
                              f"the config has (python {{train,evaluate,predict}}.py --cfg job lists them), or choose "
                              f"an option of a config group: {', '.join(sorted(groups))}")


def check_accelerator(trainer: DictConfig) -> None:
    """trainer=mps (or trainer.accelerator=mps) on a machine without Apple's Metal backend: one line before any
    work (Lightning would stop with its own error when the trainer is built)."""
    import torch

    if str(trainer.get("accelerator")) == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("trainer.accelerator=mps needs Apple's Metal (MPS) backend, which this machine lacks "
                          "(torch.backends.mps.is_available() is False); use trainer=cpu, or trainer=gpu on CUDA")


def check_precision(trainer: DictConfig) -> None:
    """bf16 on a CUDA GPU without native bfloat16 (before compute capability 8.0) would be emulated or refused
    mid-run, and on a CPU without it emulated, slower than fp32: stop before any work instead."""
    import torch

    precision = str(trainer.get("precision"))
    if not precision.startswith("bf16"):
        return
    accelerator = str(trainer.get("accelerator"))
    on_cuda = accelerator in ("gpu", "cuda", "auto") and torch.cuda.is_available()
    if on_cuda and not torch.cuda.is_bf16_supported(including_emulation=False):
        raise ConfigError(f"trainer.precision={precision} needs a GPU with native bfloat16 (compute capability 8.0 "
                          f"or newer: A100, H100, RTX 30xx and later); {torch.cuda.get_device_name()} has none. Use "
                          "trainer.precision=16-mixed (float16 with loss scaling) or trainer.precision=32-true")
    on_cpu = accelerator == "cpu" or (accelerator == "auto" and not on_cuda and not torch.backends.mps.is_available())
    if on_cpu and not cpu_has_native_bf16():
        raise ConfigError(f"trainer.precision={precision} on a CPU needs native bfloat16 (AVX512_BF16 or AMX on x86: "
                          f"AMD Zen 4, Intel Cooper Lake and later); this CPU has none (torch reports "
                          f"{torch.backends.cpu.get_cpu_capability()}), so bf16 would be emulated, slower than fp32. "
                          "Use trainer.precision=32-true")


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively, from the flags torch reads with cpuinfo: AVX512_BF16 or AMX
    tiles on x86; on other CPUs (Arm), oneDNN's own check for bf16 instructions."""
    import platform

    import torch

    if platform.machine().lower() in ("x86_64", "amd64", "i386", "i686"):
        return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return torch.ops.mkldnn._is_mkldnn_bf16_supported()


def check_optimizer(model: DictConfig) -> None:
    """model.optimizer and model.scheduler are built once on a stand-in parameter, so a wrong
    target, an unknown argument or a value out of range stops the run before any work."""
    import torch
    from hydra.utils import instantiate

    optimizer, scheduler = model.get("optimizer"), model.get("scheduler")
    for key, node in (("model.optimizer", optimizer), ("model.scheduler", scheduler)):
        if node is None and key == "model.scheduler":
            continue
        require(isinstance(node, DictConfig) and "_target_" in node, key,
                "a _target_ and its arguments (e.g. {_target_: torch.optim.SGD, _partial_: true, lr: 0.01})",
                OmegaConf.to_container(node) if isinstance(node, DictConfig) else node)
        require(node.get("_partial_") is True, f"{key}._partial_", "true (the module supplies the "
                + ("parameters)" if key == "model.optimizer" else "optimizer)"), node.get("_partial_"))
    if "lr" in optimizer:  # torch accepts 0, which trains nothing
        require(optimizer.lr > 0, "model.optimizer.lr", "> 0", optimizer.lr)
    try:
        built = instantiate(optimizer, _convert_="all")([torch.nn.Parameter(torch.zeros(1))])
    except Exception as error:  # noqa: BLE001 - the target's own message, under the key that caused it
        raise ConfigError(f"model.optimizer: {type(error).__name__}: {error}") from None
    if scheduler is not None:
        try:
            instantiate(scheduler, _convert_="all")(built)
        except Exception as error:  # noqa: BLE001
            raise ConfigError(f"model.scheduler: {type(error).__name__}: {error}") from None


def check_logger(key: str, entry: dict) -> None:
    """Every key of a logger entry is an argument its `_target_` takes."""
    from hydra.utils import get_class

    from infocam_lit.run.loggers import accepted_arguments, missing_package

    require("_target_" in entry, key, "a _target_ and its arguments (several loggers: logger=[wandb,tensorboard])",
            entry)
    try:
        cls = get_class(entry["_target_"])
    except Exception as error:  # noqa: BLE001
        raise ConfigError(f"{key}._target_: {error}") from None
    missing = missing_package(cls)
    if missing:
        raise ConfigError(f"{key} needs {missing} (make install includes it)")
    if issubclass(cls, WandbLogger) and entry.get("log_model", False) not in (False, True, "all"):
        raise ConfigError(f"{key}.log_model must be false, true or 'all', got {entry['log_model']!r}")
    accepted = accepted_arguments(cls)
    unknown = sorted(set(entry) - {"_target_"} - (accepted if accepted is not None else set(entry)))
    if unknown:
        raise ConfigError(f"{key}: {cls.__name__} takes no argument {', '.join(unknown)}; "
                          f"valid: {', '.join(sorted(accepted))}")

"""A run's saved config with the keys it lacks at their schemas' defaults, so no table keeps a default of its own.

A resolved config.yaml holds every key its schemas had when the run was made; a key added later
(`data.noise_dims`, `cam.box_convention`, `loss.posthoc_tau`) is absent from older runs, whose code behaved
as the schema's default does. Each section is typed by the schema it was made from as evaluate.py types a
checkpoint's (run/run_record.py `typed_section`, found by the section's `_target_`), and only the keys the run
lacks are added: a saved value stays exactly as saved, and a key the schema no longer knows stays too.
"""

from __future__ import annotations

from typing import Any

from omegaconf import OmegaConf

from infocam_lit.run.run_record import SECTIONS, typed_section


def with_schema_defaults(config: dict) -> dict:
    """`config` with each schema-typed section (data, model, loss, cam) completed by its schema's defaults; a
    section of no known schema, or one the run does not have, as saved."""
    filled = dict(config)
    for group in SECTIONS:
        section = config.get(group)
        if isinstance(section, dict):
            filled[group] = _completed(section, schema_defaults(section, group))
    return filled


def schema_defaults(section: dict, group: str) -> dict:
    """The defaults of the schema `section` was made from (its network's too), as plain values. Left out: what
    the schema leaves to each option file (`???`), and defaults that interpolate other keys
    (`data.root: ${paths.data_dir}`), which mean nothing without the run's own values."""
    chosen = {key: section[key] for key in ("_target_",) if key in section}
    if isinstance(section.get("net"), dict):  # the model's network has a schema of its own, found by its target
        chosen["net"] = {key: section["net"][key] for key in ("_target_",) if key in section["net"]}
    typed = typed_section(chosen, group)
    return _plain(OmegaConf.to_container(typed, resolve=False, enum_to_str=True))


def _plain(defaults: dict) -> dict:
    kept = {}
    for key, value in defaults.items():
        if isinstance(value, str) and (value == "???" or "${" in value):
            continue
        kept[key] = _plain(value) if isinstance(value, dict) else value
    return kept


def _completed(saved: dict, defaults: dict) -> dict[str, Any]:
    """`saved` with the keys of `defaults` it lacks, nested sections completed key by key."""
    completed = dict(saved)
    for key, value in defaults.items():
        if key not in saved:
            completed[key] = value
        elif isinstance(saved[key], dict) and isinstance(value, dict):
            completed[key] = _completed(saved[key], value)
    return completed

"""The checks that raise ConfigError (run/errors.py) for a config value out of range."""

from __future__ import annotations

from infocam_lit.run.errors import ConfigError


def require(condition: bool, key: str, rule: str, value) -> None:
    """`key must be <rule>, got <value>` unless `condition` holds."""
    if not condition:
        raise ConfigError(f"{key} must be {rule}, got {value!r}")


def require_known(key: str, values, valid: tuple[str, ...]) -> None:
    """Every one of `values` is in `valid`; else a ConfigError naming the key and the valid ones."""
    unknown = [v for v in values if v not in valid]
    if unknown:
        raise ConfigError(f"{key}: {', '.join(map(str, unknown))} unknown; valid: {', '.join(valid)}")

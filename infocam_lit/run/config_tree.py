"""The resolved config as a tree, logged at the start of a run (extras.print_config), as lightning-hydra-template
users expect: one branch per section with its YAML, plain text so that the log file reads as the terminal."""

from __future__ import annotations

import io

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.text import Text
from rich.tree import Tree


def config_tree(cfg: DictConfig, title: str = "config") -> str:
    """The sections of `cfg` (interpolations resolved) as a text tree: a section's YAML under its name, a
    top-level value on its own line.

    Returns:
        The tree, one line per line of text, no colour codes.

    Example:
        >>> print(config_tree(OmegaConf.create({"data": {"dim": 5, "size": 100}, "seed": 0})))
        config
        ├── data
        │   └── dim: 5
        │       size: 100
        └── seed: 0
    """
    tree = Tree(title)
    for key, value in cfg.items():
        if isinstance(value, DictConfig) and value:
            tree.add(str(key)).add(Text(OmegaConf.to_yaml(value, resolve=True).rstrip()))
        else:
            plain = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
            tree.add(Text(f"{key}: {plain}"))
    console = Console(file=io.StringIO(), width=200, color_system=None, highlight=False)
    console.print(tree)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines())

"""Tables and figures from finished runs (python -m infocam_lit.report); the top layer."""

from infocam_lit.report.render import main

__all__ = ["main"]

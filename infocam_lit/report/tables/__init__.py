"""The paper's tables, each rendered from the runs that cover it (python -m infocam_lit.report)."""

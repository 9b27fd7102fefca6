"""python -m infocam_lit.collect_runs DEST RUN...: see infocam_lit.report.collect_runs."""

from infocam_lit.report.collect_runs import collect, main

__all__ = ["collect", "main"]

if __name__ == "__main__":
    main()

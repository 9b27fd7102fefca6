"""Tables and figures from finished runs: python -m infocam_lit.report <runs dir>.

Every job folder under the given directory (a folder holding `.hydra/` or
`config.yaml`) is one run; its `metrics.json` holds the results, and a job
without it is listed as failed, never dropped. predict.py's folders hold no
results and are no jobs of a table: they are left out. What is rendered depends on
the experiments the runs cover (Table 2 and the estimator studies of nuisance
dimensions and sample size for the MI experiment, Table 3 and the imbalance
study for MNIST and CUB classification, Tables 4, 6, 7 and 8 for the WSOL
experiments, Table 5 for double-digit MNIST).

Two layouts:
- a sweep folder (or any folder of run folders): every table reads every run, and
  table.md, table<N>.csv, table.csv and the figures are written into it (or --out);
  the sweep table, whatever the runs vary, comes last: a row per configuration;
- a results folder such as docs/results, holding one sub-folder per table
  (`table2/`, `mi_noise_dims/`, `mi_sample_size/`, `table3/`, `imbalance/`,
  `table4/` for Tables 4 and 6-8, `table5/`): each table reads only the runs
  committed under its own sub-folder, and its CSV and figures are written there.

No table pools configurations: runs whose configs differ in more than the seed and
bookkeeping (infocam_lit/report/configs.py) go into rows of their own, a "config"
column naming what differs; an evaluation (evaluate.py) and a training run are never
one configuration. A row pools one run per seed (infocam_lit/report/seeds.py): runs of
one configuration and seed are duplicates, listed under the table, the first folder in
sorted order pooled. Debug runs (trainer.fast_dev_run, a limit_*_batches other than
1.0, overfit_batches, a profiler; for an evaluation, also those its checkpoint was
trained with) are left out of every table and listed under it; `--include-debug`
takes them in (and lists them as included).

`--readme docs/RESULTS.md` replaces, for each table rendered, the block between
`<!-- results:<name> -->` and `<!-- /results:<name> -->` there (figure links
relative to that file). `--check` (with --readme) writes nothing: it renders into
a temporary folder and exits 1 when a block differs from what the runs give,
showing the difference.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from infocam_lit.report.configs import debug_settings
from infocam_lit.report.runs import Run, find_runs
from infocam_lit.report.tables import (
    imbalance,
    mi_studies,
    region_size,
    sweep,
    table2,
    table3,
    table5,
    wsol,
    wsol_controls,
)


@dataclass(frozen=True)
class Table:
    folder: str | None  # its sub-folder in a results folder (None: rendered for a sweep folder only)
    render: Callable  # (runs, out, link_from) -> (markdown, csv records), or None when the runs do not cover it


# name: the README block and the CSV file
TABLES = {
    "table2": Table("table2", table2.section),
    "mi_noise_dims": Table("mi_noise_dims", mi_studies.noise_dims_section),
    "mi_sample_size": Table("mi_sample_size", mi_studies.sample_size_section),
    "table3": Table("table3", table3.section),
    "imbalance": Table("imbalance", imbalance.section),
    "table4": Table("table4", wsol.table4),
    "table5": Table("table5", table5.section),
    "table6": Table("table4", wsol.table6),
    "table7": Table("table4", wsol.table7),
    "table8": Table("table4", wsol.table8),
    "wsolevaluation": Table("table4", wsol.table_wsolevaluation),
    "region_size": Table("table4", region_size.section),  # evaluate runs under table4/region_size/
    "wsol_controls": Table("table4", wsol_controls.section),  # evaluate runs under table4/controls/
    "sweep": Table(None, sweep.section),  # whatever a sweep varies; the results layout has a table per experiment
}


@dataclass
class Rendered:
    markdown: str  # the table's section, with the failed jobs of its runs
    records: list[dict]
    out: Path  # where its CSV and figures went


def failed_markdown(runs: list[Run]) -> str:
    failed = [r for r in runs if r.failed]
    if not failed:
        return "No failed jobs."
    return "Failed jobs:\n" + "\n".join(f"- `{r.folder}`: {r.error}" for r in failed)


def debug_runs(runs: list[Run]) -> list[Run]:
    """The finished runs made with a debug setting (a failed one is listed as failed already)."""
    return [r for r in runs if not r.failed and debug_settings(r.config)]


def debug_markdown(runs: list[Run], include_debug: bool) -> str:
    """The debug runs among `runs`, listed under a table ("" when there are none)."""
    debug = debug_runs(runs)
    if not debug:
        return ""
    heading = ("Debug runs, included (--include-debug):" if include_debug
               else "Debug runs, left out (--include-debug takes them in):")
    return heading + "\n" + "\n".join(f"- `{r.folder}`: {', '.join(debug_settings(r.config))}" for r in debug)


def left_out_markdown(runs: list[Run], include_debug: bool) -> str:
    """What a table could not use: the failed jobs (always said), then the debug runs (where there are any)."""
    return "\n\n".join(filter(None, [failed_markdown(runs), debug_markdown(runs, include_debug)]))


def is_results_folder(runs_dir: Path) -> bool:
    return any(table.folder and (runs_dir / table.folder).is_dir() for table in TABLES.values())


def render_tables(runs_dir: Path, out: Path, link_from: Path, include_debug: bool = False) -> dict[str, Rendered]:
    """Every table the runs cover, its figures written under `out`, links relative to `link_from`; no debug run
    enters a table unless `include_debug`."""
    by_folder = is_results_folder(runs_dir)
    all_runs = [] if by_folder else find_runs(runs_dir)
    rendered = {}
    for name, table in TABLES.items():
        if by_folder and table.folder is None:
            continue
        runs = find_runs(runs_dir / table.folder) if by_folder and (runs_dir / table.folder).is_dir() else all_runs
        usable = runs if include_debug else [run for run in runs if run.failed or not debug_settings(run.config)]
        table_out = out / table.folder if by_folder else out
        if usable:
            table_out.mkdir(parents=True, exist_ok=True)  # figures go there (a fresh folder under --check)
        result = table.render(usable, table_out, link_from) if usable else None
        if result is not None:
            markdown, records = result
            rendered[name] = Rendered(markdown + "\n\n" + left_out_markdown(runs, include_debug), records, table_out)
    return rendered


# ----------------------------------------------------------------------------- output
def write_csv(path: Path, records: list[dict]) -> None:
    columns: list[str] = []
    for record in records:
        columns += [key for key in record if key not in columns]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns or ["empty"])
        writer.writeheader()
        writer.writerows(records)


def block_pattern(name: str) -> re.Pattern:
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    return re.compile(re.escape(start) + "\n?(.*?)\n?" + re.escape(end), re.S)


def readme_block(text: str, name: str) -> str | None:
    match = block_pattern(name).search(text)
    return None if match is None else match.group(1)


def replace_readme_block(readme: Path, name: str, content: str) -> bool:
    """False (and nothing written) when the README has no block for this table."""
    text = readme.read_text()
    if readme_block(text, name) is None:
        return False
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    readme.write_text(block_pattern(name).sub(lambda _: f"{start}\n{content}\n{end}", text))
    return True


def check_readme(runs_dir: Path, readme: Path, include_debug: bool = False) -> int:
    """0 when every README block of a table the runs cover is what they give, else 1 (and the differences)."""
    common = Path(*_common_parts(runs_dir.resolve(), readme.parent.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        # the same layout under a temporary root, so relative figure links come out as they would
        mirror = Path(tmp)
        rendered = render_tables(runs_dir, mirror / runs_dir.resolve().relative_to(common),
                                 mirror / readme.parent.resolve().relative_to(common), include_debug)
    text = readme.read_text()
    stale = []
    for name, table in rendered.items():
        current = readme_block(text, name)
        if current is None:
            stale.append(name)
            print(f"{readme} has no block <!-- results:{name} --> ... <!-- /results:{name} -->")
        elif current != table.markdown:
            stale.append(name)
            print("".join(difflib.unified_diff(current.splitlines(True), table.markdown.splitlines(True),
                                               f"{readme} ({name})", f"from the runs ({name})")))
    if stale:
        print(f"{readme}: stale results blocks: {', '.join(stale)}; re-render with "
              f"python -m infocam_lit.report {runs_dir} --readme {readme}")
        return 1
    print(f"{readme}: every results block matches the runs ({', '.join(rendered) or 'none'})")
    return 0


def _common_parts(a: Path, b: Path) -> tuple[str, ...]:
    parts = []
    for x, y in zip(a.parts, b.parts, strict=False):
        if x != y:
            break
        parts.append(x)
    return tuple(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infocam_lit.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs_dir", type=Path, help="a sweep folder, or a results folder of table sub-folders")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: runs_dir)")
    parser.add_argument("--readme", type=Path, default=None,
                        help="the markdown file whose results blocks to replace (docs/RESULTS.md)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a results block differs from what the runs give")
    parser.add_argument("--include-debug", action="store_true",
                        help="take runs made with a debug setting (fast_dev_run, limit_*_batches, overfit_batches) "
                             "into the tables; they are listed as included")
    args = parser.parse_args(argv)
    if not args.runs_dir.is_dir():
        raise SystemExit(f"{args.runs_dir} is not a folder")
    if not find_runs(args.runs_dir):
        raise SystemExit(f"no run folders (with .hydra/) under {args.runs_dir}")
    if args.check:
        if args.readme is None:
            raise SystemExit("--check compares a file's results blocks: give --readme docs/RESULTS.md")
        raise SystemExit(check_readme(args.runs_dir, args.readme, args.include_debug))

    out = args.out or args.runs_dir
    out.mkdir(parents=True, exist_ok=True)
    rendered = render_tables(args.runs_dir, out, args.readme.parent if args.readme else out, args.include_debug)
    all_records = []
    for name, table in rendered.items():
        write_csv(table.out / f"{name}.csv", table.records)
        all_records += [{"table": name, **record} for record in table.records]
    if "table2" in rendered:
        print("Table 1: the Gaussian mixture\n" + table2.table1_markdown() + "\n")
    write_csv(out / "table.csv", all_records)
    markdown = ("\n\n".join(table.markdown for table in rendered.values())
                or left_out_markdown(find_runs(args.runs_dir), args.include_debug))
    (out / "table.md").write_text(markdown + "\n")
    print(markdown)
    print(f"\nwritten: {out / 'table.md'}, {out / 'table.csv'}")
    if args.readme:
        updated = [name for name, table in rendered.items() if replace_readme_block(args.readme, name, table.markdown)]
        print(f"updated the results blocks of {args.readme}: {', '.join(updated) or 'none'}")
        for name in rendered.keys() - set(updated):
            print(f"(no block <!-- results:{name} --> in {args.readme}; that table is in {out / 'table.md'} only)")


if __name__ == "__main__":
    main()

"""Tables and figures from finished runs: python -m infocam_lit.report <multirun dir>.

Every job folder under the given directory (a folder holding `.hydra/` or
`config.yaml`) is one run; its `metrics.json` holds the results, and a job
without it is listed as failed, never dropped. What is rendered depends on
the experiments the runs cover (Table 2 for the MI experiment, Table 3 for
MNIST and CUB classification, Tables 4, 6, 7 and 8 for the WSOL experiments,
Table 5 for double-digit MNIST).

Writes table.md (every table covered), table<N>.csv per table, table.csv (all
rows, with a `table` column) and the figures into the directory (or --out),
and prints the Markdown. `--readme README.md` also replaces, for each table
rendered, the block between `<!-- results:table<N> -->` and
`<!-- /results:table<N> -->` there.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

from infocam_lit.runs import Run, find_runs
from infocam_lit.tables import table2, table3, table5, wsol

# name (the README block and CSV file) -> the function that renders it from the runs, or returns
# None when the runs do not cover it
TABLES = {"table2": table2.section, "table3": table3.section, "table4": wsol.table4, "table5": table5.section,
          "table6": wsol.table6, "table7": wsol.table7, "table8": wsol.table8}


def failed_markdown(runs: list[Run]) -> str:
    failed = [r for r in runs if r.failed]
    if not failed:
        return "No failed jobs."
    return "Failed jobs:\n" + "\n".join(f"- `{r.folder}`: {r.error}" for r in failed)


# ----------------------------------------------------------------------------- output
def write_csv(path: Path, records: list[dict]) -> None:
    columns: list[str] = []
    for record in records:
        columns += [key for key in record if key not in columns]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns or ["empty"])
        writer.writeheader()
        writer.writerows(records)


def replace_readme_block(readme: Path, name: str, content: str) -> None:
    text = readme.read_text()
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{readme} has no block {start} ... {end}")
    readme.write_text(pattern.sub(lambda _: f"{start}\n{content}\n{end}", text))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infocam_lit.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs_dir", type=Path, help="a multirun folder (or any folder of run folders)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: runs_dir)")
    parser.add_argument("--readme", type=Path, default=None, help="README whose results blocks to replace")
    args = parser.parse_args(argv)
    if not args.runs_dir.is_dir():
        raise SystemExit(f"{args.runs_dir} is not a folder")
    out = args.out or args.runs_dir
    out.mkdir(parents=True, exist_ok=True)
    runs = find_runs(args.runs_dir)
    if not runs:
        raise SystemExit(f"no run folders (with .hydra/) under {args.runs_dir}")

    link_from = args.readme.parent if args.readme else out
    sections, all_records = {}, []
    for name, render in TABLES.items():
        rendered = render(runs, out, link_from)
        if rendered is None:
            continue
        markdown, records = rendered
        sections[name] = markdown
        write_csv(out / f"{name}.csv", records)
        all_records += [{"table": name, **record} for record in records]
    if "table2" in sections:
        print("Table 1: the Gaussian mixture\n" + table2.table1_markdown() + "\n")
    write_csv(out / "table.csv", all_records)
    failed = failed_markdown(runs)
    markdown = "\n\n".join([*sections.values(), failed])
    (out / "table.md").write_text(markdown + "\n")
    print(markdown)
    print(f"\nwritten: {out / 'table.md'}, {out / 'table.csv'}")
    if args.readme:
        for name, section in sections.items():
            replace_readme_block(args.readme, name, section + "\n\n" + failed)
        print(f"updated the results blocks of {args.readme}: {', '.join(sections) or 'none'}")


if __name__ == "__main__":
    main()

"""Tables and figures from finished runs: python -m infocam_lit.report <multirun dir>.

Every job folder under the given directory (a folder holding `.hydra/` or
`config.yaml`) is one run; its `metrics.json` holds the results, and a job
without it is listed as failed, never dropped. What is rendered depends on
the experiments the runs cover (so far: the MI experiment, Table 2).

Writes table.md, table.csv and the figures into the directory (or --out), and
prints Table 1 and the Markdown table. `--readme README.md` also replaces the
block between `<!-- results:<name> -->` and `<!-- /results:<name> -->` there.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from infocam_lit import gmm
from infocam_lit.paper_values import TABLE2_ACCURACY, TABLE2_MI, table2_value


@dataclass
class Run:
    folder: Path
    config: dict
    metrics: dict | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.metrics is None


def find_runs(root: Path) -> list[Run]:
    runs = []
    folders = {p.parent.parent for p in root.rglob(".hydra/config.yaml")}
    for folder in sorted(folders):
        config_file = folder / "config.yaml"  # resolved, written by the run itself
        if not config_file.is_file():
            config_file = folder / ".hydra" / "config.yaml"
        config = yaml.safe_load(config_file.read_text()) or {}
        metrics_file = folder / "metrics.json"
        if metrics_file.is_file():
            runs.append(Run(folder, config, json.loads(metrics_file.read_text())))
        else:
            runs.append(Run(folder, config, error=_failure_reason(folder)))
    return runs


def _failure_reason(folder: Path) -> str:
    logs = sorted(folder.glob("*.log"))
    for log_file in logs:
        lines = [line for line in log_file.read_text(errors="replace").splitlines() if "Error" in line]
        if lines:
            return lines[-1][-200:]
    return "no metrics.json (failed or unfinished)"


# ----------------------------------------------------------------------------- Table 2
@dataclass
class Table2Row:
    imbalanced: bool
    dim: int
    estimator: str
    mi: list[float] = field(default_factory=list)
    mi_se: list[float] = field(default_factory=list)
    mi_true: float = math.nan
    mi_mc: list[float] = field(default_factory=list)
    acc: list[float] = field(default_factory=list)
    acc_bayes: list[float] = field(default_factory=list)


def estimator_name(config: dict) -> str:
    target = (config.get("model") or {}).get("_target_", "")
    if target.endswith("MINEModule"):
        return "mine"
    return str((config.get("loss") or {}).get("name"))


def is_mi_run(config: dict) -> bool:
    return (config.get("data") or {}).get("_target_", "").endswith("GMMDataModule")


def table2_rows(runs: list[Run]) -> list[Table2Row]:
    rows: dict[tuple, Table2Row] = {}
    for run in runs:
        if run.failed or not is_mi_run(run.config):
            continue
        data, m = run.config["data"], run.metrics
        key = (bool(data["imbalanced"]), int(data["dim"]), estimator_name(run.config))
        row = rows.setdefault(key, Table2Row(*key))
        row.mi.append(m["test/mi"])
        row.mi_se.append(m["test/mi_se"])
        row.mi_true = m["test/mi_true"]
        row.mi_mc.append(m["test/mi_mc"])
        if "test/acc" in m:
            row.acc.append(m["test/acc"])
            # the rule the loss learns: prior rule for softmax, balanced rule otherwise
            row.acc_bayes.append(m["test/acc_bayes" if key[2] == "softmax" else "test/acc_bayes_balanced"])
    order = {"softmax": 0, "pc_softmax": 1, "logit_adjusted": 2, "mine": 3}
    return sorted(rows.values(), key=lambda r: (r.imbalanced, r.dim, order.get(r.estimator, 9)))


def _mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


TABLE2_COLUMNS = ["setting", "d", "estimator", "seeds", "exact I", "MC (ours)", "estimate (mean ± std)", "test SE",
                  "abs. error", "accuracy", "Bayes rule", "paper MI", "paper MC", "paper accuracy"]


def table2_records(rows: list[Table2Row]) -> list[dict]:
    records = []
    for r in rows:
        mi, mi_std = _mean_std(r.mi)
        acc, _ = _mean_std(r.acc)
        bayes, _ = _mean_std(r.acc_bayes)
        records.append({
            "setting": "imbalanced" if r.imbalanced else "balanced",
            "d": r.dim,
            "estimator": r.estimator,
            "seeds": len(r.mi),
            "exact I": r.mi_true,
            "MC (ours)": _mean_std(r.mi_mc)[0],
            "estimate": mi,
            "estimate std": mi_std,
            "test SE": _mean_std(r.mi_se)[0],
            "abs. error": abs(mi - r.mi_true),
            "accuracy": acc,
            "Bayes rule": bayes,
            "paper MI": table2_value(TABLE2_MI, r.imbalanced, r.estimator, r.dim),
            "paper MC": table2_value(TABLE2_MI, r.imbalanced, "mc", r.dim),
            "paper accuracy": table2_value(TABLE2_ACCURACY, r.imbalanced, r.estimator, r.dim),
        })
    return records


def table2_markdown(records: list[dict]) -> str:
    lines = ["| " + " | ".join(TABLE2_COLUMNS) + " |", "|" + "---|" * len(TABLE2_COLUMNS)]
    for rec in records:
        lines.append("| " + " | ".join([
            rec["setting"], str(rec["d"]), rec["estimator"], str(rec["seeds"]), _fmt(rec["exact I"], 4),
            _fmt(rec["MC (ours)"], 4),
            f"{_fmt(rec['estimate'], 4)} ± {_fmt(rec['estimate std'], 4) if rec['seeds'] > 1 else '—'}",
            _fmt(rec["test SE"], 4),
            _fmt(rec["abs. error"], 4), _pct(rec["accuracy"]), _pct(rec["Bayes rule"]),
            _fmt(rec["paper MI"], 2), _fmt(rec["paper MC"], 2),
            _pct(rec["paper accuracy"]),
        ]) + " |")
    return "\n".join(lines)


def table1_markdown() -> str:
    """The paper's Table 1: the mixture's classes, means, train counts and priors."""
    lines = ["| y | μ | balanced: train / val / test | imbalanced: train / val / test | p(y) imbalanced |",
             "|---|---|---|---|---|"]
    balanced, imbalanced = gmm.split_counts(False), gmm.split_counts(True)
    prior = gmm.class_prior(True)
    for k, mu in enumerate(gmm.CLASS_MEANS):
        b = " / ".join(f"{balanced[s][k]:,}" for s in ("train", "val", "test"))
        i = " / ".join(f"{imbalanced[s][k]:,}" for s in ("train", "val", "test"))
        lines.append(f"| {k} | {mu:+g} | {b} | {i} | {prior[k]:.3f} |")
    return "\n".join(lines)


def failed_markdown(runs: list[Run]) -> str:
    failed = [r for r in runs if r.failed]
    if not failed:
        return "No failed jobs."
    return "Failed jobs:\n" + "\n".join(f"- `{r.folder}`: {r.error}" for r in failed)


# ----------------------------------------------------------------------------- output
def write_csv(path: Path, records: list[dict]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(records[0].keys()) if records else ["empty"])
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
    parser.add_argument("--readme", type=Path, default=None, help="README whose results block to replace")
    args = parser.parse_args(argv)
    if not args.runs_dir.is_dir():
        raise SystemExit(f"{args.runs_dir} is not a folder")
    out = args.out or args.runs_dir
    out.mkdir(parents=True, exist_ok=True)

    runs = find_runs(args.runs_dir)
    if not runs:
        raise SystemExit(f"no run folders (with .hydra/) under {args.runs_dir}")
    print("Table 1: the Gaussian mixture\n" + table1_markdown() + "\n")

    sections = []
    rows = table2_rows(runs)
    if rows:
        from infocam_lit.figures import plot_estimates_vs_dim, plot_test_sets_pca

        records = table2_records(rows)
        write_csv(out / "table.csv", records)
        plot_estimates_vs_dim(records, out / "mi_vs_dim.png")
        mi_runs = [run for run in runs if not run.failed and is_mi_run(run.config)]
        covered = sorted({(int(run.config["data"]["dim"]), bool(run.config["data"]["imbalanced"])) for run in mi_runs})
        plot_test_sets_pca(covered, min(int(run.config["data"]["seed"]) for run in mi_runs), out / "test_sets_pca.png")
        figure = out / "mi_vs_dim.png"
        link = os.path.relpath(figure, args.readme.parent if args.readme else out)
        sections.append("### Table 2: I(X;Y) estimates (nats, test split)\n\n" + table2_markdown(records)
                        + f"\n\n![estimates vs d]({link})")
    sections.append(failed_markdown(runs))
    markdown = "\n\n".join(sections)
    (out / "table.md").write_text(markdown + "\n")
    print(markdown)
    print(f"\nwritten: {out / 'table.md'}, {out / 'table.csv'}")
    if args.readme:
        replace_readme_block(args.readme, "table2", markdown)
        print(f"updated the results block of {args.readme}")


if __name__ == "__main__":
    main()

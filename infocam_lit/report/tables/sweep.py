"""Any sweep, whatever it varies: one row per configuration (its values of the keys that differ between the
configurations, and its number of seeds), and every key of the runs' metrics.json as mean ± std over seeds.

The metrics come in a second table, one row per metric and one column per configuration (numbered as in the
first): a run reports from six keys (the MI studies) to some two hundred (double-digit MNIST, WSOL), which a
column each would spread past reading. The CSV holds one row per configuration with every metric's mean and
std. Rendered for a sweep folder only: the results layout has a table of its own for each experiment."""

from __future__ import annotations

from pathlib import Path

from infocam_lit.report.configs import Configuration, configurations, override_value, swept_keys
from infocam_lit.report.runs import Run, markdown_table, mean_std, mean_std_cell
from infocam_lit.report.seeds import duplicates_markdown, one_run_per_seed


def _metric_names(runs: list[Run]) -> list[str]:
    return sorted({key for run in runs for key in run.metrics})


def _values(configuration: Configuration, metric: str) -> list[float]:
    return [run.metrics[metric] for run in configuration.runs if isinstance(run.metrics.get(metric), (int, float))]


def section(runs: list[Run], out: Path, link_from: Path) -> tuple[str, list[dict]] | None:
    finished, duplicates = one_run_per_seed([run for run in runs if not run.failed])
    if not finished:
        return None
    found = configurations(finished)
    swept = swept_keys(found)
    metrics = _metric_names(finished)
    settings = markdown_table(["#", *swept, "seeds"],
                              [[str(number), *(override_value(c.settings[key]) if key in c.settings else "—"
                                               for key in swept), str(len(c.runs))]
                               for number, c in enumerate(found, 1)])
    values = markdown_table(["metric", *(f"#{number}" for number in range(1, len(found) + 1))],
                            [[f"`{metric}`", *(mean_std_cell(_values(c, metric), 4) for c in found)]
                             for metric in metrics])
    markdown = "\n\n".join([
        "### Sweep: every configuration (mean ± std over seeds)",
        "Runs are one configuration when their configs agree on every key but the seed and bookkeeping "
        "(paths, loggers, devices, names; `infocam_lit/report/configs.py`). "
        + (f"The {len(found)} configurations differ in {', '.join(f'`{key}`' for key in swept)}." if swept
           else "These runs are one configuration: they differ in the seed only."),
        settings,
        "Every key of the runs' metrics.json, one column per configuration (# above):",
        values,
        *([duplicates_markdown(duplicates)] if duplicates else []),
    ])
    records = [{**{key: c.settings.get(key) for key in swept}, "seeds": len(c.runs),
                **{f"{metric} {name}": value for metric in metrics
                   for name, value in zip(("mean", "std"), mean_std(_values(c, metric)), strict=True)}}
               for c in found]
    return markdown, records

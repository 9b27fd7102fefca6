"""Every relative link and image of README.md and docs/*.md points at a file of the checkout, and a `#anchor`
into a markdown file names one of its headings, by GitHub's rules for heading anchors."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```.*?^```[^\n]*$", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(([^()\s]+)\)")


def prose(text: str) -> str:
    """The text without code blocks (whose `# comments` are no headings) and without inline code."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: formatting dropped, lower case, every character but letters, marks, digits,
    `-`, `_` and spaces removed, spaces turned into `-`."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = text.replace("`", "").replace("**", "").lower()
    kept = "".join(ch for ch in text if ch in "-_ " or unicodedata.category(ch)[0] in "LMN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings; a repeated heading gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", prose(page.read_text()), re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    return LINK.findall(INLINE_CODE.sub("", prose(page.read_text())))


def test_the_slug_follows_githubs_rules():
    assert slug("Weights & Biases") == "weights--biases"
    assert slug("Mutual information on a Gaussian mixture (`experiment=mi_gmm`)") == (
        "mutual-information-on-a-gaussian-mixture-experimentmi_gmm")
    assert slug("Region size: R × R (%, mean ± std)") == "region-size-r--r--mean--std"
    assert slug("Numbers beside wsolevaluation's") == "numbers-beside-wsolevaluations"
    assert slug("Imbalance study: MNIST at ρ = 1, 10") == "imbalance-study-mnist-at-ρ--1-10"


def test_repeated_headings_are_numbered(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# A\n\n```bash\n# not a heading\n```\n\n## Tiny, ADL no\n\n## Tiny, ADL no\n")
    assert anchors(page) == {"a", "tiny-adl-no", "tiny-adl-no-1"}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(page):
    found = links(page)
    assert found or page.name == "ARCHITECTURE.md"  # the pages link each other
    broken = []
    for target in found:
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with the anchor #{anchor} in {file.name}")
    assert broken == []


def test_the_front_door_links_the_reference_pages():
    readme_links = {target.partition("#")[0] for target in links(ROOT / "README.md")}
    assert {"docs/USAGE.md", "docs/RESULTS.md", "docs/SPEED.md", "docs/ARCHITECTURE.md"} <= readme_links
    assert len((ROOT / "README.md").read_text().splitlines()) <= 300

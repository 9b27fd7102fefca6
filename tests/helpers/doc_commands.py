"""The commands printed in README.md and docs/: read from their `bash` blocks, each with what it says it
needs (docs/USAGE.md, "Commands in these pages")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.helpers.paths import ROOT

DOC_FILES = ("README.md", "docs/USAGE.md", "docs/RESULTS.md", "docs/SPEED.md")
# what a command may need that the test suite lacks, said as `# needs: GPU, real data; what it does`
NEEDS = ("GPU", "bf16 CPU", "real data", "runs")
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
NEEDS_COMMENT = re.compile(r"^needs:\s*([^;]*)")


@dataclass(frozen=True)
class DocCommand:
    source: str  # "docs/USAGE.md:134": the file and the line the command starts on
    line: str  # the command as a shell reads it: continuation lines joined, the comment dropped
    comment: str  # the trailing comment, without its '#'
    needs: frozenset[str]

    @property
    def words(self) -> list[str]:
        return self.line.split()


def parse_comment(comment: str, source: str) -> frozenset[str]:
    """The needs a trailing comment names; a comment that starts with `needs:` and names anything else is an
    error, so a misspelt marker cannot pass for a comment."""
    match = NEEDS_COMMENT.match(comment)
    if match is None:
        return frozenset()
    needs = frozenset(part.strip() for part in match.group(1).split(","))
    unknown = needs - set(NEEDS)
    if unknown:
        raise ValueError(f"{source}: `needs:` names {sorted(unknown)}; known: {', '.join(NEEDS)}")
    return needs


def commands_of(text: str, name: str) -> list[DocCommand]:
    """Every command of the bash blocks of one markdown text, in order."""
    commands = []
    for block in BASH_BLOCK.finditer(text):
        first_line = text.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).split("\n")
        index = 0
        while index < len(lines):
            start, parts = index, [lines[index]]
            while parts[-1].endswith("\\") and index + 1 < len(lines):
                index += 1
                parts[-1] = parts[-1][:-1]
                parts.append(lines[index])
            index += 1
            joined = " ".join(part.strip() for part in parts).strip()
            if not joined or joined.startswith("#"):
                continue
            line, comment = split_comment(joined)
            source = f"{name}:{first_line + start}"
            commands.append(DocCommand(source, line, comment, parse_comment(comment, source)))
    return commands


def split_comment(line: str) -> tuple[str, str]:
    """The command and its trailing comment (no `#` stands inside a printed command)."""
    match = re.search(r"\s+#\s?", line)
    if match is None:
        return line, ""
    return line[:match.start()].strip(), line[match.end():].strip()


def doc_commands(files: tuple[str, ...] = DOC_FILES) -> list[DocCommand]:
    return [command for name in files for command in commands_of((ROOT / name).read_text(), name)]

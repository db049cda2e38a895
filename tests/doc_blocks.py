"""The fenced code blocks of the project's Markdown files, and how each one is checked.

tests/test_docs.py runs them; this module only reads the Markdown. A block is marked with an
HTML comment on the line just before its fence, e.g.
`<!-- doc-test: skip: starts its own server -->`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHELL = frozenset({"bash", "sh", "shell"})
PYTHON = frozenset({"python"})
CONSOLE = frozenset({"console"})  # `$ command` lines, each followed by the output it prints
TOML = frozenset({"toml"})  # a heliograph.toml example: loaded with load_settings
# Shown, not run: answers and bodies (json, http), ClickHouse server DDL (sql), plain text,
# Helm values (yaml: tests/test_deploy_files.py renders the chart with them).
SHOWN = frozenset({"json", "http", "sql", "text", "yaml"})
KNOWN = SHELL | PYTHON | CONSOLE | TOML | SHOWN

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+)(?P<info>.*)$")
MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(?P<directive>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: str  # relative to the repository, e.g. docs/gateway.md
    line: int  # of the opening fence, 1-based
    language: str  # the fence's info string's first word, "" when untagged
    code: str
    marker: str | None  # the doc-test directive before the fence, e.g. "skip: starts a server"

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def skip_reason(self) -> str | None:
        if self.marker is None or not self.marker.startswith("skip:"):
            return None
        return self.marker.removeprefix("skip:").strip()


def documents() -> list[Path]:
    """README.md, docs/*.md and the READMEs beside the code (the mock provider's)."""
    beside_code = sorted((ROOT / "src").rglob("*.md"))
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *beside_code]


def blocks_of(path: Path) -> list[Block]:
    """Every fenced block of one Markdown file, in order."""
    lines = path.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        start, indent, fence = index, len(opening["indent"]), opening["fence"]
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        index += 1  # past the closing fence
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        marked = MARKER.match(previous)
        found.append(
            Block(
                path=path.relative_to(ROOT).as_posix(),
                line=start + 1,
                language=(opening["info"].split() or [""])[0].lower(),
                code="\n".join(body) + "\n",
                marker=marked["directive"] if marked else None,
            )
        )
    return found


def all_blocks() -> list[Block]:
    return [block for path in documents() for block in blocks_of(path)]


@dataclass(frozen=True)
class Command:
    command: str
    expected: str  # the output shown under it


def console_commands(code: str) -> list[Command]:
    """The `$ command` lines of a console block (a trailing backslash continues one), each
    with the output shown below it up to the next command."""
    commands: list[Command] = []
    lines = code.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            raise ValueError(f"console block line {index + 1} is not a `$ ` command: {line!r}")
        command = [line[2:]]
        while command[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            command.append(lines[index])
        index += 1
        output: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            output.append(lines[index])
            index += 1
        commands.append(Command("\n".join(command), "\n".join(output).strip()))
    return commands


def shows(expected: str, output: str) -> bool:
    """Whether `output` is the output a console block shows: the same lines, trailing spaces
    aside, where `...` in a shown line stands for any text."""
    shown = expected.splitlines()
    printed = [line.rstrip() for line in output.strip().splitlines()]
    if len(shown) != len(printed):
        return False
    patterns = (".*".join(map(re.escape, line.rstrip().split("..."))) for line in shown)
    return all(re.fullmatch(pattern, line) for pattern, line in zip(patterns, printed, strict=True))

"""A renderer of the small subset of Helm's Go templates that deploy/helm/heliograph uses, so
that tests render the chart where `helm` is not installed.

It knows `{{ .Values.a.b }}`, `.Release.Name`, `.Chart.*`, `$variables`, the `-` trim
markers, `if`/`else`/`end` (with `not`, and `eq` of two values of one type), `range $key,
$value := MAP` (keys sorted, as Go does) and the functions quote, upper, toJson, sha256sum,
toYaml and nindent. Anything else is an error: a template that needs more than this is no
longer "plain value substitution", and the chart should stay that simple.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.DOTALL)


class TemplateError(ValueError):
    """The template uses what this renderer does not know."""


@dataclass
class _Node:
    kind: str  # "text", "expr", "if", "range"
    text: str = ""
    body: list[_Node] = field(default_factory=list)
    orelse: list[_Node] = field(default_factory=list)


def _tokens(source: str) -> list[tuple[str, str]]:
    """("text", ...) and ("action", ...) pieces, with the trim markers applied."""
    pieces: list[tuple[str, str]] = []
    position = 0
    trim_next = False
    for match in ACTION.finditer(source):
        text = source[position : match.start()]
        if trim_next:
            text = text.lstrip()
        if match[1]:
            text = text.rstrip()
        pieces.append(("text", text))
        action = match[2].strip()
        if not action.startswith("/*"):
            pieces.append(("action", action))
        trim_next = bool(match[3])
        position = match.end()
    tail = source[position:]
    pieces.append(("text", tail.lstrip() if trim_next else tail))
    return pieces


def _parse(
    tokens: list[tuple[str, str]], index: int, until: tuple[str, ...]
) -> tuple[list[_Node], int, str]:
    nodes: list[_Node] = []
    while index < len(tokens):
        kind, text = tokens[index]
        index += 1
        if kind == "text":
            nodes.append(_Node("text", text))
        elif text in until:
            return nodes, index, text
        elif text.startswith(("if ", "range ")):
            block = _Node(text.split()[0], text)
            block.body, index, ended = _parse(tokens, index, ("else", "end"))
            if ended == "else":
                block.orelse, index, _ = _parse(tokens, index, ("end",))
            nodes.append(block)
        elif text in ("else", "end") or text.split()[0] in ("with", "define", "template", "block"):
            raise TemplateError(f"unexpected {{{{ {text} }}}}")
        else:
            nodes.append(_Node("expr", text))
    if until:
        raise TemplateError(f"missing {{{{ end }}}} (expected one of {until})")
    return nodes, index, ""


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and value != {} and value != []


def _equal(first: Any, second: Any) -> bool:
    """Go's `eq` of two values: comparing values of different types is an error there."""
    if type(first) is not type(second):
        raise TemplateError(f"eq of {type(first).__name__} and {type(second).__name__}")
    return bool(first == second)


def _to_yaml(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True).rstrip("\n")


class _Scope:
    def __init__(self, root: Mapping[str, Any], variables: Mapping[str, Any]) -> None:
        self.root = root
        self.variables = dict(variables)

    def value(self, word: str) -> Any:
        if word.startswith("$"):
            if word not in self.variables:
                raise TemplateError(f"unknown variable {word}")
            return self.variables[word]
        if word.startswith("."):
            found: Any = self.root
            for part in word[1:].split("."):
                found = found.get(part) if isinstance(found, Mapping) else None
            return found
        if word.isdigit():
            return int(word)
        if word.startswith('"') and word.endswith('"'):
            return json.loads(word)
        raise TemplateError(f"unknown value {word!r}")

    def evaluate(self, pipeline: str) -> Any:
        stages = [shlex.split(stage, posix=False) for stage in pipeline.split("|")]
        first, *rest = stages
        result = self._call(first[0], [self.value(w) for w in first[1:]], None, first=True)
        for words in rest:
            result = self._call(words[0], [self.value(w) for w in words[1:]], result)
        return result

    def _call(self, name: str, args: list[Any], piped: Any, first: bool = False) -> Any:
        if first and (name.startswith((".", "$", '"')) or name.isdigit()):
            if args:
                raise TemplateError(f"{name} takes no arguments")
            return self.value(name)
        args = args if first else [*args, piped]
        functions = {
            "quote": lambda v: "" if v is None else json.dumps(str(v)),
            "upper": lambda v: str(v).upper(),
            "not": lambda v: not _truthy(v),
            "eq": _equal,
            "toJson": lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")),
            "sha256sum": lambda v: hashlib.sha256(str(v).encode()).hexdigest(),
            "toYaml": _to_yaml,
            "nindent": lambda n, v: "\n" + "\n".join(" " * n + line for line in v.split("\n")),
        }
        if name not in functions:
            raise TemplateError(f"unknown function {name!r}")
        return functions[name](*args)


def _render(nodes: list[_Node], scope: _Scope) -> str:
    out: list[str] = []
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        elif node.kind == "expr":
            value = scope.evaluate(node.text)
            out.append(
                ""
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        elif node.kind == "if":
            branch = node.body if _truthy(scope.evaluate(node.text[3:])) else node.orelse
            out.append(_render(branch, scope))
        else:
            match = re.fullmatch(r"range\s+(\$\w+)\s*,\s*(\$\w+)\s*:=\s*(.+)", node.text)
            if match is None:
                raise TemplateError(f"only `range $key, $value := MAP` is known: {node.text}")
            mapping = scope.evaluate(match[3]) or {}
            for key in sorted(mapping):
                inner = _Scope(
                    scope.root, {**scope.variables, match[1]: key, match[2]: mapping[key]}
                )
                out.append(_render(node.body, inner))
    return "".join(out)


def render_template(source: str, context: Mapping[str, Any]) -> str:
    nodes, _, _ = _parse(_tokens(source), 0, ())
    return _render(nodes, _Scope(context, {}))


def chart_context(
    chart: Path, release: str, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What a template sees: .Values (values.yaml merged with `overrides`), .Release, .Chart."""
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    values = _merged(yaml.safe_load((chart / "values.yaml").read_text()), overrides or {})
    return {
        "Values": values,
        "Release": {"Name": release, "Namespace": "default", "Service": "Helm"},
        "Chart": {
            "Name": meta["name"],
            "Version": meta["version"],
            "AppVersion": meta["appVersion"],
        },
    }


def _merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def render_chart(
    chart: Path, release: str = "heliograph", overrides: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Every template of the chart rendered, by file name (as `helm template` would)."""
    context = chart_context(chart, release, overrides)
    return {
        path.name: render_template(path.read_text(), context)
        for path in sorted((chart / "templates").iterdir())
        if not path.name.startswith("_")
    }

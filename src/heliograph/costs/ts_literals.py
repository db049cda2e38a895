"""Reading the object literals of a TypeScript module, as Helicone's model registry writes them.

The registry's `endpoints.ts` and `model.ts` files are data written as code: `export const
endpoints = { "claude-4.5-sonnet:anthropic": { ... } } satisfies ...;`. This reads such
literals (strings, numbers with `_` separators, booleans, nested objects and arrays, comments,
trailing commas, `as const`) into Python values. A name where a value should be, or a spread
(`...base`), takes the value of the module's own constant of that name defined above it;
any other name (an import, a function call) becomes a `Reference` for the caller to skip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from heliograph.errors import HeliographError

_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_NUMBER = re.compile(r"-?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*")
_CONST = re.compile(r"(?:^|\n)\s*(?:export\s+)?const\s+([A-Za-z_$][\w$]*)\s*(?::[^=\n]+)?=\s*")
_KEYWORDS = {"true": True, "false": False, "null": None, "undefined": None}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


class TsSyntaxError(HeliographError, ValueError):
    """A construct this reader does not understand, with its line number."""


@dataclass(frozen=True, slots=True)
class Reference:
    """A value written as a name (`SOME_PRICING`, `foo.bar()`), not as a literal."""

    name: str


def module_constants(source: str, errors: list[str] | None = None) -> dict[str, Any]:
    """Every top-level `const NAME = <literal>` of a module, in order. A constant whose value
    is code rather than a literal is left out; one that starts as an object or array literal
    but cannot be read is also reported in `errors`."""
    found: dict[str, Any] = {}
    for match in _CONST.finditer(source):
        try:
            value, _ = _Reader(source, found).bare_value(match.end())
        except TsSyntaxError as exc:
            if errors is not None and source[match.end() : match.end() + 1] in "{[":
                errors.append(f"{match.group(1)}: {exc}")
            continue
        if not isinstance(value, Reference):
            found[match.group(1)] = value
    return found


class _Reader:
    def __init__(self, text: str, constants: dict[str, Any]) -> None:
        self.text = text
        self.constants = constants

    def fail(self, pos: int, what: str) -> TsSyntaxError:
        line = self.text.count("\n", 0, pos) + 1
        return TsSyntaxError(f"line {line}: {what} ({self.text[pos : pos + 30]!r})")

    def skip(self, pos: int) -> int:
        end = _SPACE.match(self.text, pos)
        return end.end() if end else pos

    def value(self, pos: int) -> tuple[Any, int]:
        found, pos = self.bare_value(pos)
        return found, self.after_value(pos)

    def bare_value(self, pos: int) -> tuple[Any, int]:
        pos = self.skip(pos)
        found: Any
        char = self.text[pos : pos + 1]
        if char == "{":
            found, pos = self.obj(pos + 1)
        elif char == "[":
            found, pos = self.array(pos + 1)
        elif char in "\"'`":
            found, pos = self.string(pos)
        elif number := _NUMBER.match(self.text, pos):
            text = number.group().replace("_", "")
            found = float(text) if any(c in text for c in ".eE") else int(text)
            pos = number.end()
        elif name := _NAME.match(self.text, pos):
            word, pos = re.sub(r"\s+", "", name.group()), name.end()
            if word in _KEYWORDS:
                found = _KEYWORDS[word]
            else:  # the module's own constant when it defines one above, else unknown here
                found = self.constants.get(word, Reference(word))
            if self.text[self.skip(pos) : self.skip(pos) + 1] == "(":
                pos = self.balanced(self.skip(pos))  # a call: its value is unknown here
        else:
            raise self.fail(pos, "expected a value")
        return found, pos

    def after_value(self, pos: int) -> int:
        """Past `as Type` / `satisfies Type` following a value, up to `,` `}` `]` or `;`."""
        pos = self.skip(pos)
        if re.match(r"(?:as|satisfies)\b", self.text[pos:]):
            while pos < len(self.text) and self.text[pos] not in ",}];":
                pos = self.balanced(pos) if self.text[pos] in "([{<" else pos + 1
        return self.skip(pos)

    def balanced(self, pos: int) -> int:
        """Past the bracketed span opening at `pos` (strings inside are skipped whole)."""
        opener = self.text[pos]
        closer = _CLOSERS.get(opener, ">")
        depth, pos = 0, pos
        while pos < len(self.text):
            char = self.text[pos]
            if char in "\"'`":
                _, pos = self.string(pos, strict=False)
                continue
            depth += (char == opener) - (char == closer)
            pos += 1
            if depth == 0:
                return pos
        raise self.fail(pos, f"unclosed {opener!r}")

    def string(self, pos: int, strict: bool = True) -> tuple[str, int]:
        """The string literal at `pos`; `strict`: refuse a template with a substitution."""
        quote, pos = self.text[pos], pos + 1
        out: list[str] = []
        while pos < len(self.text):
            char = self.text[pos]
            if char == quote:
                return "".join(out), pos + 1
            if char == "\\":
                out.append(self.text[pos + 1 : pos + 2])
                pos += 2
                continue
            if strict and quote == "`" and self.text.startswith("${", pos):
                raise self.fail(pos, "template literal with a substitution")
            out.append(char)
            pos += 1
        raise self.fail(pos, "unclosed string")

    def obj(self, pos: int) -> tuple[dict[str, Any], int]:
        found: dict[str, Any] = {}
        while True:
            pos = self.skip(pos)
            if self.text.startswith("}", pos):
                return found, pos + 1
            if self.text.startswith("...", pos):
                spread, pos = self.value(pos + 3)
                base = self.constants.get(spread.name) if isinstance(spread, Reference) else spread
                if isinstance(base, dict):
                    found.update(base)
            else:
                key, pos = self.key(pos)
                pos = self.skip(pos)
                if self.text.startswith(":", pos):
                    found[key], pos = self.value(pos + 1)
                else:  # shorthand `{ name }`
                    found[key] = Reference(key)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos += 1
            elif not self.text.startswith("}", pos):
                raise self.fail(pos, "expected ',' or '}' in an object")

    def key(self, pos: int) -> tuple[str, int]:
        char = self.text[pos : pos + 1]
        if char in "\"'`":
            return self.string(pos)
        match = re.compile(r"[\w$]+").match(self.text, pos)
        if match is None:
            raise self.fail(pos, "expected a property name")
        return match.group(), match.end()

    def array(self, pos: int) -> tuple[list[Any], int]:
        found: list[Any] = []
        while True:
            pos = self.skip(pos)
            if self.text.startswith("]", pos):
                return found, pos + 1
            item, pos = self.value(pos)
            found.append(item)
            if self.text.startswith(",", pos):
                pos += 1
            elif not self.text.startswith("]", pos):
                raise self.fail(pos, "expected ',' or ']' in an array")

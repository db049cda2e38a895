"""A prompt's templates: `{{hc:name:type}}` variables and `{{hcp:prompt_id:index:environment}}`
partials, as Helicone's prompt packages write them.

Substitution is bounded: each replacement is charged to a byte budget (the assembled request
may not grow past the gateway's body limit), so a short input used many times cannot build an
unbounded string on the event loop.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from heliograph.errors import InvalidRequestError

VARIABLE = re.compile(
    r"\{\{\s*hc\s*:\s*([a-zA-Z_-][a-zA-Z0-9_-]*)\s*:\s*([a-zA-Z_-][a-zA-Z0-9_-]*)\s*\}\}"
)
# Helicone's ids are 6 letters and digits; any id and environment name of ours is matched.
PARTIAL = re.compile(
    r"\{\{\s*hcp\s*:\s*([A-Za-z0-9_-]{1,64})\s*:\s*(\d{1,6})"
    r"\s*(?::\s*([A-Za-z0-9][A-Za-z0-9_.-]{0,63}))?\s*\}\}"
)
BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no"})


class PromptError(InvalidRequestError):
    """A prompt that cannot be assembled: unknown, or its inputs missing or mistyped."""

    code: str | None = "invalid_prompt"  # Helicone's error type for these


class AssembledTooLarge(PromptError):
    status = 413


@dataclass(frozen=True, slots=True)
class Partial:
    """A `{{hcp:...}}` tag: message `index` of the version `environment` serves."""

    prompt_id: str
    index: int
    environment: str | None


def partial_of(match: re.Match[str]) -> Partial:
    return Partial(match.group(1), int(match.group(2)), match.group(3))


def _fits(value: Any, kind: str) -> bool:
    """Helicone's type check: numbers and booleans may come as their text."""
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return math.isfinite(value)
        try:
            return isinstance(value, str) and math.isfinite(float(value.strip()))
        except ValueError:
            return False
    if kind == "boolean":
        return isinstance(value, bool) or (
            isinstance(value, str) and value.lower() in BOOLEAN_WORDS
        )
    return True  # string, and any type Helicone does not check


def render(value: Any) -> str:
    """An input as text, as JavaScript's String() writes scalars; objects and arrays as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return orjson.dumps(value).decode()


class Substitution:
    """Fills variables from `inputs`, collecting every missing or mistyped one (each named
    once) instead of stopping at the first; charges what it adds to `budget` bytes."""

    def __init__(self, inputs: dict[str, Any], budget: int) -> None:
        self.inputs = inputs
        self.problems: dict[str, str] = {}
        self._left = budget
        self._budget = budget

    def charge(self, added: int) -> None:
        self._left -= added
        if self._left < 0:
            raise AssembledTooLarge(
                f"The assembled prompt would be larger than {self._budget} bytes, the "
                "gateway's body limit"
            )

    def value(self, name: str, kind: str) -> Any:
        """The input for a variable, or None (a problem recorded) when it cannot be used."""
        value = self.inputs.get(name)
        if value is None:
            self.problems.setdefault(name, f"Variable '{name}' ({kind}) is missing from inputs")
            return None
        if not _fits(value, kind):
            self.problems.setdefault(name, f"Variable '{name}' is '{kind}' but got {value!r}")
            return None
        return value

    def text(self, template: str) -> str:
        if "{{" not in template:  # most strings hold no variable
            return template
        return VARIABLE.sub(self._replace, template)

    def _replace(self, match: re.Match[str]) -> str:
        value = self.value(match.group(1), match.group(2))
        if value is None:
            return match.group(0)
        text = render(value)
        self.charge(len(text) - len(match.group(0)))
        return text

    def json(self, value: Any) -> Any:
        """A JSON value with its variables filled: a string that is one variable becomes the
        input itself (a number stays a number); an object key must be filled with text."""
        if isinstance(value, str):
            whole = VARIABLE.fullmatch(value)
            if whole is not None:
                found = self.value(whole.group(1), whole.group(2))
                if found is not None:
                    self.charge(len(orjson.dumps(found)))
                return value if found is None else found
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {self._key(key): self.json(item) for key, item in value.items()}
        return value

    def _key(self, key: str) -> str:
        whole = VARIABLE.fullmatch(key)
        if whole is None:
            return self.text(key)
        name = whole.group(1)
        value = self.value(name, whole.group(2))
        if value is not None and not isinstance(value, str):
            self.problems.setdefault(name, f"Variable '{name}' names a key: 'string' expected")
            return key
        return key if value is None else value


def replace_partials(
    template: str, texts: Callable[[Partial], str], charge: Callable[[int], None]
) -> str:
    """The template with each partial tag replaced by its message's text (not scanned again
    for partials: one level, as Helicone resolves them)."""
    if "hcp" not in template:
        return template

    def replace(match: re.Match[str]) -> str:
        text = texts(partial_of(match))
        charge(len(text) - len(match.group(0)))
        return text

    return PARTIAL.sub(replace, template)

"""A legacy template filled in, as Helicone's `autoFillInputs` does for its compile endpoint:
`<helicone-prompt-input key="k" />` becomes the input `k` (an empty string when it is not
given, as in Helicone), a string that is `<helicone-auto-prompt-input idx=N />` becomes the
auto input N (a message the call sent), or is left out of its array when there is none.

What filling adds is charged to a byte budget: a template can name one long input many times.
"""

from __future__ import annotations

import re
from typing import Any

from heliograph.prompts.rules import BodyTooLarge

INPUT_TAG = re.compile(r'<helicone-prompt-input\s*key="([^"]*)"\s*/>')
AUTO_INPUT_TAG = re.compile(r"\s*<helicone-auto-prompt-input\s*idx=(\d{1,9})\s*/>\s*")
MAX_FILLED_BYTES = 10 * 1024 * 1024
_LEFT_OUT = object()


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def charge(self, text: str) -> str:
        self.left -= len(text)
        if self.left < 0:
            raise BodyTooLarge(
                f"The compiled prompt would be more than {MAX_FILLED_BYTES} characters"
            )
        return text


def fill(
    template: Any, inputs: dict[str, str], auto_inputs: list[Any], limit: int = MAX_FILLED_BYTES
) -> Any:
    """The template with its inputs and auto inputs in place; BodyTooLarge (413) past `limit`."""
    budget = _Budget(limit)

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            auto = AUTO_INPUT_TAG.fullmatch(value)
            if auto is not None:
                index = int(auto.group(1))
                return auto_inputs[index] if index < len(auto_inputs) else _LEFT_OUT
            return INPUT_TAG.sub(lambda tag: budget.charge(inputs.get(tag.group(1), "")), value)
        if isinstance(value, list):
            return [item for item in map(walk, value) if item is not _LEFT_OUT]
        if isinstance(value, dict):
            filled = {key: walk(item) for key, item in value.items()}
            return {key: item for key, item in filled.items() if item is not _LEFT_OUT}
        return value

    return walk(template)

"""Query parameters collected while SQL is built, each handed out as a typed placeholder."""

from __future__ import annotations

from typing import Any


class Params:
    """Collects query parameters and hands out their typed placeholders."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any, ch_type: str) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"{{{name}:{ch_type}}}"

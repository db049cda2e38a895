"""An evaluator's definition (Helicone's `CreateEvaluatorParams`): validation and score name.

`scoring_type` is Helicone's: `LLM-BOOLEAN`, `LLM-CHOICE` or `LLM-RANGE` for an LLM-as-judge
evaluator (with `llm_template`, an OpenAI chat completion body), `PYTHON` for code (with
`code_template`). The score an evaluator writes is named as Helicone's dashboard names it:
the name in lower case, runs of other characters as `_`, and `-hcone-bool` for LLM-BOOLEAN.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from heliograph.errors import InvalidRequestError

LLM_TYPES = ("LLM-BOOLEAN", "LLM-CHOICE", "LLM-RANGE")
PYTHON = "PYTHON"
SCORING_TYPES = (*LLM_TYPES, PYTHON)
# Helicone's test endpoint takes the dashboard's short names too.
SHORT_TYPES = {"boolean": "LLM-BOOLEAN", "choice": "LLM-CHOICE", "range": "LLM-RANGE"}
MAX_NAME_CHARS = 255
MAX_TEMPLATE_BYTES = 64 * 1024
MAX_CODE_BYTES = 64 * 1024
BOOLEAN_SUFFIX = "-hcone-bool"


@dataclass(frozen=True, slots=True)
class EvaluatorInfo:
    id: str
    organization_id: str
    name: str
    scoring_type: str
    llm_template: Any  # the parsed chat body, or None
    code_template: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def score_name(self) -> str:
        return score_name(self.name, self.scoring_type)


@dataclass(frozen=True, slots=True)
class Definition:
    """What a caller may set: every field validated."""

    name: str
    scoring_type: str
    llm_template: Any
    code_template: str | None


def template_text(template: Any) -> str:
    """A template as stored and sent: the standard library's JSON, which, unlike orjson,
    writes integers past 64 bits (JSON allows them, a template may hold one)."""
    return json.dumps(template, ensure_ascii=False, allow_nan=False)


def score_name(name: str, scoring_type: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower().replace(" ", "_", 1))
    return base + (BOOLEAN_SUFFIX if scoring_type == "LLM-BOOLEAN" else "")


def scoring_type_of(field: str, value: Any) -> str:
    if isinstance(value, str):
        chosen = SHORT_TYPES.get(value, value.upper() if value.lower() == "python" else value)
        if chosen in SCORING_TYPES:
            return chosen
    raise InvalidRequestError(f"{field}: must be one of {', '.join(SCORING_TYPES)}, not {value!r}")


def _check_text(field: str, text: str) -> None:
    """NUL cannot be stored in PostgreSQL text, lone surrogates (JSON escapes) anywhere."""
    if "\x00" in text:
        raise InvalidRequestError(f"{field}: must not hold NUL characters")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise InvalidRequestError(f"{field}: not valid Unicode text") from None


def name_of(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError("name: required, a non-empty string")
    _check_text("name", value)
    if len(value) > MAX_NAME_CHARS:
        raise InvalidRequestError(f"name: at most {MAX_NAME_CHARS} characters")
    if not re.search("[A-Za-z0-9]", value):
        raise InvalidRequestError("name: must hold a letter or a digit (it names the score)")
    return value


def template_of(field: str, value: Any) -> dict[str, Any]:
    """A chat completion body, sent as an object or as its JSON text (Helicone's dashboard)."""
    if isinstance(value, str):
        if len(value.encode()) > MAX_TEMPLATE_BYTES:
            raise InvalidRequestError(f"{field}: at most {MAX_TEMPLATE_BYTES} bytes")
        try:
            value = json.loads(value)
        except ValueError:  # JSONDecodeError, or a number too long to convert
            raise InvalidRequestError(f"{field}: not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidRequestError(f"{field}: must be a chat completion body (a JSON object)")
    text = template_text(value)
    _check_text(field, text)
    if len(text.encode()) > MAX_TEMPLATE_BYTES:
        raise InvalidRequestError(f"{field}: at most {MAX_TEMPLATE_BYTES} bytes")
    if not isinstance(value.get("model"), str) or not isinstance(value.get("messages"), list):
        raise InvalidRequestError(f"{field}: needs a model and a messages array")
    return value


def code_of(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{field}: required for a PYTHON evaluator, its code")
    if len(value.encode()) > MAX_CODE_BYTES:
        raise InvalidRequestError(f"{field}: at most {MAX_CODE_BYTES} bytes")
    _check_text(field, value)
    return value


def definition_of(body: dict[str, Any], current: EvaluatorInfo | None = None) -> Definition:
    """A create body, or an update body over `current` (fields left out are kept)."""
    if current is not None:  # null, as left out, keeps the current value
        body = {key: value for key, value in body.items() if value is not None}
    name = name_of(body.get("name")) if current is None or "name" in body else current.name
    if current is None or "scoring_type" in body:
        scoring = scoring_type_of("scoring_type", body.get("scoring_type"))
    else:
        scoring = current.scoring_type
    if scoring == PYTHON:
        code = body.get("code_template", None if current is None else current.code_template)
        return Definition(name, scoring, None, code_of("code_template", code))
    template = body.get("llm_template", None if current is None else current.llm_template)
    if template is None:
        raise InvalidRequestError(f"llm_template: required for an {scoring} evaluator")
    return Definition(name, scoring, template_of("llm_template", template), None)

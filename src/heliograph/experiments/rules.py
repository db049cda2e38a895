"""The bounds of experiments, the messages their endpoints answer with, and the input keys
of a prompt body.

Everything a caller controls has a limit: experiments per organization, versions and rows
per experiment, rows per call, the size of a row's inputs, a run's concurrency.
"""

from __future__ import annotations

from typing import Any

import orjson

from heliograph.errors import InvalidRequestError
from heliograph.prompts.templates import VARIABLE

MAX_EXPERIMENTS = 1_000  # per organization
MAX_VARIANTS = 10  # prompt versions one experiment compares
MAX_ROWS = 5_000  # per experiment
MAX_ROWS_PER_CALL = 1_000
MAX_OUTPUTS_PER_CELL = 20  # outputs of one version on one row (runs and run-hypothesis)
MAX_INPUTS = 100  # keys of one row's inputs
MAX_INPUTS_BYTES = 64 * 1024  # one row's inputs, as JSON
MAX_CONCURRENCY = 32  # calls of one run at once
DEFAULT_CONCURRENCY = 4
MAX_NAME_CHARS = 255

EXPERIMENT_NOT_FOUND = "Experiment not found"
ROW_NOT_FOUND = "Experiment row not found"
VARIANT_NOT_FOUND = "Prompt version is not part of this experiment"
IDLE, RUNNING = "idle", "running"
PENDING, DONE, FAILED = "pending", "done", "failed"
# The property every experiment call carries: its rows can be found, summed and filtered.
EXPERIMENT_PROPERTY = "Helicone-Experiment-Id"


def input_keys(body: Any) -> list[str]:
    """The `{{hc:name:type}}` variables a prompt body uses, in order of appearance."""
    text = orjson.dumps(body).decode() if not isinstance(body, str) else body
    return list(dict.fromkeys(match.group(1) for match in VARIABLE.finditer(text)))


def checked_inputs(inputs: Any, where: str = "inputs") -> dict[str, Any]:
    """A row's inputs: an object of at most MAX_INPUTS keys and MAX_INPUTS_BYTES as JSON."""
    if not isinstance(inputs, dict):
        raise InvalidRequestError(f"Invalid request: {where} must be an object")
    if len(inputs) > MAX_INPUTS:
        raise InvalidRequestError(f"Invalid request: {where} holds more than {MAX_INPUTS} keys")
    try:
        size = len(orjson.dumps(inputs))
    except TypeError:  # an integer past 64 bits: counted as text
        size = len(str(inputs))
    if size > MAX_INPUTS_BYTES:
        raise InvalidRequestError(
            f"Invalid request: {where} is over {MAX_INPUTS_BYTES // 1024} KiB as JSON"
        )
    return inputs


def row_inputs(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The inputs of a dataset row: an experiment dataset's row keeps them under "inputs"
    (with the version they were for); a curated request's row holds them as they were."""
    if not stored:
        return {}
    if isinstance(stored.get("inputs"), dict) and "promptVersionId" in stored:
        return dict(stored["inputs"])
    return dict(stored)

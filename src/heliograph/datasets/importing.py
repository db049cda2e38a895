"""Imports: rows from OpenAI fine-tuning JSONL, or from CSV as the CSV export writes it.

A JSONL line is `{"messages": [...]}` (the last message, the assistant's, becomes the
response) or a row of the JSON export (`request_body`, `response_body`). A CSV needs the
export's `user_message` and `assistant_response` columns; `model` is kept when present.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson

from heliograph.datasets.copies import RowCopy, body_text, clean_model
from heliograph.datasets.rules import MAX_ROWS
from heliograph.errors import InvalidRequestError


def _completion(message: dict[str, Any], model: str) -> dict[str, Any]:
    return {
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }


def _copy(request: Any, response: Any, model: str, where: str) -> RowCopy:
    return RowCopy(
        origin_request_id=None,
        model=clean_model(model),
        request_body=body_text(request, f"The request of {where}"),
        response_body=body_text(response, f"The response of {where}"),
    )


def _from_line(item: Any, where: str) -> RowCopy:
    if not isinstance(item, dict):
        raise InvalidRequestError(f"{where} is not a JSON object")
    model = item.get("model") if isinstance(item.get("model"), str) else ""
    if "request_body" in item and "response_body" in item:
        return _copy(item["request_body"], item["response_body"], str(model), where)
    messages = item.get("messages")
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        raise InvalidRequestError(f"{where} has no messages (nor request_body and response_body)")
    if messages[-1].get("role") != "assistant":
        raise InvalidRequestError(f"{where}'s last message is not the assistant's")
    request: dict[str, Any] = {"model": model, "messages": messages[:-1]}
    if isinstance(item.get("tools"), list):
        request["tools"] = item["tools"]
    return _copy(request, _completion(messages[-1], str(model)), str(model), where)


def from_jsonl(text: str) -> list[RowCopy]:
    copies: list[RowCopy] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise InvalidRequestError(f"Line {number} is not JSON") from None
        copies.append(_from_line(item, f"line {number}"))
        if len(copies) > MAX_ROWS:
            raise InvalidRequestError(f"A dataset holds at most {MAX_ROWS} rows")
    return copies


def from_csv(text: str) -> list[RowCopy]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    if "user_message" not in columns or "assistant_response" not in columns:
        raise InvalidRequestError("The CSV needs user_message and assistant_response columns")
    copies: list[RowCopy] = []
    try:
        for number, record in enumerate(reader, start=2):
            model = record.get("model") or ""
            messages = [
                {"role": "user", "content": record.get("user_message") or ""},
                {"role": "assistant", "content": record.get("assistant_response") or ""},
            ]
            copies.append(_from_line({"model": model, "messages": messages}, f"row {number}"))
            if len(copies) > MAX_ROWS:
                raise InvalidRequestError(f"A dataset holds at most {MAX_ROWS} rows")
    except csv.Error as exc:
        raise InvalidRequestError(f"Not a CSV file: {exc}") from None
    return copies


IMPORTERS = {"jsonl": from_jsonl, "csv": from_csv}

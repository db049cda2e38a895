"""Exports of a dataset, streamed: OpenAI fine-tuning JSONL, CSV and JSON.

Rows are read EXPORT_PAGE_ROWS at a time (keyset paging on a worker thread) and written as
they are read, so a 100,000-row export holds one page in memory, never the dataset.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

from heliograph.datasets.copies import json_bytes, parsed_body
from heliograph.datasets.messages import answer_text, fine_tuning_example, last_user_text
from heliograph.datasets.rows import RowStore, StoredRow
from heliograph.datasets.rules import EXPORT_PAGE_ROWS, js_iso

CSV_COLUMNS = (
    "request_id",
    "created_at",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "user_message",
    "assistant_response",
)
MEDIA_TYPES = {"jsonl": "application/jsonl", "csv": "text/csv", "json": "application/json"}


def row_answer(row: StoredRow) -> dict[str, Any]:
    """A row as the API shows it (the /query answer and the JSON export)."""
    copy = row.copy
    return {
        "id": row.id,
        "dataset_id": row.dataset_id,
        "origin_request_id": copy.origin_request_id,
        "created_at": js_iso(row.created_at),
        "updated_at": js_iso(row.updated_at),
        "model": copy.model,
        "request_body": parsed_body(copy.request_body),
        "response_body": parsed_body(copy.response_body),
        "prompt_tokens": copy.prompt_tokens,
        "completion_tokens": copy.completion_tokens,
        "cost": copy.cost,
        "request_created_at": js_iso(copy.request_created_at),
        "inputs": copy.inputs,
    }


def _jsonl(rows: list[StoredRow], first: bool) -> bytes:
    lines = []
    for row in rows:
        example = fine_tuning_example(
            parsed_body(row.copy.request_body), parsed_body(row.copy.response_body)
        )
        if example is not None:
            lines.append(json_bytes(example) + b"\n")
    return b"".join(lines)


def _csv(rows: list[StoredRow], first: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if first:
        writer.writerow(CSV_COLUMNS)
    for row in rows:
        copy = row.copy
        request, response = parsed_body(copy.request_body), parsed_body(copy.response_body)
        created = copy.request_created_at or row.created_at
        writer.writerow(
            (
                copy.origin_request_id or row.id,
                js_iso(created),
                copy.model,
                "" if copy.prompt_tokens is None else copy.prompt_tokens,
                "" if copy.completion_tokens is None else copy.completion_tokens,
                "" if copy.cost is None else copy.cost,
                last_user_text(request),
                answer_text(response),
            )
        )
    return out.getvalue().encode()


def _json(rows: list[StoredRow], first: bool) -> bytes:
    parts = [json_bytes(row_answer(row)) for row in rows]
    return (b"" if first else b",") + b",".join(parts) if parts else b""


WRITERS: dict[str, Callable[[list[StoredRow], bool], bytes]] = {
    "jsonl": _jsonl,
    "csv": _csv,
    "json": _json,
}


async def _pages(store: RowStore, org: str, dataset_id: str) -> AsyncIterator[list[StoredRow]]:
    after: StoredRow | None = None
    while True:
        page = await asyncio.to_thread(store.page_after, org, dataset_id, after, EXPORT_PAGE_ROWS)
        if not page:
            return
        yield page
        after = page[-1]


async def export_chunks(
    store: RowStore, org: str, dataset_id: str, fmt: str
) -> AsyncIterator[bytes]:
    """The export, a page of rows per chunk (the caller checked the dataset is the org's)."""
    write = WRITERS[fmt]
    first = True
    if fmt == "json":
        yield b"["
    async for page in _pages(store, org, dataset_id):
        chunk = write(page, first)
        first = first and not chunk
        if chunk:
            yield chunk
    if fmt == "csv" and first:
        yield write([], True)  # the header alone: an empty dataset
    if fmt == "json":
        yield b"]"


def export_name(name: str, fmt: str) -> str:
    """A file name for Content-Disposition, from the dataset's name (ASCII letters only)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name)
    return f"{safe.strip('-') or 'dataset'}.{fmt}"

"""Datasets as the API uses them: the two stores, and the steps that span the metadata
database and the log store (creating a dataset with its first requests, editing a row)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heliograph.datasets.copies import RowCopy, body_text
from heliograph.datasets.curation import add_matching, add_requests, logged_copies
from heliograph.datasets.rows import RowStore
from heliograph.datasets.rules import DATASET_NOT_FOUND, ROW_NOT_FOUND
from heliograph.datasets.store import DatasetInfo, DatasetStore, NewDataset
from heliograph.errors import NotFoundError
from heliograph.store.engine import ClickHouseEngine


@dataclass(frozen=True)
class InputRecord:
    """What an experiment row is made from (Helicone's prompt input record)."""

    prompt_version_id: str
    inputs: dict[str, str]
    source_request: str | None


class Datasets:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.store = DatasetStore(sessions)
        self.rows = RowStore(sessions)

    async def owned(self, org: str, dataset_id: str) -> DatasetInfo:
        """The organization's dataset, or NotFoundError (another organization's too)."""
        info = await asyncio.to_thread(self.store.get, org, dataset_id)
        if info is None:
            raise NotFoundError(DATASET_NOT_FOUND)
        return info

    async def create(
        self,
        engine: ClickHouseEngine,
        org: str,
        new: NewDataset,
        request_ids: list[str],
        filter_node: Any = None,
        limit: int = 0,
        offset: int = 0,
    ) -> str:
        """A new dataset holding copies of the requests (and of those the filter matches);
        nothing is kept when a request cannot be copied."""
        dataset_id = await asyncio.to_thread(self.store.create, org, new)
        try:
            await add_requests(engine, self.rows, org, dataset_id, request_ids)
            if filter_node is not None:
                await add_matching(engine, self.rows, org, dataset_id, filter_node, limit, offset)
        except BaseException:
            await asyncio.to_thread(self.store.delete, org, dataset_id)
            raise
        return dataset_id

    async def edit_row(
        self, org: str, dataset_id: str, row_id: str, request_body: Any, response_body: Any
    ) -> None:
        """Replace the row's copies of the bodies given (not None)."""
        changes: dict[str, str] = {}
        if request_body is not None:
            changes["request_body"] = body_text(request_body, "requestBody")
        if response_body is not None:
            changes["response_body"] = body_text(response_body, "responseBody")
        await self.owned(org, dataset_id)
        if not changes:
            return
        if not await asyncio.to_thread(self.rows.edit, org, dataset_id, row_id, changes):
            raise NotFoundError(ROW_NOT_FOUND)

    async def add_input_row(
        self,
        engine: ClickHouseEngine,
        org: str,
        dataset_id: str,
        record: InputRecord,
    ) -> str:
        """An experiment row: inputs for a prompt version, with a copy of the request they
        came from when one is named (else empty bodies). The new row's id."""
        await self.owned(org, dataset_id)
        stored = {
            "inputs": record.inputs,
            "promptVersionId": record.prompt_version_id,
            "sourceRequest": record.source_request,
        }
        if record.source_request is not None:
            (logged,) = await logged_copies(engine, org, [record.source_request.lower()])
            # Not a curated copy of the request (which the dataset may hold as well): a row
            # of inputs that keeps the request's bodies.
            copy = replace(logged, origin_request_id=None, inputs=stored)
        else:
            copy = RowCopy(None, "", "{}", "{}", inputs=stored)
        (row_id,) = await asyncio.to_thread(self.rows.add, org, dataset_id, [copy])
        return row_id

"""A dataset's rows in the metadata database: add copies, page through, edit, remove.

Adding locks the dataset's row (an UPDATE of `updated_at`) for the transaction, so that
concurrent adds cannot take a dataset past MAX_ROWS or add one request twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from heliograph.datasets.copies import RowCopy
from heliograph.datasets.rules import DATASET_NOT_FOUND, MAX_ROWS
from heliograph.errors import InvalidRequestError, NotFoundError
from heliograph.meta.dataset_models import Dataset, DatasetRow
from heliograph.meta.models import utcnow

IN_CHUNK = 500  # ids bound in one IN (...) list


@dataclass(frozen=True)
class StoredRow:
    id: str
    dataset_id: str
    created_at: datetime
    updated_at: datetime
    copy: RowCopy


def _stored(row: DatasetRow) -> StoredRow:
    copy = RowCopy(
        origin_request_id=row.origin_request_id,
        model=row.model,
        request_body=row.request_body,
        response_body=row.response_body,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cost=row.cost,
        request_created_at=row.request_created_at,
        inputs=row.inputs,
    )
    return StoredRow(row.id, row.dataset_id, row.created_at, row.updated_at, copy)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


def _lock(session: Session, org: str, dataset_id: str) -> None:
    locked = session.execute(
        update(Dataset)
        .where(Dataset.id == dataset_id, Dataset.organization_id == org)
        .values(updated_at=utcnow())
    )
    if locked.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFoundError(DATASET_NOT_FOUND)


def _held(session: Session, dataset_id: str, origins: list[str]) -> set[str]:
    held: set[str] = set()
    for chunk in _chunks(origins):
        held.update(
            origin
            for origin in session.scalars(
                select(DatasetRow.origin_request_id).where(
                    DatasetRow.dataset_id == dataset_id, DatasetRow.origin_request_id.in_(chunk)
                )
            )
            if origin is not None
        )
    return held


class RowStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def held(self, org: str, dataset_id: str, request_ids: list[str]) -> set[str]:
        """Which of these requests the dataset already holds (their copies need no read)."""
        with self.sessions() as session:
            if not self._owns(session, org, dataset_id):
                return set()
            return _held(session, dataset_id, request_ids)

    def add(self, org: str, dataset_id: str, copies: list[RowCopy]) -> list[str]:
        """Add the copies in order, skipping requests the dataset holds; the new rows' ids."""
        with self.sessions.begin() as session:
            _lock(session, org, dataset_id)
            origins = [c.origin_request_id for c in copies if c.origin_request_id]
            seen = _held(session, dataset_id, origins)
            fresh: list[RowCopy] = []
            for copy in copies:
                if copy.origin_request_id is None or copy.origin_request_id not in seen:
                    fresh.append(copy)
                    if copy.origin_request_id:
                        seen.add(copy.origin_request_id)
            count = session.scalar(select(func.count()).where(DatasetRow.dataset_id == dataset_id))
            if (count or 0) + len(fresh) > MAX_ROWS:
                raise InvalidRequestError(f"A dataset holds at most {MAX_ROWS} rows")
            ids = [str(uuid.uuid4()) for _ in fresh]
            if fresh:
                session.execute(insert(DatasetRow), self._values(org, dataset_id, fresh, ids))
        return ids

    @staticmethod
    def _values(
        org: str, dataset_id: str, copies: list[RowCopy], ids: list[str]
    ) -> list[dict[str, Any]]:
        now = utcnow()  # a microsecond apart: the rows keep the order they were given in
        return [
            {
                **copy.__dict__,
                "id": row_id,
                "organization_id": org,
                "dataset_id": dataset_id,
                "created_at": now + timedelta(microseconds=i),
                "updated_at": now,
            }
            for i, (copy, row_id) in enumerate(zip(copies, ids, strict=True))
        ]

    def _owns(self, session: Session, org: str, dataset_id: str) -> bool:
        owned = select(Dataset.id).where(Dataset.id == dataset_id, Dataset.organization_id == org)
        return session.scalar(owned) is not None

    def count(self, org: str, dataset_id: str) -> int | None:
        """How many rows the dataset holds; None when the organization has no such dataset."""
        with self.sessions() as session:
            if not self._owns(session, org, dataset_id):
                return None
            counted = select(func.count()).where(
                DatasetRow.dataset_id == dataset_id, DatasetRow.organization_id == org
            )
            return int(session.scalar(counted) or 0)

    def newest(self, org: str, dataset_id: str, offset: int, limit: int) -> list[StoredRow] | None:
        """A page of rows, newest first (Helicone's order); None for a missing dataset."""
        with self.sessions() as session:
            if not self._owns(session, org, dataset_id):
                return None
            found = session.scalars(
                select(DatasetRow)
                .where(DatasetRow.dataset_id == dataset_id, DatasetRow.organization_id == org)
                .order_by(DatasetRow.created_at.desc(), DatasetRow.id.desc())
                .offset(offset)
                .limit(limit)
            )
            return [_stored(row) for row in found]

    def page_after(
        self, org: str, dataset_id: str, after: StoredRow | None, limit: int
    ) -> list[StoredRow]:
        """The next `limit` rows in curation order after `after` (keyset paging: exports)."""
        query = select(DatasetRow).where(
            DatasetRow.dataset_id == dataset_id, DatasetRow.organization_id == org
        )
        if after is not None:
            query = query.where(
                or_(
                    DatasetRow.created_at > after.created_at,
                    and_(DatasetRow.created_at == after.created_at, DatasetRow.id > after.id),
                )
            )
        query = query.order_by(DatasetRow.created_at, DatasetRow.id).limit(limit)
        with self.sessions() as session:
            return [_stored(row) for row in session.scalars(query)]

    def input_records(
        self, org: str, dataset_id: str, offset: int, limit: int
    ) -> list[tuple[str, str | None, dict[str, Any] | None]]:
        """A page of rows in curation order as (id, origin request id, inputs), without
        their bodies (what an experiment's rows are made from)."""
        with self.sessions() as session:
            found = session.execute(
                select(DatasetRow.id, DatasetRow.origin_request_id, DatasetRow.inputs)
                .where(DatasetRow.dataset_id == dataset_id, DatasetRow.organization_id == org)
                .order_by(DatasetRow.created_at, DatasetRow.id)
                .offset(offset)
                .limit(limit)
            )
            return [(row_id, origin, inputs) for row_id, origin, inputs in found]

    def remove(self, org: str, dataset_id: str, ids: list[str]) -> int:
        """Remove rows named by their id or by the request they were copied from."""
        removed = 0
        with self.sessions.begin() as session:
            _lock(session, org, dataset_id)
            for chunk in _chunks(ids):
                gone = session.execute(
                    delete(DatasetRow).where(
                        DatasetRow.dataset_id == dataset_id,
                        or_(DatasetRow.id.in_(chunk), DatasetRow.origin_request_id.in_(chunk)),
                    )
                )
                removed += gone.rowcount  # type: ignore[attr-defined]
        return removed

    def edit(self, org: str, dataset_id: str, row_id: str, changes: dict[str, str]) -> bool:
        """Replace a row's request and/or response body copy (named by row or request id);
        the logged request is never touched. False when there is no such row."""
        with self.sessions.begin() as session:
            _lock(session, org, dataset_id)
            edited = session.execute(
                update(DatasetRow)
                .where(
                    DatasetRow.dataset_id == dataset_id,
                    or_(DatasetRow.id == row_id, DatasetRow.origin_request_id == row_id),
                )
                .values(**changes, updated_at=utcnow())
            )
            return bool(edited.rowcount)  # type: ignore[attr-defined]

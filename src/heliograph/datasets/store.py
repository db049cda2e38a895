"""Datasets in the metadata database, organization-scoped: create, list, find, delete.

Rows are in rows.py. Another organization's dataset is never listed and answers as a
missing one does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.datasets.rules import MAX_DATASETS
from heliograph.errors import InvalidRequestError
from heliograph.meta.dataset_models import Dataset, DatasetRow
from heliograph.meta.models import utcnow


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    organization_id: str
    name: str
    description: str
    dataset_type: str
    meta: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    rows: int


@dataclass(frozen=True)
class NewDataset:
    name: str
    description: str
    dataset_type: str
    meta: dict[str, Any] | None = None


def _with_counts(org: str) -> Select[Any]:
    # A count per dataset, each read from the rows' (dataset_id, created_at, id) index.
    rows = (
        select(func.count())
        .where(DatasetRow.dataset_id == Dataset.id)
        .correlate(Dataset)
        .scalar_subquery()
    )
    return select(Dataset, rows).where(Dataset.organization_id == org)


def _info(dataset: Dataset, rows: int) -> DatasetInfo:
    return DatasetInfo(
        id=dataset.id,
        organization_id=dataset.organization_id,
        name=dataset.name,
        description=dataset.description,
        dataset_type=dataset.dataset_type,
        meta=dataset.meta,
        created_at=dataset.created_at,
        updated_at=dataset.updated_at,
        rows=int(rows),
    )


class DatasetStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def create(self, org: str, new: NewDataset) -> str:
        """A new, empty dataset's id; refused past MAX_DATASETS per organization."""
        with self.sessions.begin() as session:
            held = session.scalar(
                select(func.count()).select_from(Dataset).where(Dataset.organization_id == org)
            )
            if (held or 0) >= MAX_DATASETS:
                raise InvalidRequestError(f"An organization holds at most {MAX_DATASETS} datasets")
            dataset_id = str(uuid.uuid4())
            now = utcnow()
            session.add(
                Dataset(
                    id=dataset_id,
                    organization_id=org,
                    name=new.name,
                    description=new.description,
                    dataset_type=new.dataset_type,
                    meta=new.meta,
                    created_at=now,
                    updated_at=now,
                )
            )
        return dataset_id

    def find(
        self, org: str, ids: list[str] | None = None, dataset_type: str | None = None
    ) -> list[DatasetInfo]:
        """The organization's datasets (all of them, or those of `ids`), newest first."""
        query = _with_counts(org)
        if ids is not None:
            query = query.where(Dataset.id.in_(ids))
        if dataset_type is not None:
            query = query.where(Dataset.dataset_type == dataset_type)
        query = query.order_by(Dataset.created_at.desc(), Dataset.id).limit(MAX_DATASETS)
        with self.sessions() as session:
            return [_info(dataset, rows) for dataset, rows in session.execute(query)]

    def get(self, org: str, dataset_id: str) -> DatasetInfo | None:
        found = self.find(org, [dataset_id])
        return found[0] if found else None

    def delete(self, org: str, dataset_id: str) -> bool:
        """Delete the dataset with its rows; False when the organization has no such one."""
        with self.sessions.begin() as session:
            owned = Dataset.organization_id == org
            if session.scalar(select(Dataset.id).where(Dataset.id == dataset_id, owned)) is None:
                return False
            session.execute(delete(DatasetRow).where(DatasetRow.dataset_id == dataset_id))
            session.execute(delete(Dataset).where(Dataset.id == dataset_id, owned))
        return True

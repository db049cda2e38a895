"""The inputs a logged request filled a prompt version with (Helicone's `prompts_2025_inputs`).

The gateway records them when it assembles a prompt (input_log.py, off the request path); the
REST API reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import PromptInput, PromptVersion, utcnow


@dataclass(frozen=True, slots=True)
class InputRecord:
    organization_id: str
    request_id: str
    version_id: str
    inputs: dict[str, Any]
    environment: str | None


def _row(record: InputRecord) -> dict[str, Any]:
    return {
        "organization_id": record.organization_id,
        "request_id": record.request_id,
        "version_id": record.version_id,
        "inputs": record.inputs,
        "environment": record.environment,
        "created_at": utcnow(),
    }


INPUTS = cast(Table, PromptInput.__table__)


class InputStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(
        self,
        organization_id: str,
        request_id: str,
        version_id: str,
        inputs: dict[str, Any],
        environment: str | None = None,
    ) -> None:
        with self._sessions.begin() as session:
            session.add(
                PromptInput(
                    organization_id=organization_id,
                    request_id=request_id,
                    version_id=version_id,
                    inputs=inputs,
                    environment=environment,
                )
            )

    def record_many(self, records: list[InputRecord]) -> None:
        """Store the records in one transaction (Core's executemany: the ORM's unit of work
        costs several times more a row, and the gateway records one a call). When one cannot
        be stored (its request id already has inputs, or its
        version was deleted since), the others one by one."""
        try:
            with self._sessions.begin() as session:
                session.execute(insert(INPUTS), [_row(record) for record in records])
        except IntegrityError:
            for record in records:
                try:
                    with self._sessions.begin() as session:
                        session.execute(insert(INPUTS), [_row(record)])
                except IntegrityError:
                    continue

    def get(
        self, organization_id: str, prompt_id: str, version_id: str, request_id: str
    ) -> dict[str, Any] | None:
        """The request's inputs, when it used that version of the organization's prompt."""
        with self._sessions() as session:
            inputs = session.scalar(
                select(PromptInput.inputs)
                .join(PromptVersion, PromptVersion.id == PromptInput.version_id)
                .where(
                    PromptInput.organization_id == organization_id,
                    PromptInput.request_id == request_id,
                    PromptInput.version_id == version_id,
                    PromptVersion.prompt_id == prompt_id,
                    PromptVersion.organization_id == organization_id,
                    PromptVersion.deleted_at.is_(None),
                )
            )
        return inputs

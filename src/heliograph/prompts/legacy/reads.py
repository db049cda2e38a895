"""Legacy prompts read back, organization-scoped: what Helicone's `/v1/prompt` endpoints
answer. A legacy prompt's production version is its newest (Heliograph has no promotion
of legacy versions: the template last logged is the one in use).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from heliograph.meta.models import LegacyPrompt, LegacyPromptInput, LegacyPromptVersion

MAX_LISTED_PROMPTS = 1000
MAX_LISTED_VERSIONS = 100  # Helicone's GetPrompt lists 100 version ids too


@dataclass(frozen=True)
class LegacyPromptInfo:
    id: str
    user_defined_id: str
    created_at: datetime
    major_version: int  # the newest version's


@dataclass(frozen=True)
class LegacyVersionInfo:
    id: str
    prompt_id: str
    major_version: int
    minor_version: int
    model: str
    template: Any
    created_at: datetime
    newest: bool  # the prompt's production version


@dataclass(frozen=True)
class LegacyInputInfo:
    id: str
    request_id: str
    version_id: str
    inputs: dict[str, str]
    auto_inputs: list[Any]
    created_at: datetime


def _newest_major() -> ColumnElement[int]:
    """The newest major version of the prompt in the enclosing query."""
    other = aliased(LegacyPromptVersion)
    return (
        select(func.max(other.major_version))
        .where(other.prompt_id == LegacyPrompt.id)
        .correlate(LegacyPrompt)
        .scalar_subquery()
    )


def _version(row: LegacyPromptVersion, newest_major: int | None) -> LegacyVersionInfo:
    return LegacyVersionInfo(
        id=row.id,
        prompt_id=row.prompt_id,
        major_version=row.major_version,
        minor_version=row.minor_version,
        model=row.model,
        template=json.loads(row.template),
        created_at=row.created_at,
        newest=row.major_version == newest_major,
    )


def _input(row: LegacyPromptInput) -> LegacyInputInfo:
    return LegacyInputInfo(
        row.id, row.request_id, row.version_id, row.inputs, row.auto_inputs, row.created_at
    )


class LegacyReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def prompts(self, organization_id: str, where: ColumnElement[bool]) -> list[LegacyPromptInfo]:
        """The organization's prompts matching `where`, newest first."""
        statement = (
            select(LegacyPrompt, _newest_major())
            .where(LegacyPrompt.organization_id == organization_id, where)
            .order_by(LegacyPrompt.created_at.desc(), LegacyPrompt.id)
            .limit(MAX_LISTED_PROMPTS)
        )
        with self._sessions() as session:
            return [
                LegacyPromptInfo(row.id, row.user_defined_id, row.created_at, major or 0)
                for row, major in session.execute(statement)
            ]

    def prompt_id(self, organization_id: str, user_defined_id: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(
                select(LegacyPrompt.id).where(
                    LegacyPrompt.organization_id == organization_id,
                    LegacyPrompt.user_defined_id == user_defined_id,
                )
            )

    def prompt(self, organization_id: str, prompt_id: str) -> LegacyPromptInfo | None:
        found = self.prompts(organization_id, LegacyPrompt.id == prompt_id)
        return found[0] if found else None

    def versions(
        self, organization_id: str, prompt_id: str, where: ColumnElement[bool], limit: int
    ) -> list[LegacyVersionInfo]:
        """The prompt's versions matching `where`, newest first."""
        statement = (
            select(LegacyPromptVersion, _newest_major())
            .join(LegacyPrompt, LegacyPrompt.id == LegacyPromptVersion.prompt_id)
            .where(
                LegacyPrompt.organization_id == organization_id,
                LegacyPromptVersion.prompt_id == prompt_id,
                where,
            )
            .order_by(LegacyPromptVersion.major_version.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            return [_version(row, newest) for row, newest in session.execute(statement)]

    def version(self, organization_id: str, version_id: str) -> LegacyVersionInfo | None:
        statement = (
            select(LegacyPromptVersion, _newest_major())
            .join(LegacyPrompt, LegacyPrompt.id == LegacyPromptVersion.prompt_id)
            .where(
                LegacyPrompt.organization_id == organization_id,
                LegacyPromptVersion.id == version_id,
            )
        )
        with self._sessions() as session:
            found = session.execute(statement).first()
        return None if found is None else _version(found[0], found[1])

    def inputs(
        self, organization_id: str, version_id: str, limit: int, random: bool
    ) -> list[LegacyInputInfo]:
        """The version's recorded inputs: the newest `limit`, or `limit` drawn at random."""
        order = func.random() if random else LegacyPromptInput.created_at.desc()
        statement = (
            select(LegacyPromptInput)
            .where(
                LegacyPromptInput.organization_id == organization_id,
                LegacyPromptInput.version_id == version_id,
            )
            .order_by(order, LegacyPromptInput.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [_input(row) for row in session.scalars(statement)]

    def request_inputs(
        self, organization_id: str, request_id: str
    ) -> tuple[str, LegacyInputInfo] | None:
        """The inputs a logged request filled a legacy version with, and its prompt's
        `user_defined_id` (the Helicone-Prompt-Id it was logged with); None when it had none."""
        statement = (
            select(LegacyPromptInput, LegacyPrompt.user_defined_id)
            .join(LegacyPromptVersion, LegacyPromptVersion.id == LegacyPromptInput.version_id)
            .join(LegacyPrompt, LegacyPrompt.id == LegacyPromptVersion.prompt_id)
            .where(
                LegacyPromptInput.organization_id == organization_id,
                LegacyPrompt.organization_id == organization_id,
                LegacyPromptInput.request_id == request_id,
            )
        )
        with self._sessions() as session:
            found = session.execute(statement).first()
        return None if found is None else (found[1], _input(found[0]))

    def last_used(self, organization_id: str, version_id: str) -> datetime | None:
        """When a logged call last used the version."""
        newest = self.inputs(organization_id, version_id, 1, random=False)
        return newest[0].created_at if newest else None

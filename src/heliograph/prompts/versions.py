"""Prompt versions and environments in the metadata database, organization-scoped.

A version is never changed once stored. Its number comes from the highest one of its prompt
(deleted versions included, so a number is never given twice); two writers that pick the
same number collide on the unique constraint, and the loser picks again.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import Prompt, PromptEnvironment, PromptVersion, utcnow
from heliograph.prompts.environments import assign, environments_of
from heliograph.prompts.rules import MAX_VERSIONS_PER_PROMPT, PRODUCTION, Conflict

NUMBERING_ATTEMPTS = 40


@dataclass(frozen=True)
class VersionInfo:
    id: str
    prompt_id: str
    organization_id: str
    major_version: int
    minor_version: int
    model: str
    commit_message: str
    created_at: datetime
    environments: list[str]


@dataclass(frozen=True)
class NewVersion:
    """A version to add after `base_version_id` (a new major, or the next minor of its major)."""

    prompt_id: str
    base_version_id: str
    new_major: bool
    id: str
    model: str
    commit_message: str
    environment: str | None


def _info(row: PromptVersion, environments: list[str]) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        prompt_id=row.prompt_id,
        organization_id=row.organization_id,
        major_version=row.major_version,
        minor_version=row.minor_version,
        model=row.model,
        commit_message=row.commit_message,
        created_at=row.created_at,
        environments=environments,
    )


def _live(organization_id: str) -> ColumnElement[bool]:
    """The organization's versions that are not deleted."""
    return and_(
        PromptVersion.organization_id == organization_id, PromptVersion.deleted_at.is_(None)
    )


def _next_number(session: Session, base: PromptVersion, new_major: bool) -> tuple[int, int]:
    of_prompt = PromptVersion.prompt_id == base.prompt_id
    taken = session.scalar(select(func.count()).select_from(PromptVersion).where(of_prompt))
    if (taken or 0) >= MAX_VERSIONS_PER_PROMPT:
        raise Conflict(f"A prompt holds at most {MAX_VERSIONS_PER_PROMPT} versions")
    if new_major:
        highest = session.scalar(select(func.max(PromptVersion.major_version)).where(of_prompt))
        return (highest or 0) + 1, 0
    highest = session.scalar(
        select(func.max(PromptVersion.minor_version)).where(
            of_prompt, PromptVersion.major_version == base.major_version
        )
    )
    return base.major_version, (highest or 0) + 1


class VersionStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(self, organization_id: str, new: NewVersion) -> VersionInfo | None:
        """Store `new` under the next free number; None when its base version is not one of
        the organization's versions of that prompt."""
        for attempt in range(NUMBERING_ATTEMPTS):
            try:
                return self._insert(organization_id, new)
            except IntegrityError:
                # Another writer took the number (or the environment) first: pick again,
                # after a short random pause so that the same writers do not meet again.
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
        raise Conflict("Too many versions of this prompt are being created at once; retry")

    def _insert(self, organization_id: str, new: NewVersion) -> VersionInfo | None:
        with self._sessions.begin() as session:
            base = session.scalar(
                select(PromptVersion).where(
                    _live(organization_id),
                    PromptVersion.id == new.base_version_id,
                    PromptVersion.prompt_id == new.prompt_id,
                )
            )
            if base is None:
                return None
            major, minor = _next_number(session, base, new.new_major)
            row = PromptVersion(
                id=new.id,
                organization_id=organization_id,
                prompt_id=new.prompt_id,
                major_version=major,
                minor_version=minor,
                model=new.model,
                commit_message=new.commit_message,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()  # the number is taken here, or IntegrityError
            if new.environment is not None:
                assign(session, organization_id, new.prompt_id, new.environment, row.id)
            return _info(row, [] if new.environment is None else [new.environment])

    def get(self, organization_id: str, version_id: str) -> VersionInfo | None:
        with self._sessions() as session:
            row = session.scalar(
                select(PromptVersion).where(_live(organization_id), PromptVersion.id == version_id)
            )
            if row is None:
                return None
            return _info(row, environments_of(session, [row.id]).get(row.id, []))

    def in_environment(
        self, organization_id: str, prompt_id: str, environment: str
    ) -> VersionInfo | None:
        with self._sessions() as session:
            row = session.scalar(
                select(PromptVersion)
                .join(PromptEnvironment, PromptEnvironment.version_id == PromptVersion.id)
                .where(
                    _live(organization_id),
                    PromptEnvironment.prompt_id == prompt_id,
                    PromptEnvironment.name == environment,
                )
            )
            if row is None:
                return None
            return _info(row, environments_of(session, [row.id]).get(row.id, []))

    def of_prompt(
        self, organization_id: str, prompt_id: str, major: int | None
    ) -> list[VersionInfo]:
        """The prompt's versions, newest first (at most MAX_VERSIONS_PER_PROMPT exist)."""
        statement = select(PromptVersion).where(
            _live(organization_id), PromptVersion.prompt_id == prompt_id
        )
        if major is not None:
            statement = statement.where(PromptVersion.major_version == major)
        statement = statement.order_by(
            PromptVersion.created_at.desc(),
            PromptVersion.major_version.desc(),
            PromptVersion.minor_version.desc(),
        )
        with self._sessions() as session:
            rows = list(session.scalars(statement))
            environments = environments_of(session, [row.id for row in rows])
            return [_info(row, environments.get(row.id, [])) for row in rows]

    def counts(self, organization_id: str, prompt_id: str) -> tuple[int, int]:
        """(versions, distinct major versions) of the prompt's live versions."""
        with self._sessions() as session:
            total, majors = session.execute(
                select(func.count(), func.count(func.distinct(PromptVersion.major_version))).where(
                    _live(organization_id), PromptVersion.prompt_id == prompt_id
                )
            ).one()
        return int(total), int(majors)

    def prompt_exists(self, organization_id: str, prompt_id: str) -> bool:
        with self._sessions() as session:
            found = session.scalar(
                select(Prompt.id).where(
                    Prompt.organization_id == organization_id, Prompt.id == prompt_id
                )
            )
        return found is not None

    def delete(self, organization_id: str, prompt_id: str, version_id: str) -> bool:
        """Retire the version (its number stays taken) and take it out of its environments;
        False when the organization's prompt has no such live version. The production
        version cannot go: production would serve nothing."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(PromptVersion).where(
                    _live(organization_id),
                    PromptVersion.prompt_id == prompt_id,
                    PromptVersion.id == version_id,
                )
            )
            if row is None:
                return False
            if PRODUCTION in environments_of(session, [row.id]).get(row.id, []):
                raise Conflict(
                    "This version is the prompt's production version: promote another "
                    "version to production first, or delete the prompt"
                )
            session.execute(delete(PromptEnvironment).where(PromptEnvironment.version_id == row.id))
            row.deleted_at = utcnow()
        return True

    def owner(self, version_id: str) -> tuple[str, bool] | None:
        """(organization, live) of a version, deleted ones included: what a body URL's
        signature is checked against."""
        with self._sessions() as session:
            found = session.execute(
                select(PromptVersion.organization_id, PromptVersion.deleted_at).where(
                    PromptVersion.id == version_id
                )
            ).first()
        return None if found is None else (found[0], found[1] is None)

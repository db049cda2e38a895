"""Prompts in the metadata database, organization-scoped: create, find, rename, tag, delete.

Versions and environments are in versions.py; a prompt is created with its first version
(0.0, Helicone's numbering) serving production, in one transaction.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import Prompt, PromptEnvironment, PromptTag, PromptVersion, utcnow
from heliograph.prompts.rules import FIRST_COMMIT_MESSAGE, MAX_LISTED_NAMES, PRODUCTION

PROMPT_ID_CHARS = string.digits + string.ascii_letters
PROMPT_ID_LENGTH = 6  # as Helicone's: 62**6 ids, a collision is retried
PROMPT_ID_ATTEMPTS = 5


@dataclass(frozen=True)
class PromptInfo:
    id: str
    name: str
    tags: list[str]
    created_at: datetime


@dataclass(frozen=True)
class FirstVersion:
    id: str
    model: str


@dataclass(frozen=True)
class PromptQuery:
    search: str
    tags: list[str]
    page: int
    page_size: int


def new_prompt_id() -> str:
    return "".join(secrets.choice(PROMPT_ID_CHARS) for _ in range(PROMPT_ID_LENGTH))


def _tag_rows(organization_id: str, prompt_id: str, tags: list[str]) -> list[PromptTag]:
    return [
        PromptTag(prompt_id=prompt_id, tag=tag, organization_id=organization_id, position=i)
        for i, tag in enumerate(tags)
    ]


class PromptStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def create(self, organization_id: str, name: str, tags: list[str], first: FirstVersion) -> str:
        """A new prompt with its first version in production; its id."""
        attempts_left = PROMPT_ID_ATTEMPTS
        while True:
            prompt_id = new_prompt_id()
            try:
                self._insert(organization_id, prompt_id, name, tags, first)
                return prompt_id
            except IntegrityError:  # the id is taken (by any organization): draw another
                attempts_left -= 1
                if attempts_left == 0:
                    raise

    def _insert(
        self, org: str, prompt_id: str, name: str, tags: list[str], first: FirstVersion
    ) -> None:
        now = utcnow()
        with self._sessions.begin() as session:
            session.add(Prompt(id=prompt_id, organization_id=org, name=name, created_at=now))
            session.flush()  # the prompt row first: the others refer to it
            session.add_all(_tag_rows(org, prompt_id, tags))
            version = PromptVersion(
                id=first.id,
                organization_id=org,
                prompt_id=prompt_id,
                major_version=0,
                minor_version=0,
                model=first.model,
                commit_message=FIRST_COMMIT_MESSAGE,
                created_at=now,
            )
            session.add(version)
            session.flush()
            session.add(
                PromptEnvironment(
                    prompt_id=prompt_id,
                    name=PRODUCTION,
                    organization_id=org,
                    version_id=first.id,
                    updated_at=now,
                )
            )

    def get(self, organization_id: str, prompt_id: str) -> PromptInfo | None:
        with self._sessions() as session:
            row = session.scalar(
                select(Prompt).where(
                    Prompt.organization_id == organization_id, Prompt.id == prompt_id
                )
            )
            if row is None:
                return None
            return self._infos(session, [row])[0]

    def _infos(self, session: Session, rows: list[Prompt]) -> list[PromptInfo]:
        tags: dict[str, list[str]] = {row.id: [] for row in rows}
        for prompt_id, tag in session.execute(
            select(PromptTag.prompt_id, PromptTag.tag)
            .where(PromptTag.prompt_id.in_(list(tags)))
            .order_by(PromptTag.prompt_id, PromptTag.position)
        ):
            tags[prompt_id].append(tag)
        return [PromptInfo(row.id, row.name, tags[row.id], row.created_at) for row in rows]

    def query(self, organization_id: str, query: PromptQuery) -> list[PromptInfo]:
        """Newest first: names containing `search` (any case), with any of `tags` if given."""
        escaped = query.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = select(Prompt).where(
            Prompt.organization_id == organization_id,
            Prompt.name.ilike(f"%{escaped}%", escape="\\"),
        )
        if query.tags:
            tagged = exists().where(PromptTag.prompt_id == Prompt.id, PromptTag.tag.in_(query.tags))
            statement = statement.where(tagged)
        statement = (
            statement.order_by(Prompt.created_at.desc(), Prompt.id)
            .limit(query.page_size)
            .offset(query.page * query.page_size)
        )
        with self._sessions() as session:
            return self._infos(session, list(session.scalars(statement)))

    def rename(self, organization_id: str, prompt_id: str, name: str) -> bool:
        with self._sessions.begin() as session:
            row = session.get(Prompt, prompt_id)
            if row is None or row.organization_id != organization_id:
                return False
            row.name = name
        return True

    def set_tags(self, organization_id: str, prompt_id: str, tags: list[str]) -> bool:
        """Replace every tag of the prompt."""
        with self._sessions.begin() as session:
            row = session.get(Prompt, prompt_id)
            if row is None or row.organization_id != organization_id:
                return False
            session.execute(delete(PromptTag).where(PromptTag.prompt_id == prompt_id))
            session.add_all(_tag_rows(organization_id, prompt_id, tags))
        return True

    def delete(self, organization_id: str, prompt_id: str) -> list[str] | None:
        """Remove the prompt and everything of it; the ids of its versions (for their bodies),
        or None when the organization has no such prompt."""
        with self._sessions.begin() as session:
            row = session.get(Prompt, prompt_id)
            if row is None or row.organization_id != organization_id:
                return None
            version_ids = list(
                session.scalars(
                    select(PromptVersion.id).where(PromptVersion.prompt_id == prompt_id)
                )
            )
            session.delete(row)  # the database cascades to tags, versions, environments
        return version_ids

    def count(self, organization_id: str) -> int:
        with self._sessions() as session:
            counted = session.scalar(
                select(func.count())
                .select_from(Prompt)
                .where(Prompt.organization_id == organization_id)
            )
        return int(counted or 0)

    def tags(self, organization_id: str) -> list[str]:
        return self._names(
            select(PromptTag.tag).where(PromptTag.organization_id == organization_id)
        )

    def environments(self, organization_id: str) -> list[str]:
        return self._names(
            select(PromptEnvironment.name).where(
                PromptEnvironment.organization_id == organization_id
            )
        )

    def _names(self, statement: Select[str]) -> list[str]:
        distinct = statement.distinct().order_by(statement.selected_columns[0])
        with self._sessions() as session:
            return list(session.scalars(distinct.limit(MAX_LISTED_NAMES)))

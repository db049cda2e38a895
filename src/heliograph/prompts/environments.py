"""Environments: per prompt, a name (production, staging, development or any other) that
serves one version. Promoting or rolling back is pointing the name at another version."""

from __future__ import annotations

import time
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import PromptEnvironment, PromptVersion, utcnow
from heliograph.prompts.rules import MAX_ENVIRONMENTS_PER_PROMPT, Conflict

ASSIGN_ATTEMPTS = 5


def environments_of(session: Session, version_ids: list[str]) -> dict[str, list[str]]:
    """The environment names each version serves, sorted."""
    found: dict[str, list[str]] = defaultdict(list)
    if version_ids:
        for version_id, name in session.execute(
            select(PromptEnvironment.version_id, PromptEnvironment.name)
            .where(PromptEnvironment.version_id.in_(version_ids))
            .order_by(PromptEnvironment.name)
        ):
            found[version_id].append(name)
    return found


def assign(
    session: Session, organization_id: str, prompt_id: str, environment: str, version_id: str
) -> None:
    """Point `environment` of the prompt at the version (in the caller's transaction)."""
    row = session.get(PromptEnvironment, (prompt_id, environment))
    if row is not None:
        row.version_id, row.updated_at = version_id, utcnow()
        session.flush()
        return
    named = session.scalar(
        select(func.count())
        .select_from(PromptEnvironment)
        .where(PromptEnvironment.prompt_id == prompt_id)
    )
    if (named or 0) >= MAX_ENVIRONMENTS_PER_PROMPT:
        raise Conflict(f"A prompt has at most {MAX_ENVIRONMENTS_PER_PROMPT} environments")
    session.add(
        PromptEnvironment(
            prompt_id=prompt_id,
            name=environment,
            organization_id=organization_id,
            version_id=version_id,
            updated_at=utcnow(),
        )
    )
    session.flush()  # two first assignments at once: IntegrityError for one, retried


class EnvironmentStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def set(self, organization_id: str, prompt_id: str, version_id: str, environment: str) -> bool:
        """Promote (or roll back to) the version in `environment`; False when the version is
        not a live version of the organization's prompt."""
        attempts_left = ASSIGN_ATTEMPTS
        while True:
            try:
                return self._set(organization_id, prompt_id, version_id, environment)
            except IntegrityError:  # another writer named the environment first: update it
                attempts_left -= 1
                if attempts_left == 0:
                    raise
                time.sleep(0.01)

    def _set(self, organization_id: str, prompt_id: str, version_id: str, environment: str) -> bool:
        with self._sessions.begin() as session:
            live = session.scalar(
                select(PromptVersion.id).where(
                    PromptVersion.organization_id == organization_id,
                    PromptVersion.prompt_id == prompt_id,
                    PromptVersion.id == version_id,
                    PromptVersion.deleted_at.is_(None),
                )
            )
            if live is None:
                return False
            assign(session, organization_id, prompt_id, environment, version_id)
        return True

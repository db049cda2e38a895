"""Legacy prompts written from logged calls, as Helicone's log store processes a prompt
record: the prompt is made on first use; a call whose template differs from the newest
version's makes the next major version (0, 1, 2, ...; minor 0); its inputs are kept
against the version it used, under its request id.

Concurrent writers (many gateway processes on one PostgreSQL) collide on the unique
prompt, version number and request id, and the loser reads again: a number is never given
twice, and two calls bringing the same new template make one version.
"""

from __future__ import annotations

import logging
import random
import time
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import LegacyPrompt, LegacyPromptInput, LegacyPromptVersion
from heliograph.prompts.legacy.templates import LegacyCall, Template, template_of
from heliograph.prompts.rules import MAX_VERSIONS_PER_PROMPT, Conflict
from heliograph.throttled_log import ThrottledLog

ATTEMPTS = 40
log = logging.getLogger("heliograph.prompts")


class VersionLimit(Conflict):
    """A prompt holds MAX_VERSIONS_PER_PROMPT versions: a new template is not recorded."""


class LegacyWriter:
    """Stores batches of logged calls (the RecordLog's `write`); counts what it skipped."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._warnings = ThrottledLog(log)
        self.skipped = 0  # unreadable bodies, prompts at their version limit, refused rows

    def record_many(self, calls: list[LegacyCall]) -> None:
        """One transaction for the batch; when a row collides with another writer's (or
        cannot be stored), each call on its own."""
        read = [(call, template_of(call)) for call in calls]
        templates = [(call, found) for call, found in read if found is not None]
        self._skip(len(read) - len(templates), "a body that could not be read")
        try:
            with self._sessions.begin() as session:
                for call, found in templates:
                    _record(session, call, found)
        except (IntegrityError, DataError, VersionLimit):
            for call, found in templates:
                self._record_alone(call, found)

    def _record_alone(self, call: LegacyCall, found: Template) -> None:
        for attempt in range(ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    _record(session, call, found)
                return
            except IntegrityError:
                # Another writer took the prompt, the number or the request id first: read
                # again, after a short random pause so that the same writers do not meet again.
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
            except VersionLimit:
                self._skip(1, f"a prompt at its {MAX_VERSIONS_PER_PROMPT} versions")
                return
            except DataError:
                self._skip(1, "a row the database refused")
                return
        self._skip(1, "too many writers at once")

    def _skip(self, count: int, why: str) -> None:
        if count:
            self.skipped += count
            self._warnings.warning(why, "legacy prompt calls not recorded: %s", why)


def _record(session: Session, call: LegacyCall, found: Template) -> None:
    org = call.organization_id
    recorded = select(LegacyPromptInput.id).where(
        LegacyPromptInput.organization_id == org, LegacyPromptInput.request_id == call.request_id
    )
    if session.scalar(recorded) is not None:  # a request id sent twice: the first one counts
        return
    prompt_id = _prompt(session, call)
    newest = session.scalar(
        select(LegacyPromptVersion)
        .where(LegacyPromptVersion.prompt_id == prompt_id)
        .order_by(LegacyPromptVersion.major_version.desc())
        .limit(1)
    )
    if newest is None or newest.template_hash != found.hash:
        newest = _new_version(session, call, prompt_id, newest, found)
    session.add(
        LegacyPromptInput(
            id=str(uuid.uuid4()),
            organization_id=org,
            request_id=call.request_id,
            version_id=newest.id,
            inputs=found.inputs,
            auto_inputs=found.auto_inputs,
            created_at=call.created_at,
        )
    )
    session.flush()


def _prompt(session: Session, call: LegacyCall) -> str:
    found = session.scalar(
        select(LegacyPrompt.id).where(
            LegacyPrompt.organization_id == call.organization_id,
            LegacyPrompt.user_defined_id == call.user_defined_id,
        )
    )
    if found is not None:
        return found
    prompt = LegacyPrompt(
        id=str(uuid.uuid4()),
        organization_id=call.organization_id,
        user_defined_id=call.user_defined_id,
        created_at=call.created_at,
    )
    session.add(prompt)
    session.flush()  # IntegrityError when another writer made it first
    return prompt.id


def _new_version(
    session: Session,
    call: LegacyCall,
    prompt_id: str,
    newest: LegacyPromptVersion | None,
    found: Template,
) -> LegacyPromptVersion:
    counted = (
        select(func.count())
        .select_from(LegacyPromptVersion)
        .where(LegacyPromptVersion.prompt_id == prompt_id)
    )
    if (session.scalar(counted) or 0) >= MAX_VERSIONS_PER_PROMPT:
        raise VersionLimit(f"A prompt holds at most {MAX_VERSIONS_PER_PROMPT} versions")
    version = LegacyPromptVersion(
        id=str(uuid.uuid4()),
        organization_id=call.organization_id,
        prompt_id=prompt_id,
        major_version=0 if newest is None else newest.major_version + 1,
        minor_version=0,
        template=found.text,
        template_hash=found.hash,
        model=found.model,
        created_at=call.created_at,
    )
    session.add(version)
    session.flush()  # the number is taken here, or IntegrityError
    return version

"""Helicone's legacy prompts wired together: calls carrying `Helicone-Prompt-Id` queued from
the request path and written by a thread of their own (record_log.py), and the reads and
the compile of the `/v1/prompt` endpoints.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session, sessionmaker

from heliograph.errors import NotFoundError
from heliograph.meta.models import utcnow
from heliograph.prompts.legacy.bodies import MAX_SCANNED_BYTES
from heliograph.prompts.legacy.fill import fill
from heliograph.prompts.legacy.reads import LegacyReads, LegacyVersionInfo
from heliograph.prompts.legacy.templates import LegacyCall
from heliograph.prompts.legacy.writes import LegacyWriter
from heliograph.prompts.record_log import RecordLog

# The property a call's `Helicone-Prompt-Id` is kept under (helicone_headers.py).
LEGACY_PROMPT_ID = "Helicone-Prompt-Id"
MAX_USER_DEFINED_ID_CHARS = 255
MAX_REQUEST_ID_CHARS = 36
# 1-255 characters, none of them a control character (the header's value, trimmed).
USER_DEFINED_ID = re.compile(rf"[^\x00-\x1f\x7f-\x9f]{{1,{MAX_USER_DEFINED_ID_CHARS}}}")
PROMPT_NOT_FOUND = "Prompt not found"
VERSION_NOT_FOUND = "Prompt version not found"


class LegacyPrompts:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.writer = LegacyWriter(sessions)
        self.log: RecordLog[LegacyCall] = RecordLog(self.writer.record_many, "legacy prompt calls")
        self.reads = LegacyReads(sessions)

    def submit(
        self, organization_id: str, request_id: str, user_defined_id: str, body: bytes
    ) -> bool:
        """Queue a logged call for its prompt (a deque append: the caller waits for nothing).
        False when it is not recorded: an id longer than 255 characters or holding control
        characters, a body over MAX_SCANNED_BYTES, or a writer that falls behind."""
        readable = len(body) <= MAX_SCANNED_BYTES and len(request_id) <= MAX_REQUEST_ID_CHARS
        if not readable or USER_DEFINED_ID.fullmatch(user_defined_id) is None:
            self.writer.skipped += 1
            return False
        call = LegacyCall(organization_id, request_id, user_defined_id, body, utcnow())
        return self.log.submit(call, len(body))

    async def compile(
        self,
        organization_id: str,
        user_defined_id: str,
        where: ColumnElement[bool],
        inputs: dict[str, str],
    ) -> tuple[LegacyVersionInfo, Any]:
        """The newest version of the prompt matching `where`, and its template filled with
        `inputs` and the auto inputs of the last call that used it."""
        reads = self.reads
        prompt_id = await asyncio.to_thread(reads.prompt_id, organization_id, user_defined_id)
        if prompt_id is None:
            raise NotFoundError(PROMPT_NOT_FOUND)
        found = await asyncio.to_thread(reads.versions, organization_id, prompt_id, where, 1)
        if not found:
            raise NotFoundError(VERSION_NOT_FOUND)
        version = found[0]
        last = await asyncio.to_thread(reads.inputs, organization_id, version.id, 1, False)
        auto_inputs = last[0].auto_inputs if last else []
        return version, fill(version.template, inputs, auto_inputs)

"""The inputs a logged request filled a prompt version with (Helicone's `prompts_2025_inputs`).

The gateway records them when it assembles a prompt (not built yet: until then nothing
writes here, and GET .../inputs answers 404); the REST API reads them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import PromptInput, PromptVersion


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

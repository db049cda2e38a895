"""Where version bodies are kept: the `BodyStore` seam, and the embedded store.

Embedded, bodies live in the metadata database (`prompt_bodies`), at most
rules.MAX_BODY_BYTES each, and a version's `s3_url` is this server's signed URL
(signing.py). For scale-out, an S3-compatible object store (s3_bodies.py) keeps them, and
`s3_url` is its presigned URL. Bodies are written before their version row and removed
after it, so a store that cannot share the database's transaction fits the same calls.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from heliograph.meta.models import PromptBody


class BodyStore(Protocol):
    """Bodies by (organization, version id); the bytes are the JSON served as `s3_url`."""

    def put(self, organization_id: str, version_id: str, body: bytes) -> None: ...

    def get(self, organization_id: str, version_id: str) -> bytes | None: ...

    def delete(self, organization_id: str, version_ids: list[str]) -> None: ...


class BodyUrls(Protocol):
    """What a version's `s3_url` is: a URL that serves its body, without credentials, for a
    while. `base_url` is where this server is reached, for URLs of its own."""

    def url(self, base_url: str, organization_id: str, version_id: str) -> str: ...


class EmbeddedBodyStore:
    """Bodies in the metadata database, one row a version."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def put(self, organization_id: str, version_id: str, body: bytes) -> None:
        with self._sessions.begin() as session:
            session.add(
                PromptBody(
                    version_id=version_id, organization_id=organization_id, body=body.decode()
                )
            )

    def get(self, organization_id: str, version_id: str) -> bytes | None:
        with self._sessions() as session:
            body = session.scalar(
                select(PromptBody.body).where(
                    PromptBody.organization_id == organization_id,
                    PromptBody.version_id == version_id,
                )
            )
        return None if body is None else body.encode()

    def some(self, limit: int) -> list[tuple[str, str, bytes]]:
        """Up to `limit` stored bodies, (organization, version id, body): for moving them
        into another store."""
        with self._sessions() as session:
            rows = session.execute(
                select(PromptBody.organization_id, PromptBody.version_id, PromptBody.body)
                .order_by(PromptBody.version_id)
                .limit(limit)
            ).all()
        return [
            (organization_id, version_id, body.encode())
            for organization_id, version_id, body in rows
        ]

    def delete(self, organization_id: str, version_ids: list[str]) -> None:
        if not version_ids:
            return
        with self._sessions.begin() as session:
            session.execute(
                delete(PromptBody).where(
                    PromptBody.organization_id == organization_id,
                    PromptBody.version_id.in_(version_ids),
                )
            )

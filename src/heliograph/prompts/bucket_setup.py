"""Start-up with prompt bodies in a bucket: the bucket is checked, and bodies the metadata
database still holds (a server that kept them embedded before the bucket was set) are moved
into it, so that every version's `s3_url` finds its body there.

Each body is copied, then its row deleted: a process stopped part-way, or two processes
starting at once, copy the same bytes again, which changes nothing. Nothing moves back when
the bucket is unset.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy.orm import Session, sessionmaker

from heliograph.config import Settings
from heliograph.prompts.bodies import EmbeddedBodyStore
from heliograph.prompts.s3_bodies import Bucket, S3BodyStore

log = logging.getLogger("heliograph.prompts")
MOVE_BATCH = 100


def open_bucket(settings: Settings, sessions: sessionmaker[Session]) -> S3BodyStore | None:
    """The bucket's store, checked and holding every body; None when no bucket is set.
    ConfigError says what to fix when the bucket cannot be used."""
    bucket = Bucket.of(settings)
    if bucket is None:
        return None
    store = S3BodyStore(bucket)
    store.check()
    moved = move_bodies(EmbeddedBodyStore(sessions), store)
    if moved:
        log.info("moved %d prompt bodies from the metadata database to %s", moved, bucket.where)
    return store


def move_bodies(embedded: EmbeddedBodyStore, store: S3BodyStore) -> int:
    """Move every body of the metadata database into the bucket; how many were moved."""
    moved = 0
    while batch := embedded.some(MOVE_BATCH):
        copied: defaultdict[str, list[str]] = defaultdict(list)
        for organization_id, version_id, body in batch:
            store.put(organization_id, version_id, body)
            copied[organization_id].append(version_id)
        for organization_id, version_ids in copied.items():
            embedded.delete(organization_id, version_ids)
        moved += len(batch)
    return moved

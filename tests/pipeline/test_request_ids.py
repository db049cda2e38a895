"""Request ids the gateway makes: canonical random (version 4, RFC 4122) UUID strings."""

from __future__ import annotations

import uuid

from heliograph.pipeline.rows import new_request_id


def test_ids_are_canonical_version_4_uuids_and_do_not_repeat():
    ids = [new_request_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:2000]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # Every non-fixed bit varies: no nibble position is stuck on one value.
    for position, _ in enumerate(ids[0]):
        if position not in (8, 13, 14, 18, 23):  # dashes, the version digit
            assert len({text[position] for text in ids}) > 1, position

"""Patterns of text fields stored in the metadata database."""

from __future__ import annotations

from heliograph.api.schemas.envelope import NON_BLANK

# Not blank (a character str.strip() keeps), and no NUL: PostgreSQL text cannot hold one.
STORABLE_TEXT = "^[^\\x00]*" + NON_BLANK.replace("[^", "[^\\x00", 1) + "[^\\x00]*$"

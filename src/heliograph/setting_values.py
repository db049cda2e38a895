"""What a setting's value may be written as: the words, numbers and keys the registry
(config.py) accepts, and the closest known name to a misspelled one."""

from __future__ import annotations

import base64
import binascii
import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
BOOLEAN_WORDS = "true or false (also 1/0, yes/no, on/off)"
# S3's rules for new buckets (lower case, so that virtual-host addressing works too).
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MAX_KEY_PREFIX_CHARS = 512


def coerced(kind: type, raw: Any) -> Any:
    """`raw` (text from the environment or a flag, or a TOML value) as a value of `kind`.

    Raises ValueError whose text says what the value must be, e.g. "must be a whole number".
    """
    if kind is bool:
        return _boolean(raw)
    if kind is int:
        return _whole_number(raw)
    if kind is float:
        return _finite_number(raw)
    if issubclass(kind, Path):
        if not isinstance(raw, str | Path) or not str(raw):
            raise ValueError("must be a path")
        return Path(raw)
    if not isinstance(raw, str):  # a TOML number or table where text belongs
        raise ValueError("must be text (a quoted string in TOML)")
    return raw


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, str | int) else ""
    if text not in TRUE_WORDS | FALSE_WORDS:
        raise ValueError(f"must be {BOOLEAN_WORDS}")
    return text in TRUE_WORDS


def _whole_number(raw: Any) -> int:
    # TOML's true and 1.5 are not whole numbers, though Python would take them as 1.
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            pass
    raise ValueError("must be a whole number")


def _finite_number(raw: Any) -> float:
    number = math.nan
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            pass
    # float() takes "nan" and "inf": nan passes every range check, inf breaks every timer.
    if not math.isfinite(number):
        raise ValueError("must be a number")
    return number


def shown_number(value: float) -> str:
    """A bound as an error message shows it: 65535, 0.001 (never 1.07374e+09)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def is_fernet_key(text: str) -> bool:
    """Whether cryptography's Fernet takes `text` as its key: 32 bytes, URL-safe base64."""
    try:
        return len(base64.urlsafe_b64decode(text.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def is_http_url(text: str) -> bool:
    """An absolute http:// or https:// URL with a host (and a valid port, if any)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range or not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def is_bucket_name(text: str) -> bool:
    return _BUCKET_NAME.fullmatch(text) is not None and ".." not in text


def is_key_prefix(text: str) -> bool:
    """Text an object key may start with: printable, not too long, not starting with `/`."""
    return len(text) <= MAX_KEY_PREFIX_CHARS and text.isprintable() and not text.startswith("/")


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` is most likely a misspelling of, if any is close enough."""
    found = difflib.get_close_matches(name, list(known), n=1)
    return found[0] if found else None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def is_identifier(text: str) -> bool:
    """A plain SQL identifier (a ClickHouse cluster's name), safe to write into a statement."""
    return _IDENTIFIER.fullmatch(text) is not None

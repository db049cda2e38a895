"""The bounds of datasets and the messages their endpoints answer with.

Everything a caller controls has a limit: how many datasets, rows and requests per call,
how large a row's bodies, an import or a page may be.
"""

from __future__ import annotations

from datetime import UTC, datetime

MAX_DATASETS = 1_000  # per organization
MAX_ROWS = 100_000  # per dataset
MAX_REQUESTS_PER_CALL = 1_000  # request ids in one create or mutate
MAX_FILTER_ROWS = 10_000  # requests one filter may add
MAX_BODY_CHARS = 1_000_000  # a row's request body and its response body, each, as JSON text
MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 2_000
MAX_PAGE_ROWS = 100  # rows in one /query answer (they carry their bodies)
MAX_IMPORT_CHARS = 10_000_000  # and the REST body limit, max_api_body_bytes (10 MiB)
MAX_INPUTS = 100  # inputs of an experiment row
MAX_INPUT_CHARS = 10_000
EXPORT_PAGE_ROWS = 200  # rows read from the database at a time while exporting
ID_PATTERN = "^[0-9a-fA-F-]{1,36}$"

HELICONE = "helicone"
EXPERIMENT = "experiment"
DATASET_NOT_FOUND = "Dataset not found"
ROW_NOT_FOUND = "Dataset row not found"


def js_iso(moment: datetime | None) -> str | None:
    """A time as JavaScript's toISOString() writes it (what Helicone's answers carry)."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"

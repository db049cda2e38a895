"""Read a stopped server's embedded store directly, in a subprocess (chDB holds the dir)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_PROBE = """
import json, sys
from chdb import session
s = session.Session(sys.argv[1])
result = s.query(sys.argv[2], "JSONEachRow")
rows = [json.loads(line) for line in result.bytes().decode().splitlines() if line]
print(json.dumps(rows))
"""


def query_store(data_dir: Path, sql: str) -> list[dict[str, Any]]:
    """Rows of `sql` run against `data_dir`'s chDB database `heliograph`."""
    output = subprocess.run(
        [sys.executable, "-c", _PROBE, str(data_dir / "clickhouse"), sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return list(json.loads(output))

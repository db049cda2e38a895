"""The data dir (request bodies, webhook payloads, keys) is readable by its owner only."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.server import HeliographProcess


def test_everything_in_the_data_dir_is_owner_only(
    start_server: Callable[..., HeliographProcess], tmp_path: Path
):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    left_by_an_older_version = data_dir / "notes.txt"
    left_by_an_older_version.write_text("webhook payloads, say")
    os.chmod(left_by_an_older_version, 0o644)

    server = start_server(data_dir)
    request_id = str(uuid.uuid4())
    answer = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers={**server.auth, "Helicone-Request-Id": request_id},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert answer.status_code == 200
    server.wait_for_request(request_id)  # the store has written parts for it
    server.stop()

    readable_by_others = []
    for root, dirs, files in os.walk(data_dir):
        for name in [*dirs, *files]:
            path = Path(root) / name
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                readable_by_others.append(f"{path.relative_to(data_dir)} {oct(mode & 0o777)}")
    assert data_dir.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "metadata.db").stat().st_mode & 0o777 == 0o600
    assert any((data_dir / "clickhouse").rglob("*.bin")) or any(
        (data_dir / "clickhouse").rglob("data.*")
    ), "the store wrote its parts"
    assert readable_by_others == []

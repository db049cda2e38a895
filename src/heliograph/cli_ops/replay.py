"""`heliograph replay`: send logged requests through the gateway again, for debugging.

A logged row keeps the request body and the upstream URL it went to, not the client's
headers (the provider key is never stored). So a replay goes through the generic gateway
route (`/gateway` with `Helicone-Target-Url`, the same upstream as the original) with the
provider's auth headers the operator gives (`--header`), the original's custom properties,
and `Helicone-Property-Replay-Of` naming the original. A session is replayed in order as a
new session of the same name and paths, so the two can be compared side by side.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import urlsplit

import click
import httpx

from heliograph.cli_ops.common import fail, one_line
from heliograph.cli_ops.request_source import MAX_PAGE, ServerSource, SourceError

SESSION_ID = "Helicone-Session-Id"
REPLAY_OF = "Replay-Of"


def replay_headers(row: dict[str, Any], new_session: str | None) -> dict[str, str]:
    """The Helicone headers of the replayed call: the original's properties (its session
    under a new id when a session is replayed) and which request it replays."""
    properties = {**row.get("request_properties", {}), REPLAY_OF: row["request_id"]}
    properties.pop(SESSION_ID, None)
    headers = {f"Helicone-Property-{name}": value for name, value in properties.items()}
    if new_session:
        headers[SESSION_ID] = new_session
        for name in ("Helicone-Session-Name", "Helicone-Session-Path"):
            if name in properties:
                headers[name] = properties[name]
    if row.get("request_user_id"):
        headers["Helicone-User-Id"] = row["request_user_id"]
    return headers


async def resend(
    client: httpx.AsyncClient, row: dict[str, Any], extra: dict[str, str], session: str | None
) -> tuple[str, int]:
    """Send one logged request again; its new request id and the status answered."""
    target = urlsplit(row["target_url"] or "")
    if not target.scheme or not target.netloc:
        raise SourceError(f"request {row['request_id']} has no upstream URL to replay to")
    new_id = str(uuid.uuid4())
    headers = {
        "Helicone-Target-Url": f"{target.scheme}://{target.netloc}",
        "Helicone-Request-Id": new_id,
        **replay_headers(row, session),
        **extra,
    }
    path = target.path + (f"?{target.query}" if target.query else "")
    answer = await client.post("/gateway" + path, json=row["request_body"], headers=headers)
    return new_id, answer.status_code


async def session_rows(source: ServerSource, session_id: str) -> list[dict[str, Any]]:
    """Every request of a session, oldest first."""
    node = {"request_response_rmt": {"properties": {SESSION_ID: {"equals": session_id}}}}
    rows: list[dict[str, Any]] = []
    while page := await source.page(node, len(rows), MAX_PAGE):
        rows += page
    if not rows:
        raise SourceError(f"no logged request of session {session_id}")
    return rows


@click.command()
@click.argument("request_ids", nargs=-1)
@click.option("--session", "session_id", default=None, help="Replay every request of a session")
@click.option("--url", required=True, help="The gateway (a running Heliograph server)")
@click.option("--key", envvar="HELIOGRAPH_API_KEY", required=True, help="Its API key")
@click.option(
    "--header", "headers", multiple=True, help="NAME: VALUE sent upstream, e.g. the provider key"
)
def replay(
    request_ids: tuple[str, ...],
    session_id: str | None,
    url: str,
    key: str,
    headers: tuple[str, ...],
) -> None:
    """Send logged requests (or a whole session, in order) through the gateway again and
    print each new request id with the status it got.

    \b
    Examples:
      heliograph replay 3f1c9e2a-7d4b-4c8e-9a1f-5b6d7e8f9a0b --url http://127.0.0.1:8585 \\
        --key $KEY --header "Authorization: Bearer $OPENAI_API_KEY"
      heliograph replay --session support-chat-42 --url http://127.0.0.1:8585 --key $KEY
    """
    if not request_ids and not session_id:
        fail("name request ids to replay, or a --session")
    extra = {}
    for header in headers:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            fail(f"--header {header!r} is not NAME: VALUE")
        extra[name.strip()] = value.strip()
    try:
        asyncio.run(_replay(url, key, request_ids, session_id, extra))
    except (SourceError, httpx.HTTPError) as exc:
        fail(one_line(exc))


async def _replay(
    url: str, key: str, ids: tuple[str, ...], session_id: str | None, extra: dict[str, str]
) -> None:
    source = ServerSource(url, key)
    try:
        rows = [await source.get(request_id) for request_id in ids]
        if session_id:
            rows += await session_rows(source, session_id)
        new_session = str(uuid.uuid4()) if session_id else None
        auth = {"Helicone-Auth": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=source.url, headers=auth, timeout=600) as client:
            for row in rows:  # one after another: a session's later calls follow earlier ones
                new_id, status = await resend(client, row, extra, new_session)
                click.echo(f"{row['request_id']} -> {new_id} {status}")
    finally:
        await source.close()

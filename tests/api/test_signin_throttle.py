"""Sign-in under attack: throttled guesses, and a flood that leaves proxied calls alone.

The server sees 127.0.0.1 for every local client; clients bound to other loopback addresses
(127.0.0.2, ...) play other machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import Callable

import httpx

from tests.server import HeliographProcess

PASSWORD = "correct horse battery"
SLOW_CALL_S = 5.0
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def _from(server: HeliographProcess, address: str) -> httpx.Client:
    """A client whose connections come from `address` (a loopback address)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=30)


def _sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/v1/auth/sign-in", json={"email": email, "password": password})


def _new_user(server: HeliographProcess) -> str:
    email = f"user-{uuid.uuid4().hex[:8]}@example.com"
    assert server.create_user(email, PASSWORD, f"org-{uuid.uuid4()}").returncode == 0
    return email


def test_wrong_passwords_lock_the_address_out_but_not_the_user(server: HeliographProcess):
    email = _new_user(server)
    with _from(server, "127.0.0.3") as attacker, _from(server, "127.0.0.4") as user:
        answers = [_sign_in(attacker, email, f"guess-{n}-wrong") for n in range(10)]
        assert [a.status_code for a in answers[:5]] == [401] * 5
        assert {a.status_code for a in answers[5:]} == {429}

        refused = _sign_in(attacker, email, PASSWORD)
        assert refused.status_code == 429, "the right password is refused while locked out"
        assert refused.json() == {"data": None, "error": refused.json()["error"]}
        assert "Too many failed sign-ins" in refused.json()["error"]
        assert 1 <= int(refused.headers["retry-after"]) <= 30

        allowed = _sign_in(user, email, PASSWORD)
        assert allowed.status_code == 200, allowed.text


def test_throttled_attempts_are_refused_without_hashing(server: HeliographProcess):
    """A locked-out address gets its answer at once, not after an argon2 check."""
    email = _new_user(server)
    with _from(server, "127.0.0.5") as attacker:
        started = time.monotonic()
        for n in range(5):
            assert _sign_in(attacker, email, f"guess-{n}-wrong").status_code == 401
        hashed_s = (time.monotonic() - started) / 5
        started = time.monotonic()
        for n in range(20):
            assert _sign_in(attacker, email, f"again-{n}-wrong").status_code == 429
        refused_s = (time.monotonic() - started) / 20
    assert refused_s < hashed_s / 2, (refused_s, hashed_s)


def test_a_lockout_ends_after_its_delay(start_server: Callable[..., HeliographProcess]):
    server = start_server(env={"HELIOGRAPH_SIGNIN_LOCKOUT_S": "0.5"})
    email = _new_user(server)
    with _from(server, "127.0.0.6") as client:
        for n in range(5):
            assert _sign_in(client, email, f"guess-{n}-wrong").status_code == 401
        locked = _sign_in(client, email, PASSWORD)
        assert locked.status_code == 429
        assert locked.headers["retry-after"] == "1"
        deadline = time.monotonic() + 5
        while (answer := _sign_in(client, email, PASSWORD)).status_code == 429:
            assert time.monotonic() < deadline, "still locked out long after the delay"
            time.sleep(0.1)
        assert answer.status_code == 200, answer.text


def _fresh_keys(server: HeliographProcess, count: int) -> list[str]:
    """New API keys: a proxied call with a key the gateway has not seen looks it up."""
    with server.api() as client:
        created = [client.post("/v1/api-keys", json={"name": f"k{n}"}) for n in range(count)]
    return [answer.json()["data"]["apiKey"] for answer in created]


async def _proxied_latencies(server: HeliographProcess, keys: list[str]) -> list[float]:
    """Seconds per proxied call, one after another, each with a key not looked up before."""
    latencies = []
    async with httpx.AsyncClient(base_url=server.url, timeout=SLOW_CALL_S) as client:
        for key in keys:
            started = time.monotonic()
            try:
                answer = await client.post(
                    "/openai/v1/chat/completions",
                    headers={"Authorization": "Bearer sk-fake", "Helicone-Auth": f"Bearer {key}"},
                    json=CHAT,
                )
            except httpx.TimeoutException:
                raise AssertionError(f"a proxied call took over {SLOW_CALL_S} s") from None
            latencies.append(time.monotonic() - started)
            assert answer.status_code == 200, answer.text
    return latencies


async def _sign_in_flood(server: HeliographProcess, statuses: set[int]) -> None:
    """Wrong-password sign-ins from another address, 20 at a time, until cancelled."""
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.7")
    async with httpx.AsyncClient(base_url=server.url, transport=transport, timeout=60) as client:

        async def keep_signing_in(worker: int) -> None:
            for n in range(1000):
                body = {"email": f"nobody-{worker}-{n}@example.com", "password": "wrong-password"}
                statuses.add((await client.post("/v1/auth/sign-in", json=body)).status_code)

        await asyncio.gather(*(keep_signing_in(worker) for worker in range(20)))


async def _latencies_under_flood(
    server: HeliographProcess, keys: list[str]
) -> tuple[list[float], set[int]]:
    statuses: set[int] = set()
    flood = asyncio.create_task(_sign_in_flood(server, statuses))
    await asyncio.sleep(0.5)  # let the flood fill every queue first
    try:
        return await _proxied_latencies(server, keys), statuses
    finally:
        flood.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flood


def test_a_sign_in_flood_leaves_proxied_calls_fast(
    start_server: Callable[..., HeliographProcess],
):
    # Throttling off (limits far away): only the separate hashing pool protects the gateway.
    server = start_server(
        env={
            "HELIOGRAPH_SIGNIN_MAX_FAILURES": "100000",
            "HELIOGRAPH_SIGNIN_ACCOUNT_MAX_FAILURES": "100000",
            "HELIOGRAPH_SIGNIN_ADDRESS_MAX_FAILURES": "100000",
        }
    )
    keys = _fresh_keys(server, 29)
    asyncio.run(_proxied_latencies(server, keys[:5]))  # warm up: connections, code paths
    baseline = statistics.median(asyncio.run(_proxied_latencies(server, keys[5:20])))
    latencies, statuses = asyncio.run(_latencies_under_flood(server, keys[20:]))
    assert statuses <= {401, 503}, statuses
    assert 503 in statuses, "a full hashing queue refuses instead of piling up"
    # Before the separate pool: about 10 s a call, each key lookup queued behind argon2 checks.
    assert statistics.median(latencies) < 20 * baseline + 0.5, (baseline, latencies)

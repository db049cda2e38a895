"""Alert test fixtures: a webhook receiver, a real SMTP server (aiosmtpd) and an alerting server.

The receiver and the SMTP server run in this test process; the Heliograph server is a real
subprocess that evaluates alerts every half second and resolves without a cooldown.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from heliograph.mock_provider import FakeProvider
from tests.server import HeliographProcess, free_port

SMTP_USER = "alerts-bot"
SMTP_PASSWORD = "smtp-secret-p4ssw0rd-never-logged"
REFUSED_DOMAIN = "@bounce.example"
CHECK_SECONDS = 0.5


class WebhookReceiver:
    """Records JSON POSTs by path; paths under /fail answer 500."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.received.append((self.path, json.loads(body)))
                self.send_response(500 if self.path.startswith("/fail") else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def bodies(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for seen, body in self.received if seen == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class MailCatcher:
    """An aiosmtpd handler keeping every message; recipients at REFUSED_DOMAIN get a 550."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.logins: list[str] = []
        self.port = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.endswith(REFUSED_DOMAIN):
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(content)))
        return "250 Message accepted"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and data.password.decode() == SMTP_PASSWORD
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)

    def to(self, address: str) -> list[Message]:
        return [message for recipients, message in self.messages if address in recipients]


@pytest.fixture(scope="module")
def webhooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def mail() -> Iterator[MailCatcher]:
    catcher = MailCatcher()
    controller = Controller(
        catcher,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=catcher.authenticate,
        auth_require_tls=False,  # a local test server without certificates
    )
    controller.start()
    catcher.port = controller.port
    yield catcher
    controller.stop()


@pytest.fixture(scope="module")
def alert_server(
    fake_provider: FakeProvider, mail: MailCatcher, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeliographProcess]:
    process = HeliographProcess(
        tmp_path_factory.mktemp("alerts") / "data",
        fake_provider.url,
        env={
            "HELIOGRAPH_ALERT_CHECK_SECONDS": str(CHECK_SECONDS),
            "HELIOGRAPH_ALERT_RESOLVE_COOLDOWN_SECONDS": "0",
            "HELIOGRAPH_ALERT_NOTIFY_TIMEOUT_S": "3",
            "HELIOGRAPH_SMTP_HOST": "127.0.0.1",
            "HELIOGRAPH_SMTP_PORT": str(mail.port),
            "HELIOGRAPH_SMTP_USERNAME": SMTP_USER,
            "HELIOGRAPH_SMTP_PASSWORD": SMTP_PASSWORD,
            "HELIOGRAPH_SMTP_STARTTLS": "false",
            "HELIOGRAPH_SMTP_FROM": "Heliograph <alerts@heliograph.test>",
            "HELIOGRAPH_OUTBOUND_ALLOW": "127.0.0.1",  # the webhook receiver listens on loopback
        },
    )
    process.start()
    yield process
    process.stop()


def wait_until(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def chat(
    server: HeliographProcess,
    key: str,
    *,
    behaviour: str = "",
    model: str = "gpt-4o-mini",
    **properties: str,
) -> dict[str, Any]:
    """One logged call through the passthrough proxy, as organization `key`; its stored row."""
    headers = {"Helicone-Auth": f"Bearer {key}"}
    headers |= {f"Helicone-Property-{name}": value for name, value in properties.items()}
    if behaviour:
        headers["x-fake-behaviour"] = behaviour
    response = httpx.post(
        server.url + "/openai/v1/chat/completions",
        headers=headers,
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    return server.wait_for_request(response.headers["helicone-id"], key=key)


def evaluations_pass(server: HeliographProcess, key: str, alert_id: str, cycles: int = 3) -> None:
    """Wait until the evaluator has looked at the alert `cycles` more times."""
    seen: list[str] = []

    def advanced() -> bool:
        with server.api(key) as client:
            stamp = client.get(f"/v1/alert/{alert_id}").json()["data"]["last_evaluated_at"]
        if stamp and (not seen or seen[-1] != stamp):
            seen.append(stamp)
        return len(seen) > cycles

    wait_until(advanced, what=f"{cycles} evaluations of alert {alert_id}")

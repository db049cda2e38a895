"""The outbound policy on its own: address rules, allow-list, credentials, framing headers,
the raw upstream path; fuzzed with numeric hosts and an injected resolver (no real DNS)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heliograph.config import ConfigError, Settings
from heliograph.errors import InvalidRequestError
from heliograph.gateway.providers import gateway_providers
from heliograph.gateway.routes import ProxyRoute, upstream_target
from heliograph.outbound.allowlist import AllowList
from heliograph.outbound.headers import HeaderError, caller_headers
from heliograph.outbound.policy import OutboundPolicy, OutboundRefused
from heliograph.outbound.urls import OutboundUrlError, destination
from heliograph.redact import redact_url

# Written down independently of the implementation: what must never be reached.
BLOCKED = [
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "::/127", "fc00::/7", "fe80::/10", "ff00::/8",
    )
]  # fmt: skip


def blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return blocked(address.ipv4_mapped)
    return any(address in net for net in BLOCKED)


def fixed(*addresses: str) -> OutboundPolicy:
    """A policy whose resolver answers `addresses` for every name."""

    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return OutboundPolicy(AllowList(), resolve)


def check(policy: OutboundPolicy, url: str) -> None:
    asyncio.run(policy.check(url))


@pytest.mark.parametrize(
    "host",
    ["127.1", "0x7f000001", "2130706433", "[::1]", "169.254.169.254", "localhost", "0",
     "[::ffff:127.0.0.1]", "10.1.2.3", "[fd00:ec2::254]", "100.64.0.1", "224.0.0.1"],
)  # fmt: skip
def test_numeric_and_local_hosts_are_refused_through_the_system_resolver(host: str):
    with pytest.raises(OutboundRefused):
        check(OutboundPolicy(AllowList()), f"http://{host}:8080/v1")


def test_every_resolved_address_is_checked():
    with pytest.raises(OutboundRefused):
        check(fixed("93.184.215.14", "127.0.0.1"), "https://mixed.example/")
    check(fixed("93.184.215.14"), "https://public.example/")


def test_allow_list_entries():
    allow = AllowList.parse("127.0.0.1:11434, 10.0.0.0/8 ollama.lan [::1]:8000")
    policy = OutboundPolicy(allow, fixed("127.0.0.1")._resolve)
    check(policy, "http://127.0.0.1:11434/api")
    check(policy, "http://ollama.lan:1234/api")
    check(policy, "http://ollama.lan./api")
    with pytest.raises(OutboundRefused):
        check(policy, "http://127.0.0.1:11435/api")  # another port
    check(OutboundPolicy(allow, fixed("10.9.8.7")._resolve), "http://vllm.lan:8000/")
    with pytest.raises(ValueError):
        AllowList.parse("10.0.0.0/8:99999")


def test_configured_provider_base_urls_are_allowed():
    settings = Settings(provider_base_urls={"ollama": "http://127.0.0.1:11434/v1"})
    policy = OutboundPolicy.from_settings(settings)
    asyncio.run(policy.addresses("127.0.0.1", 11434))
    with pytest.raises(OutboundRefused):
        asyncio.run(policy.addresses("127.0.0.1", 11435))


def test_a_malformed_allow_list_is_a_config_error():
    with pytest.raises(ConfigError, match="outbound_allow"):
        OutboundPolicy.from_settings(Settings(outbound_allow="10.0.0.0/8:99999"))


@pytest.mark.parametrize(
    "url",
    ["http://user:secret@example.com/", "https://:secret@example.com", "ftp://example.com",
     "http://exa mple.com/", "http://example.com:99999/", "http:///path", "file:///etc/passwd"],
)  # fmt: skip
def test_unusable_urls_are_refused_before_resolving(url: str):
    with pytest.raises(OutboundUrlError) as refused:
        destination(url)
    assert "secret" not in str(refused.value)


def test_credentials_are_redacted_from_stored_urls():
    assert redact_url("https://user:secret@example.com/v1?key=k") == (
        "https://example.com/v1?key=[REDACTED]"
    )


def test_framing_headers_are_dropped_and_line_breaks_refused():
    sent = {"Content-Length": "0", "Transfer-Encoding": "chunked", "Host": "evil",
            "Connection": "keep-alive", "Proxy-Authorization": "x", "Expect": "100-continue",
            "TE": "trailers", "X-Kept": "1"}  # fmt: skip
    assert caller_headers(sent) == [("X-Kept", "1")]
    for name, value in [("X-A", "1\r\nHost: evil"), ("X-B\n", "1"), ("X-C", "\0")]:
        with pytest.raises(HeaderError):
            caller_headers({name: value})


def test_a_bedrock_region_cannot_change_the_host():
    bedrock = gateway_providers(Settings())["bedrock"]
    assert bedrock.base_for("us-west-2") == "https://bedrock-runtime.us-west-2.amazonaws.com"
    for region in ["attacker.example?", "evil.com#", "x/y", "US-WEST-2", "a" * 65]:
        with pytest.raises(InvalidRequestError):
            bedrock.base_for(region)


@settings(max_examples=400, deadline=None)
@given(st.ip_addresses())
def test_no_blocked_address_ever_passes(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    host = f"[{address}]" if address.version == 6 else str(address)
    policy = fixed(str(address))
    if blocked(address):
        with pytest.raises(OutboundRefused):
            check(policy, f"http://{host}/")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1).filter(lambda n: blocked(ipaddress.IPv4Address(n))))
def test_blocked_ipv4_in_any_numeric_spelling_is_refused(number: int):
    policy = OutboundPolicy(AllowList())  # the system resolver: it parses these forms
    for host in (str(number), hex(number), str(ipaddress.IPv4Address(number))):
        with pytest.raises(OutboundRefused):
            check(policy, f"http://{host}/")


RAW_PATH = st.lists(
    st.sampled_from(["a", "%3F", "%2F", "..", "%2e", ";", "%00", "~", "%25", "v1", ""]), max_size=8
).map(lambda parts: "/" + "/".join(parts))


@settings(max_examples=300, deadline=None)
@given(RAW_PATH, st.sampled_from(["", "a=1", "b=%2F&c"]))
def test_the_upstream_path_is_the_raw_path_as_received(raw: str, query: str):
    route = ProxyRoute("OPENAI", "https://api.openai.com", "/decoded", "/openai")
    scope = {"path": "/ignored", "raw_path": ("/openai" + raw).encode(),
             "query_string": query.encode()}  # fmt: skip
    assert upstream_target(route, scope) == raw + ("?" + query if query else "")

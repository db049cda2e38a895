"""The outbound policy: a URL passes when its host resolves only to allowed addresses.

Hosts are never parsed by hand: `127.1`, `0x7f000001` and `2130706433` are all 127.0.0.1 to
getaddrinfo (as to inet_aton), so the name is resolved and every address it yields is
checked. The HTTP client connects to the addresses checked here, never resolving again,
so a DNS answer that changes between check and connect (rebinding) cannot reach loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

from heliograph.config import ConfigError, Settings
from heliograph.errors import ForbiddenError, InvalidRequestError
from heliograph.outbound.addresses import is_public
from heliograph.outbound.allowlist import AllowList
from heliograph.outbound.urls import Destination, OutboundUrlError, destination

# host, port -> the IP addresses (text) the host name stands for
Resolver = Callable[[str, int], Awaitable[list[str]]]

# One message for every refused target, whichever rule refused it: nothing about the
# target's ports or services can be told from it (no connection was attempted).
REFUSED = "The target URL is not allowed by this server's outbound policy"


class OutboundRefused(ForbiddenError, ValueError):
    """The target resolves to an address the policy does not allow."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses getaddrinfo gives for `host` (numeric forms included)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class OutboundPolicy:
    def __init__(self, allow: AllowList, resolver: Resolver = system_resolver) -> None:
        self.allow = allow
        self._resolve = resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        """The operator's `outbound_allow`, plus the host:port of every configured provider
        base URL: where the operator pointed a provider is the operator's own choice."""
        origins = []
        for url in settings.provider_base_urls.values():
            try:
                origins.append(destination(url))
            except OutboundUrlError:
                continue  # the gateway reports an unusable base URL when it is called
        try:
            allow = AllowList.parse(settings.outbound_allow)
        except ValueError as exc:
            raise ConfigError(f"setting 'outbound_allow': {exc}") from None
        return cls(allow.with_origins(origins))

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for host:port, all of them allowed.

        Raises OutboundRefused when any address the name resolves to is not allowed (an
        attacker's name may mix a public and a loopback answer), and OSError when the
        name does not resolve.
        """
        found = await self._resolve(host, port)
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, "the host name does not resolve")
        if self.allow.allows_name(host, port):
            return found
        for text in found:
            address = ipaddress.ip_address(text.partition("%")[0])  # drop an IPv6 zone
            if not (is_public(address) or self.allow.allows_address(address, port)):
                raise OutboundRefused
        return found

    async def check(self, url: str) -> Destination:
        """Where `url` points, once it passed every check; raises OutboundUrlError or
        OutboundRefused (both ValueError) when it did not, OSError when it does not resolve."""
        target = destination(url)
        await self.addresses(target.host, target.port)
        return target

    async def check_destinations(self, field: str, urls: Iterable[str]) -> None:
        """Check the URLs of a webhook or alert being saved; InvalidRequestError (400) naming
        `field` for a refused one. A name that does not resolve now passes: it reaches
        nothing, and every delivery is checked again."""
        for url in urls:
            try:
                await self.check(url)
            except OSError:
                continue
            except ValueError as exc:  # OutboundUrlError, OutboundRefused
                raise InvalidRequestError(f"{field}: {exc}") from None

"""The operator's outbound allow-list: hosts, host:port pairs and CIDR ranges.

`HELIOGRAPH_OUTBOUND_ALLOW="127.0.0.1:11434,10.0.0.0/8,ollama.lan"` lets calls reach a
local Ollama, a LAN and a named host, which the address rules alone would refuse.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from heliograph.outbound.addresses import IPAddress
from heliograph.outbound.urls import Destination

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AllowList:
    names: frozenset[tuple[str, int | None]] = frozenset()  # (host, port or None for any)
    networks: tuple[tuple[Network, int | None], ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """Entries separated by commas or spaces; raises ValueError for a malformed one."""
        names: set[tuple[str, int | None]] = set()
        networks: list[tuple[Network, int | None]] = []
        for entry in text.replace(",", " ").split():
            host, port = _split_port(entry)
            try:
                networks.append((ipaddress.ip_network(host, strict=False), port))
            except ValueError:
                if "/" in host or not host.strip("."):
                    raise ValueError(f"not a host, host:port or CIDR: {entry!r}") from None
                names.add((host.lower().rstrip("."), port))
        return cls(frozenset(names), tuple(networks))

    def with_origins(self, destinations: list[Destination]) -> AllowList:
        """This list plus each destination's host:port (the operator's provider base URLs)."""
        extra = {(d.host, d.port) for d in destinations}
        return AllowList(self.names | extra, self.networks)

    def allows_name(self, host: str, port: int) -> bool:
        """Whether the host name itself is listed: whatever it resolves to may be called."""
        host = host.lower().rstrip(".")
        return (host, port) in self.names or (host, None) in self.names

    def allows_address(self, address: IPAddress, port: int) -> bool:
        return any(
            address in network and (allowed is None or allowed == port)
            for network, allowed in self.networks
        )


def _split_port(entry: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port`, `v6`, `cidr` -> (host, port or None)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, _port(entry, rest[1:]) if rest.startswith(":") else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, _port(entry, port)
    return entry, None


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad port in outbound allow-list entry {entry!r}")
    return int(text)

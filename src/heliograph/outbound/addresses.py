"""Which IP addresses an outbound call may reach: global unicast only."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not in Python's non-global lists on every version: CGNAT, and NAT64 (which embeds an IPv4
# address a gateway would then reach on the caller's behalf).
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = int(address)
    if address in _NAT64 or packed >> 32 == 0:  # NAT64, or deprecated `::a.b.c.d`
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether `address` is global unicast: not loopback, private, link-local (cloud
    metadata at 169.254.169.254 included), unique-local, CGNAT, multicast, reserved or
    unspecified, also when written as an IPv4 address inside an IPv6 one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return int(address) >> 32 != 0 and is_public(embedded)  # `::x` itself is reserved
    return not (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
    )

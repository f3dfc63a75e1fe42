"""Which addresses the crawler may connect to: public unicast only (no SSRF into the network it runs in)."""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services answer on these even where they are not in a "private" range.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
)
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


class AddressRefused(OSError):
    """A host resolved to (or is) an address the crawler must not connect to."""

    def __init__(self, host: str, address: str, why: str) -> None:
        super().__init__(f"address refused: {host} is {address} ({why})")
        self.host = host
        self.address = address
        self.why = why


def refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why the crawler must not connect to this address, or None if it is public unicast."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return refusal(str(mapped), allow_loopback=allow_loopback) or (
                None if ip.ipv4_mapped is not None else "6to4"
            )
        if ip.teredo is not None or ip in ipaddress.ip_network("64:ff9b::/96"):
            return "tunnelled IPv4"
    if ip in METADATA_ADDRESSES:
        return "metadata service"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    for why, hit in (
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("shared address space", isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_ADDRESS_SPACE),
        ("not global", not ip.is_global),
    ):
        if hit:
            return why
    return None


def check_host(host: str, *, allow_loopback: bool) -> None:
    """Raise AddressRefused when an IP-literal host is not allowed; host names are checked on resolution."""
    literal = host.strip("[]")
    try:
        ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        return
    why = refusal(literal, allow_loopback=allow_loopback)
    if why is not None:
        raise AddressRefused(host, literal, why)


class GuardedResolver(AbstractResolver):
    """Resolves through another resolver and refuses a host if any of its addresses is not allowed.

    The connector connects only to the addresses this returns, so a name that re-resolves to
    another address between check and connect (DNS rebinding) is checked on the address used.
    """

    def __init__(self, *, allow_loopback: bool, inner: AbstractResolver | None = None) -> None:
        self._inner = inner if inner is not None else DefaultResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            why = refusal(result["host"], allow_loopback=self._allow_loopback)
            if why is not None:
                raise AddressRefused(host, result["host"], why)
        return results

    async def close(self) -> None:
        await self._inner.close()

"""Which address a request came from, when load balancers in front add `X-Forwarded-For`.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only when the
direct peer is one of the operator's proxies (MUNI_TRUSTED_PROXIES), and then only as far as
trusted proxies vouch for it: walking the list from the right (each proxy appends the address
it got the request from), the client is the first address that is not a trusted proxy. What a
client writes into the header itself is further left and never chosen.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from muni.env import SettingsError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_trusted_proxies(raw: str | None, name: str = "MUNI_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """Comma-separated IP addresses and CIDR networks ("10.0.0.0/8, 127.0.0.1"); empty: trust none."""
    if raw is None:
        return ()
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(f"{name} must be IP addresses or CIDR networks separated by commas, got {item!r}") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(address: Address | None, trusted: Iterable[Network]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str | None:
    """The client: `peer` unless it is a trusted proxy; then the rightmost untrusted `X-Forwarded-For` address.

    `forwarded_for` holds the values of every X-Forwarded-For header, in order. When every
    forwarded address is a trusted proxy, the leftmost is the client; an entry that is not an
    address stops the walk at the proxy that forwarded it.
    """
    nearest = _address(peer or "")
    if not is_trusted(nearest, trusted):
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        nearest = address
        if not is_trusted(address, trusted):
            break
    return str(nearest)

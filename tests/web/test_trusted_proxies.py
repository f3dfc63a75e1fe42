"""The client address behind load balancers: X-Forwarded-For counts only when a trusted proxy sent it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.settings import GatewaySettings
from muni.proxies import client_address, parse_trusted_proxies
from tests.web.support import Client, ClientFactory

PROXIES = parse_trusted_proxies("10.0.0.0/8, 127.0.0.1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not a proxy: its header is ignored
        ("10.0.0.5", [], "10.0.0.5"),  # a proxy that forwarded nothing
        ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.5", ["198.51.100.1, 10.0.0.7"], "198.51.100.1"),  # through two proxies
        ("10.0.0.5", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # the client wrote 6.6.6.6 itself
        ("10.0.0.5", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # in two headers
        ("10.0.0.5", ["10.0.0.8, 10.0.0.7"], "10.0.0.8"),  # only proxies: the leftmost
        ("10.0.0.5", ["198.51.100.1, garbage"], "10.0.0.5"),  # not an address: stop at the proxy
        ("127.0.0.1", [" 2001:db8::1 "], "2001:db8::1"),
        (None, ["198.51.100.1"], None),
    ],
)
def test_the_rightmost_address_no_trusted_proxy_vouches_for_is_the_client(
    peer: str | None, forwarded: list[str], client: str | None
) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


async def new_conversation(client: Client, forwarded_for: str | None) -> int:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"}, headers=headers)
    return response.status


@pytest.fixture
def one_a_minute(settings: GatewaySettings) -> GatewaySettings:
    return replace(settings, conversations_per_minute=1)


async def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    make_client: ClientFactory, one_a_minute: GatewaySettings
) -> None:
    # The test client connects from 127.0.0.1, which stands for the load balancer here.
    client = await make_client(settings=replace(one_a_minute, trusted_proxies=parse_trusted_proxies("127.0.0.1")))
    assert await new_conversation(client, "198.51.100.1") == 201
    assert await new_conversation(client, "198.51.100.2") == 201, "another citizen behind the same proxy"
    assert await new_conversation(client, "198.51.100.1") == 429


async def test_a_client_cannot_escape_its_limit_by_writing_the_header_itself(
    make_client: ClientFactory, one_a_minute: GatewaySettings
) -> None:
    client = await make_client(settings=replace(one_a_minute, trusted_proxies=parse_trusted_proxies("127.0.0.1")))
    # The proxy appends the address it saw (198.51.100.1) after whatever the client sent.
    assert await new_conversation(client, "1.1.1.1, 198.51.100.1") == 201
    assert await new_conversation(client, "2.2.2.2, 198.51.100.1") == 429
    assert await new_conversation(client, "127.0.0.1, 198.51.100.1") == 429, "not even by naming a proxy"


async def test_from_an_untrusted_peer_the_header_is_ignored(
    make_client: ClientFactory, one_a_minute: GatewaySettings
) -> None:
    client = await make_client(settings=replace(one_a_minute, trusted_proxies=parse_trusted_proxies("10.0.0.0/8")))
    assert await new_conversation(client, "198.51.100.1") == 201
    assert await new_conversation(client, "198.51.100.2") == 429, "every request counts as the peer's"


async def test_metrics_through_a_proxy_are_the_remote_clients_not_loopback(
    make_client: ClientFactory, settings: GatewaySettings
) -> None:
    """A proxy on the same machine must not make every client look like loopback to /metrics."""
    client = await make_client(settings=replace(settings, trusted_proxies=parse_trusted_proxies("127.0.0.1")))
    assert (await client.get("/metrics")).status == 200
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.1"})).status in (401, 403)

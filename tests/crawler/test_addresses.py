"""The crawler connects to public unicast addresses only (no SSRF), loopback only where a test allows it."""

from __future__ import annotations

import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from crawler.addresses import AddressRefused, GuardedResolver, check_host, refusal

REFUSED = [
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "169.254.1.1",
    "100.100.100.200",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "::",
    "ff02::1",
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2001:db8::1",  # documentation
]
PUBLIC = ["8.8.8.8", "193.163.102.10", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8"]
LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]


@pytest.mark.parametrize("address", REFUSED)
def test_private_and_special_addresses_are_refused_even_with_loopback_allowed(address: str) -> None:
    assert refusal(address, allow_loopback=False) is not None
    assert refusal(address, allow_loopback=True) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address, allow_loopback=False) is None


@pytest.mark.parametrize("address", LOOPBACK)
def test_loopback_only_with_the_explicit_setting(address: str) -> None:
    assert refusal(address, allow_loopback=False) == "loopback"
    assert refusal(address, allow_loopback=True) is None


def test_ip_literal_hosts_are_checked_before_connecting() -> None:
    with pytest.raises(AddressRefused):
        check_host("[::ffff:a9fe:a9fe]", allow_loopback=True)
    with pytest.raises(AddressRefused):
        check_host("10.1.2.3", allow_loopback=True)
    check_host("testby.dk", allow_loopback=False)  # names are checked when they resolve
    check_host("127.0.0.1", allow_loopback=True)


class FakeResolver(AbstractResolver):
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        return [
            {"hostname": host, "host": address, "port": port, "family": family, "proto": 0, "flags": 0}
            for address in self.table[host]
        ]

    async def close(self) -> None:
        return None


async def test_a_name_is_refused_if_any_of_its_addresses_is() -> None:
    resolver = GuardedResolver(
        allow_loopback=False,
        inner=FakeResolver({"public.test": ["8.8.8.8"], "mixed.test": ["8.8.8.8", "10.0.0.7"], "local.test": ["127.0.0.1"]}),
    )
    assert [r["host"] for r in await resolver.resolve("public.test", 443)] == ["8.8.8.8"]
    with pytest.raises(AddressRefused, match="private"):
        await resolver.resolve("mixed.test", 443)
    with pytest.raises(AddressRefused, match="loopback"):
        await resolver.resolve("local.test", 443)

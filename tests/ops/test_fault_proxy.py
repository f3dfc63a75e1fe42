"""The fault proxies `make test-faults` puts in front of the booking API and PostgreSQL do what they say."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest

from bench.faultproxy import Fault, TcpFaultProxy, http_fault_proxy


class Echo(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = b'{"booking": {"reference": "SB-1"}}'
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def target() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


async def test_the_http_proxy_forwards_fails_and_holds_a_booking_on_command(target: int) -> None:
    with http_fault_proxy(f"http://127.0.0.1:{target}") as proxy:
        url = proxy.url + "/aarhus/v1/bookings"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            async with http.post(url, json={}) as response:
                assert await response.json() == {"booking": {"reference": "SB-1"}}
            proxy.fault = Fault("status", status=429, headers={"Retry-After": "30"})
            async with http.post(url, json={}) as response:
                assert (response.status, response.headers["Retry-After"]) == (429, "30")
            proxy.fault = Fault("garbage")
            async with http.post(url, json={}) as response:
                with pytest.raises(ValueError):
                    await response.json()
            proxy.fault = Fault("hold_booking")
            with pytest.raises(TimeoutError):
                async with http.post(url, json={}, timeout=aiohttp.ClientTimeout(total=1)):
                    pass
        assert proxy.booked.is_set() and proxy.bookings_made == 2, "the booking was made, its answer held"


async def test_the_tcp_proxy_can_be_cut_and_reopened(target: int) -> None:
    proxy = TcpFaultProxy(target)
    url = f"http://127.0.0.1:{proxy.port}/x"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http, http.post(url) as response:
            assert response.status == 201
        proxy.cut()
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", proxy.port), timeout=2):
            pass
        proxy.reopen()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http, http.post(url) as response:
            assert response.status == 201
    finally:
        proxy.close()

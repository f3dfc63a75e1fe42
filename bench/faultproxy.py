"""Fault injection in front of a real server, for `make test-faults` and the fault tests.

`HttpFaultProxy` forwards HTTP to a target (the booking sandbox) and, on command, answers slowly,
with an error status, with garbage, or forwards a booking and then holds its answer (so a test can
kill the action server while the booking exists but its answer has not arrived). `TcpFaultProxy`
forwards raw TCP (PostgreSQL) and can be cut and reopened, like a database server stopped and
started. Both run their own event loop in a thread, so the harness may block.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from bench.chatclient import free_port


@dataclass
class Fault:
    """What the proxy does to the next requests: `pass`, `slow`, `status`, `garbage` or `hold_booking`."""

    kind: str = "pass"
    seconds: float = 0.0
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)


class _LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def call(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)  # type: ignore[arg-type]

    def stop(self) -> None:
        async def cancel_the_rest() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.call(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)


class HttpFaultProxy:
    """An HTTP proxy to `target` whose behaviour the harness sets with `fault`."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self.fault = Fault()
        self.booked = threading.Event()  # set when a held booking reached the target
        self.release = threading.Event()  # set to let the held answer go (to a caller that may be gone)
        self.bookings_made = 0
        self._loop = _LoopThread("http-fault-proxy")
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._loop.call(self._start())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        fault = self.fault
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
        elif fault.kind == "status":
            return web.json_response({"error": {"code": "injected", "message": "fault"}}, status=fault.status,
                                     headers=fault.headers)
        elif fault.kind == "garbage":
            return web.Response(body=b"<html>\x00\xffnot json", content_type="application/json")
        answer = await self._forward(request)
        if request.method == "POST" and request.path.endswith("/bookings") and answer.status in (200, 201):
            self.bookings_made += 1
            if fault.kind == "hold_booking":
                self.booked.set()
                await asyncio.to_thread(self.release.wait, 60)
        return answer

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(
            request.method, self.target + request.path_qs, data=await request.read(), headers=headers
        ) as upstream:
            body = await upstream.read()
            return web.Response(body=body, status=upstream.status, content_type=upstream.content_type)

    def close(self) -> None:
        self.release.set()

        async def stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            if self._session is not None:
                await self._session.close()

        with contextlib.suppress(Exception):
            self._loop.call(stop())
        self._loop.stop()


class TcpFaultProxy:
    """Raw TCP to `target_port` on loopback; `cut()` closes the listener and every connection, `reopen()` listens again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = _LoopThread("tcp-fault-proxy")
        self.reopen()

    def reopen(self) -> None:
        async def start() -> None:
            self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)

        self._loop.call(start())

    def cut(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
            for writer in list(self._writers):
                writer.close()
            self._writers.clear()

        self._loop.call(stop())

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))
        self._writers.difference_update({writer, up_writer})

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.cut()
        self._loop.stop()


@contextlib.contextmanager
def http_fault_proxy(target: str) -> Iterator[HttpFaultProxy]:
    proxy = HttpFaultProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()

"""`python -m gateway`: the real entry point with the real tenant data, Rasa absent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def gateway_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    dead = f"http://127.0.0.1:{free_port()}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("MUNI_")}
    env.update(
        MUNI_SECRET_KEY="an-entry-point-test-secret-of-40-chars!!",
        MUNI_RASA_URL=dead,
        MUNI_ACTIONS_URL=dead,
        MUNI_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}",
        MUNI_RASA_TIMEOUT_S="2",
        MUNI_BOOKING_TIMEOUT_S="0.1",  # a booking call must fit inside the gateway's wait
        **extra,
    )
    return env


def test_bad_configuration_exits_with_a_message_naming_the_variable(tmp_path: Path) -> None:
    env = gateway_env(tmp_path, MUNI_PORT="http")
    result = subprocess.run(
        [sys.executable, "-m", "gateway"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "MUNI_PORT" in result.stderr


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway"],
        cwd=ROOT,
        env=gateway_env(tmp_path, MUNI_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gateway exited: {process.stdout.read() if process.stdout else ''}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gateway did not start listening within 30 s")
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        assert "0101901234" not in output and "010190-1234" not in output, "personal data in the process log"


async def test_the_gateway_serves_with_real_tenant_data_while_rasa_is_down(gateway: str) -> None:
    async with aiohttp.ClientSession(gateway) as http:
        async with http.get("/healthz") as response:
            assert response.status == 200
        async with http.get("/readyz") as response:
            assert response.status == 503
            checks = (await response.json())["checks"]
            assert checks["database"] == "ok" and checks["rasa"] != "ok" and checks["actions"] != "ok"
        async with http.post("/api/v1/conversations", json={"municipality": "gotham", "channel": "web"}) as response:
            assert response.status == 404
        async with http.post(
            "/api/v1/conversations", json={"municipality": "aarhus", "channel": "web", "topic": "passport"}
        ) as response:
            assert response.status == 201
            opened = await response.json()
        async with http.post(
            f"/api/v1/conversations/{opened['conversation_id']}/messages",
            json={"text": "mit cpr er 010190-1234"},
            headers={"Authorization": f"Bearer {opened['token']}"},
        ) as response:
            assert response.status == 503
            error = (await response.json())["error"]
    assert error["code"] == "assistant_unavailable"
    assert "kontaktcentret" in error["message"] and "kontaktcentret" in opened["messages"][0]["text"]

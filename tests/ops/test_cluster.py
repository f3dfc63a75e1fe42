"""`make run-cluster`'s layout: which parts, on which ports, talking to which; the files it writes."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from muni.env import SettingsError
from ops.cluster import LB_READY, ClusterConfig, cluster_environment, cluster_services, haproxy_binary, write_files
from tests.support.ports import free_port

SECRET = "c" * 48


@pytest.fixture
def config(tmp_path: Path) -> ClusterConfig:
    return ClusterConfig(
        var_dir=tmp_path / "cluster",
        postgres_url="postgresql://postgres:pw@db.internal:5433/postgres",
        redis_url="redis://cache.internal:6380/3",
        redis_prefix="municluster",
    )


def test_two_of_each_part_behind_haproxy_every_gateway_on_both_rasa_servers(config: ClusterConfig) -> None:
    files = write_files(config)
    parts = {part.name: part for part in cluster_services(config, SECRET, files, "/usr/sbin/haproxy")}
    assert set(parts) == {"actions1", "actions2", "rasa1", "rasa2", "gateway1", "gateway2", "booking", "haproxy"}
    assert parts["gateway1"].env == {
        "MUNI_PORT": "8081",
        "MUNI_RASA_URL": "http://127.0.0.1:5005,http://127.0.0.1:5006",
        "MUNI_ACTIONS_URL": "http://127.0.0.1:5055",
    }
    # In the same order in both: a conversation's Rasa is the same whichever gateway HAProxy picks.
    assert parts["gateway2"].env["MUNI_RASA_URL"] == "http://127.0.0.1:5005,http://127.0.0.1:5006"
    assert parts["gateway2"].env["MUNI_ACTIONS_URL"] == "http://127.0.0.1:5056"
    assert parts["gateway2"].ready_url == "http://127.0.0.1:8082/readyz"
    assert parts["rasa2"].argv[parts["rasa2"].argv.index("--endpoints") + 1] == str(files["endpoints-2"])
    assert parts["haproxy"].argv == ["/usr/sbin/haproxy", "-db", "-f", str(files["haproxy"])]
    assert parts["haproxy"].ready_url == "http://127.0.0.1:8080/lb/ready"


def test_every_rasa_replica_shares_the_postgresql_tracker_store_and_the_redis_lock_store(config: ClusterConfig) -> None:
    files = write_files(config)
    first, second = (yaml.safe_load(files[f"endpoints-{n}"].read_text()) for n in (1, 2))
    assert first["tracker_store"] == second["tracker_store"] == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 5433,
        "username": "postgres",
        "password": "pw",
        "db": "muni_cluster_rasa",
    }
    assert first["lock_store"] == {"type": "redis", "url": "cache.internal", "port": 6380, "db": 3, "key_prefix": "municluster"}
    assert first["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"
    assert second["action_endpoint"]["url"] == "http://127.0.0.1:5056/webhook"


def test_the_gateways_share_postgresql_and_redis_and_trust_only_the_local_proxy(config: ClusterConfig) -> None:
    env = cluster_environment(config)
    assert env["MUNI_DATABASE_URL"] == "postgresql+asyncpg://postgres:pw@db.internal:5433/muni_cluster"
    assert env["MUNI_REDIS_URL"] == "redis://cache.internal:6380/3"
    assert env["MUNI_TRUSTED_PROXIES"] == "127.0.0.1"
    assert env["MUNI_PUBLIC_URL"] == "http://127.0.0.1:8080"


def test_haproxy_checks_readiness_and_keeps_metrics_inside(config: ClusterConfig) -> None:
    text = write_files(config)["haproxy"].read_text()
    assert "bind 127.0.0.1:8080" in text
    assert "option httpchk GET /readyz" in text and "option forwardfor" in text
    assert "server gateway1 127.0.0.1:8081 check" in text and "server gateway2 127.0.0.1:8082 check" in text
    assert "deny deny_status 403 if { path_beg /metrics }" in text


@pytest.mark.skipif(haproxy_binary() is None, reason="needs HAProxy (make test installs it) to check the file")
def test_haproxy_accepts_the_configuration(config: ClusterConfig) -> None:
    haproxy = haproxy_binary()
    assert haproxy is not None
    path = write_files(config)["haproxy"]
    checked = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_settings_from_the_environment() -> None:
    config = ClusterConfig.from_env(
        {"MUNI_CLUSTER_PORT": "9000", "MUNI_CLUSTER_DATABASE": "mc", "MUNI_REDIS_URL": "redis://r:6379/1"}
    )
    assert (config.port, config.gateway_ports, config.database, config.redis_url) == (9000, (9001, 9002), "mc", "redis://r:6379/1")
    assert (config.rasa_ports, config.actions_ports) == ((5005, 5006), (5055, 5056))
    moved = ClusterConfig.from_env({"MUNI_RASA_PORT": "6005", "MUNI_ACTIONS_PORT": "6055", "MUNI_BOOKING_SANDBOX_PORT": "6090"})
    assert (moved.rasa_ports, moved.actions_ports, moved.booking_sandbox_port) == ((6005, 6006), (6055, 6056), 6090)
    with pytest.raises(SettingsError, match="MUNI_CLUSTER_REDIS_PREFIX"):
        ClusterConfig.from_env({"MUNI_CLUSTER_REDIS_PREFIX": "muni:cluster"})
    with pytest.raises(SettingsError, match="MUNI_CLUSTER_PORT"):
        ClusterConfig.from_env({"MUNI_CLUSTER_PORT": "http"})


class Gateway:
    """A stand-in gateway: /readyz as told, and which one answered a turn."""

    def __init__(self, name: str, port: int) -> None:
        self.name, self.port, self.ready = name, port, False
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        async def readyz(request: web.Request) -> web.Response:
            return web.json_response({"status": "ok"}, status=200 if self.ready else 503)

        async def turn(request: web.Request) -> web.Response:
            return web.json_response({"gateway": self.name})

        app = web.Application()
        app.router.add_get("/readyz", readyz)
        app.router.add_post("/api/v1/conversations", turn)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()


async def status_within(session: aiohttp.ClientSession, url: str, wanted: int, seconds: float) -> int:
    """The status of `url` once it is `wanted`, or the last one after `seconds` (HAProxy may still be starting)."""
    deadline = time.monotonic() + seconds
    status = 0
    while True:
        try:
            async with session.get(url) as response:
                status = response.status
        except aiohttp.ClientConnectionError:
            pass
        if status == wanted or time.monotonic() > deadline:
            return status
        await asyncio.sleep(0.2)


@pytest.fixture
async def haproxy_before_two_gateways(tmp_path: Path) -> AsyncIterator[tuple[str, list[Gateway]]]:
    haproxy = haproxy_binary()
    if haproxy is None:
        pytest.skip("needs HAProxy (make test installs it)")
    gateways = [Gateway("gateway1", free_port()), Gateway("gateway2", free_port())]
    config = ClusterConfig(var_dir=tmp_path / "cluster", port=free_port(), gateway_ports=tuple(g.port for g in gateways))
    process = subprocess.Popen([haproxy, "-db", "-f", str(write_files(config)["haproxy"])],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield config.url, gateways
    finally:
        process.terminate()
        process.wait(timeout=10)
        for gateway in gateways:
            if gateway.runner is not None:
                await gateway.runner.cleanup()


async def test_haproxy_says_ready_only_when_every_gateway_is_in_its_rotation(
    haproxy_before_two_gateways: tuple[str, list[Gateway]],
) -> None:
    """At start HAProxy finds the gateways not listening; the cluster is ready when both get turns, not one."""
    url, (one, two) = haproxy_before_two_gateways
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        # Until HAProxy has checked them, it counts both in: what Stack.wait_ready asks it only after the gateways.
        assert await status_within(session, url + LB_READY, 503, seconds=8) == 503
        await one.start()
        await two.start()
        one.ready = True
        assert await status_within(session, url + LB_READY, 200, seconds=6) == 503  # gateway 2 is not ready
        async with session.post(url + "/api/v1/conversations") as response:
            assert (await response.json())["gateway"] == "gateway1"
        two.ready = True
        assert await status_within(session, url + LB_READY, 200, seconds=6) == 200
        answered = []
        for _ in range(4):
            async with session.post(url + "/api/v1/conversations") as response:
                answered.append((await response.json())["gateway"])
        assert sorted(answered) == ["gateway1", "gateway1", "gateway2", "gateway2"]
        one.ready = False  # out of the rotation after two failed checks: not ready as a cluster
        assert await status_within(session, url + LB_READY, 503, seconds=8) == 503

"""`make run-cluster`: Muni as several replicas on one machine, behind HAProxy, on PostgreSQL and Redis.

Two gateways, two Rasa servers (SQL tracker store on PostgreSQL, Rasa's Redis lock store), two
action servers, the booking sandbox (unless a real booking API is configured) and HAProxy in front,
all supervised by the same `Stack` as `make run` (ops/supervisor.py): a part that dies is restarted
with back-off while the other replica keeps answering through HAProxy. Gateway *i* asks Rasa *i*,
which calls action server *i*: consecutive turns that HAProxy sends to different gateways are
answered by different Rasa servers from the one tracker store.

The HAProxy configuration and each Rasa replica's endpoints file are written into the cluster's
var folder from the templates in `deploy/cluster/`; the databases are created when missing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

import asyncpg
from sqlalchemy.engine import URL, make_url

from booking.settings import real_api_configured
from muni import paths
from muni.env import SettingsError, port, value
from muni.keys import rasa_token
from muni.paths import ROOT
from muni.shared_state import SharedStateError, call, connect, redis_url_from_env
from ops.processes import Service, TextSink
from ops.supervisor import Stack, StackConfig, rasa_command, rasa_url_list, run, secret_key

TEMPLATES = ROOT / "deploy" / "cluster"
REPLICAS = 2
LB_READY = "/lb/ready"  # HAProxy answers it itself: 200 while every gateway is in its rotation
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class ClusterConfig:
    """Where the cluster lives and listens; the defaults are `make run-cluster`'s."""

    root: Path = ROOT
    var_dir: Path = paths.var_dir() / "cluster"
    port: int = 8080  # HAProxy, the one entrance
    gateway_ports: tuple[int, ...] = (8081, 8082)
    rasa_ports: tuple[int, ...] = (5005, 5006)
    actions_ports: tuple[int, ...] = (5055, 5056)
    booking_sandbox_port: int = 8090
    postgres_url: str = DEFAULT_POSTGRES_URL  # a server and a database to connect to while creating ours
    database: str = "muni_cluster"  # the gateways' (and action servers' content); Rasa's is `<database>_rasa`
    redis_url: str = DEFAULT_REDIS_URL
    redis_prefix: str = "municluster"  # letters and digits: Rasa's lock store takes nothing else
    model: Path = ROOT / "models" / "muni.tar.gz"
    index_dir: Path = paths.var_dir() / "index"  # the index `make index` builds, read by both action servers
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ClusterConfig:
        base = port(environ, "MUNI_CLUSTER_PORT", 8080)
        rasa = port(environ, "MUNI_RASA_PORT", 5005)
        actions = port(environ, "MUNI_ACTIONS_PORT", 5055)
        prefix = value(environ, "MUNI_CLUSTER_REDIS_PREFIX") or cls.redis_prefix
        if not prefix.isalnum():
            raise SettingsError("MUNI_CLUSTER_REDIS_PREFIX must be letters and digits only (Rasa's lock store)")
        return cls(
            var_dir=paths.var_dir(environ) / "cluster",
            port=base,
            gateway_ports=(base + 1, base + 2),
            rasa_ports=(rasa, rasa + 1),
            actions_ports=(actions, actions + 1),
            booking_sandbox_port=port(environ, "MUNI_BOOKING_SANDBOX_PORT", 8090),
            postgres_url=value(environ, "MUNI_CLUSTER_POSTGRES_URL") or DEFAULT_POSTGRES_URL,
            database=value(environ, "MUNI_CLUSTER_DATABASE") or cls.database,
            redis_url=redis_url_from_env(environ) or DEFAULT_REDIS_URL,
            redis_prefix=prefix,
            index_dir=Path(value(environ, "MUNI_INDEX_DIR") or paths.var_dir(environ) / "index"),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.gateway_ports]

    @property
    def database_url(self) -> str:
        """The gateways' database, for SQLAlchemy on asyncpg."""
        return self._server.set(drivername="postgresql+asyncpg", database=self.database).render_as_string(
            hide_password=False
        )

    @property
    def rasa_database(self) -> str:
        return f"{self.database}_rasa"

    @property
    def _server(self) -> URL:
        return make_url(self.postgres_url)


def haproxy_binary() -> str | None:
    """HAProxy on PATH or where Debian puts it; None when it is not installed."""
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)), None
    )


async def create_databases(config: ClusterConfig) -> None:
    """The gateways' and Rasa's databases, created when missing."""
    server = make_url(config.postgres_url)
    connection = await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        database=server.database,
        timeout=5.0,
    )
    try:
        for name in (config.database, config.rasa_database):
            if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_databases(config: ClusterConfig) -> None:
    """The gateways' and Rasa's databases dropped, and the cluster's Redis keys deleted (a throwaway cluster)."""
    server = make_url(config.postgres_url)
    connection = await asyncpg.connect(
        host=server.host, port=server.port, user=server.username, password=server.password,
        database=server.database, timeout=5.0,
    )
    try:
        for name in (config.database, config.rasa_database):
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
    client = connect(config.redis_url, timeout_s=3.0)
    try:
        async for key in client.scan_iter(match=f"{config.redis_prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()


async def check_redis(config: ClusterConfig) -> None:
    """Redis must answer: Rasa's lock store needs it (the gateways would only fail open)."""
    client = connect(config.redis_url, timeout_s=3.0)
    try:
        await call("ping", client.ping(), timeout_s=3.0)
    finally:
        await client.aclose()


def write_files(config: ClusterConfig) -> dict[str, Path]:
    """HAProxy's configuration and each Rasa replica's endpoints, from deploy/cluster/ into the var folder."""
    config.var_dir.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(
        f"    server gateway{i} 127.0.0.1:{p} check" for i, p in enumerate(config.gateway_ports, start=1)
    )
    haproxy = config.var_dir / "haproxy.cfg"
    template = Template((TEMPLATES / "haproxy.cfg.template").read_text(encoding="utf-8"))
    haproxy.write_text(template.substitute(
        bind="127.0.0.1", port=config.port, gateways=len(config.gateway_ports), servers=servers
    ), encoding="utf-8")
    written = {"haproxy": haproxy}
    server = make_url(config.postgres_url)
    redis = urlsplit(config.redis_url)
    endpoints = Template((TEMPLATES / "endpoints.yml.template").read_text(encoding="utf-8"))
    for i, actions_port in enumerate(config.actions_ports, start=1):
        path = config.var_dir / f"endpoints-{i}.yml"
        path.write_text(
            endpoints.substitute(
                replica=i,
                actions_url=f"http://127.0.0.1:{actions_port}",
                pg_host=server.host or "127.0.0.1",
                pg_port=server.port or 5432,
                pg_user=server.username or "postgres",
                pg_password=server.password or "",
                pg_database=config.rasa_database,
                redis_host=redis.hostname or "127.0.0.1",
                redis_port=redis.port or 6379,
                redis_db=redis.path.strip("/") or "0",
                redis_prefix=config.redis_prefix,
            ),
            encoding="utf-8",
        )
        written[f"endpoints-{i}"] = path
    return written


def cluster_environment(config: ClusterConfig) -> dict[str, str]:
    """What every part shares: PostgreSQL, Redis, the proxy the gateways trust, the public address."""
    return {
        "MUNI_VAR_DIR": str(config.var_dir),
        "MUNI_DATABASE_URL": config.database_url,
        "MUNI_REDIS_URL": config.redis_url,
        "MUNI_REDIS_PREFIX": f"{config.redis_prefix}:",
        "MUNI_TRUSTED_PROXIES": "127.0.0.1",
        "MUNI_PUBLIC_URL": config.url,
        "MUNI_INDEX_DIR": str(config.index_dir),
        **config.extra_env,
    }


def cluster_services(config: ClusterConfig, secret: str, files: Mapping[str, Path], haproxy: str) -> list[Service]:
    """The replicas, the booking sandbox and HAProxy; every gateway → the conversation's Rasa → its action server.

    Every gateway lists both Rasa servers in the same order, so each conversation goes to the same Rasa
    (conversation/rasa.py: crc32 of its id) whichever gateway HAProxy picks, and that Rasa hands out the
    tracker it kept from the conversation's last turn instead of rebuilding it from PostgreSQL (with
    gateway i asking Rasa i, HAProxy's round robin sent every turn to the Rasa that had not answered
    the last one). While a Rasa refuses connections, its conversations go on with the other from the
    shared tracker store.
    """
    python = str(config.root / ".venv" / "bin" / "python")
    rasa = rasa_command(config.root)
    token = rasa_token(secret)
    parts: list[Service] = []
    rasa_urls = rasa_url_list(config.rasa_ports)
    for i in range(REPLICAS):
        n = i + 1
        actions_url = f"http://127.0.0.1:{config.actions_ports[i]}"
        rasa_url = f"http://127.0.0.1:{config.rasa_ports[i]}"
        parts.append(
            Service(
                f"actions{n}",
                [python, "-m", "actions", "--port", str(config.actions_ports[i])],
                f"{actions_url}/health",
            )
        )
        parts.append(
            Service(
                f"rasa{n}",
                [
                    *rasa, "run", "--model", str(config.model),
                    "--endpoints", str(files[f"endpoints-{n}"]), "--credentials", "credentials.yml",
                    "--interface", "127.0.0.1", "--port", str(config.rasa_ports[i]), "--enable-api",
                    "--auth-token", token,
                ],
                f"{rasa_url}/status?token={token}",
            )
        )
        parts.append(
            Service(
                f"gateway{n}",
                [python, "-m", "gateway"],
                f"{config.gateway_urls[i]}/readyz",
                env={"MUNI_PORT": str(config.gateway_ports[i]), "MUNI_RASA_URL": rasa_urls, "MUNI_ACTIONS_URL": actions_url},
            )
        )
    if not real_api_configured({**os.environ, **config.extra_env}):
        port_ = config.booking_sandbox_port
        parts.append(Service("booking", [python, "-m", "booking.sandbox"], f"http://127.0.0.1:{port_}/"))
    # Ready when every gateway is in HAProxy's rotation (deploy/cluster/haproxy.cfg.template's monitor-uri).
    parts.append(Service("haproxy", [haproxy, "-db", "-f", str(files["haproxy"])], f"{config.url}{LB_READY}"))
    return parts


def cluster_stack(config: ClusterConfig, log_sink: TextSink = sys.stdout) -> Stack:
    """The cluster as a `Stack`: databases created, files written; `start()` starts and waits for every part."""
    haproxy = haproxy_binary()
    if haproxy is None:
        raise SettingsError("HAProxy is not installed: `make run-cluster` installs it (apt-get install haproxy)")
    asyncio.run(create_databases(config))
    try:
        asyncio.run(check_redis(config))
    except SharedStateError as error:
        raise SettingsError(f"Redis at {config.redis_url} did not answer ({error}): set MUNI_REDIS_URL") from None
    files = write_files(config)
    config.var_dir.mkdir(parents=True, exist_ok=True)
    secret = os.environ.get("MUNI_SECRET_KEY") or config.extra_env.get("MUNI_SECRET_KEY") or secret_key(config.var_dir)
    stack_config = StackConfig(
        root=config.root,
        var_dir=config.var_dir,
        gateway_port=config.port,  # where Stack says Muni is ready: HAProxy
        booking_sandbox_port=config.booking_sandbox_port,
        model=config.model,
        extra_env={"MUNI_SECRET_KEY": secret, **cluster_environment(config)},
    )
    return Stack(stack_config, log_sink, services=cluster_services(config, secret, files, haproxy))


def main() -> int:
    try:
        config = ClusterConfig.from_env()
        stack = cluster_stack(config)
    except SettingsError as error:
        print(f"run-cluster: {error}", file=sys.stderr)
        return 2
    except (OSError, asyncpg.PostgresError) as error:
        print(f"run-cluster: PostgreSQL at {ClusterConfig.from_env().postgres_url} did not answer: {error}", file=sys.stderr)
        return 2
    print(
        f"Starting the cluster: HAProxy on {config.url}, gateways on {', '.join(config.gateway_urls)}, "
        f"Rasa on {', '.join(map(str, config.rasa_ports))}, actions on {', '.join(map(str, config.actions_ports))}; "
        f"PostgreSQL database {config.database}, Redis {config.redis_url}",
        flush=True,
    )
    return run(stack)


if __name__ == "__main__":
    sys.exit(main())

"""Start the whole system on embedded defaults: action server, Rasa, gateway.

With ``MUNI_RESYNC_HOURS`` set, it also re-crawls and re-indexes the
municipalities' websites on that schedule (ops/resync.py).

`make run` calls `python -m ops.supervisor`. Each part is a real process listening
on loopback (only the gateway is meant to face the internet). A part that dies
is restarted after a back-off (1 s doubling to 30 s) while the others keep
running, so the gateway keeps answering citizens (through the other Rasa process while
one is down, with a 503 and the contact centre's number while both are); a part that crashes 5 times within 2 minutes
is given up on: the supervisor stops the rest and exits 1, so the supervisor above
it (systemd, a container runtime) sees the failure. The end-to-end tests start the
same stack through `Stack` on their own ports and folders.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from booking.settings import real_api_configured
from muni import paths
from muni.keys import rasa_token
from muni.paths import ROOT
from ops.processes import DEFAULT_POLICY, Children, GaveUp, LineSink, RestartPolicy, Service, TextSink
from ops.resync import Resync, ResyncSchedule

# Two Rasa processes on one machine: a turn waits behind half as many others (issue 16's p95), and a
# Rasa that dies leaves the other answering every conversation while it restarts.
DEFAULT_RASA_PROCESSES = 2
MAX_RASA_PROCESSES = 4

__all__ = ["ROOT", "Service", "Stack", "StackConfig", "environment", "main", "rasa_command", "rasa_name", "run", "services"]


@dataclass(frozen=True)
class StackConfig:
    """Where the stack lives and listens; defaults are the embedded ones."""

    root: Path = ROOT
    var_dir: Path = paths.var_dir()
    gateway_port: int = 8080
    # Rasa's processes (MUNI_RASA_PROCESSES of them, on MUNI_RASA_PORT and the ports after it). Rasa
    # answers one message at a time on one thread; the gateway sends each conversation to the same
    # one and, while that one is down, to the next (conversation/rasa.py).
    rasa_ports: tuple[int, ...] = tuple(5005 + index for index in range(DEFAULT_RASA_PROCESSES))
    actions_port: int = 5055
    booking_sandbox_port: int = 8090
    model: Path = ROOT / "models" / "muni.tar.gz"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # Rasa by its own `rasa` command, without bot/rasa_main.py: `make bench-load`'s named alternative.
    stock_rasa: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> StackConfig:
        def port(name: str, default: int) -> int:
            raw = environ.get(name, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise SystemExit(f"{name} must be a TCP port number, got {raw!r}")
            return int(raw)

        raw = environ.get("MUNI_RASA_PROCESSES", "").strip() or str(DEFAULT_RASA_PROCESSES)
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_RASA_PROCESSES:
            raise SystemExit(f"MUNI_RASA_PROCESSES must be a number from 1 to {MAX_RASA_PROCESSES}, got {raw!r}")
        rasa = port("MUNI_RASA_PORT", 5005)
        return cls(
            var_dir=paths.var_dir(environ),
            gateway_port=port("MUNI_PORT", 8080),
            rasa_ports=tuple(rasa + index for index in range(int(raw))),
            actions_port=port("MUNI_ACTIONS_PORT", 5055),
            booking_sandbox_port=port("MUNI_BOOKING_SANDBOX_PORT", 8090),
        )

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def rasa_port(self) -> int:
        """The first Rasa's port."""
        return self.rasa_ports[0]


def secret_key(var_dir: Path) -> str:
    """The gateway's token key: MUNI_SECRET_KEY, or one kept in var/ for local runs."""
    if key := os.environ.get("MUNI_SECRET_KEY"):
        return key
    path = var_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def rasa_url_list(ports: Sequence[int]) -> str:
    """MUNI_RASA_URL for Rasa servers on loopback `ports`, in order (a conversation's server is picked by position)."""
    return ",".join(f"http://127.0.0.1:{port}" for port in ports)


def environment(config: StackConfig) -> dict[str, str]:
    config.var_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "MUNI_PORT": str(config.gateway_port),
            "MUNI_RASA_URL": rasa_url_list(config.rasa_ports),
            "MUNI_ACTIONS_URL": f"http://127.0.0.1:{config.actions_port}",
            "MUNI_SECRET_KEY": secret_key(config.var_dir),
            "SANIC_HOST": "127.0.0.1",  # rasa-sdk's action server listens on loopback only
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("MUNI_DATABASE_URL", f"sqlite+aiosqlite:///{config.var_dir / 'muni.db'}")
    env.setdefault("MUNI_RASA_TRACKER_DB", str(config.var_dir / "rasa_tracker.db"))
    # The booking sandbox stands in for FrontDesk wherever no real booking API is configured.
    env["MUNI_BOOKING_SANDBOX_PORT"] = str(config.booking_sandbox_port)
    env["MUNI_BOOKING_SANDBOX_URL"] = f"http://127.0.0.1:{config.booking_sandbox_port}"
    env.setdefault("MUNI_BOOKING_SANDBOX_DB", str(config.var_dir / "booking_sandbox.db"))
    # The websites' knowledge: crawl stores and local-mode index generations (knowledge/index/README.md).
    env.setdefault("MUNI_CRAWL_DIR", str(config.var_dir / "crawl"))
    env.setdefault("MUNI_INDEX_DIR", str(config.var_dir / "index"))
    # The action server embeds one short question at a time beside Rasa: one torch thread each.
    env.setdefault("MUNI_EMBEDDING_THREADS", "1")
    env.update(config.extra_env)
    return env


def rasa_command(root: Path) -> list[str]:
    """Rasa's own `rasa` command, with Muni's one change to Rasa at run time (bot/rasa_main.py)."""
    return [str(root / ".venv-rasa" / "bin" / "python"), str(root / "bot" / "rasa_main.py")]


def rasa_name(index: int) -> str:
    """The supervisor's name for Rasa process `index`: rasa, rasa2, rasa3, …"""
    return "rasa" if index == 0 else f"rasa{index + 1}"


def services(config: StackConfig, secret: str) -> list[Service]:
    """Muni's parts; Rasa's HTTP API takes only requests with the token derived from `secret`."""
    python = str(config.root / ".venv" / "bin" / "python")
    rasa = [str(config.root / ".venv-rasa" / "bin" / "rasa")] if config.stock_rasa else rasa_command(config.root)
    token = rasa_token(secret)
    return [
        Service(
            "actions",
            [python, "-m", "actions", "--port", str(config.actions_port)],
            f"http://127.0.0.1:{config.actions_port}/health",
        ),
        *(
            Service(
                rasa_name(index),
                [
                    *rasa, "run", "--model", str(config.model),
                    "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                    "--interface", "127.0.0.1", "--port", str(port), "--enable-api",
                    "--auth-token", token,
                ],
                f"http://127.0.0.1:{port}/status?token={token}",
            )
            for index, port in enumerate(config.rasa_ports)
        ),
        Service("gateway", [python, "-m", "gateway"], f"{config.gateway_url}/readyz"),
        *_booking_sandbox(config, python),
    ]


def _booking_sandbox(config: StackConfig, python: str) -> list[Service]:
    """The SANDBOX booking server, unless a real booking API is configured (booking/settings.py)."""
    if real_api_configured({**os.environ, **config.extra_env}):
        return []
    port = config.booking_sandbox_port
    return [Service("booking", [python, "-m", "booking.sandbox"], f"http://127.0.0.1:{port}/")]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Stack:
    """The running processes of one Muni deployment.

    `start` starts them and waits until each is ready; `supervise` then restarts any that
    dies (ops/processes.py) until `stop`. Tests may pass their own `services`.
    """

    def __init__(
        self,
        config: StackConfig,
        log_sink: TextSink = sys.stdout,
        *,
        services: Sequence[Service] | None = None,
        policy: RestartPolicy = DEFAULT_POLICY,
    ) -> None:
        self.config = config
        self.sink = LineSink(log_sink)
        self.policy = policy
        self._services = services
        self.children: Children | None = None
        self.resync: Resync | None = None

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        """The current process of each part (a restarted part has a new one)."""
        return {} if self.children is None else self.children.processes

    def start(self, timeout_s: float = 240.0) -> None:
        env = environment(self.config)
        parts = services(self.config, env["MUNI_SECRET_KEY"]) if self._services is None else self._services
        self.children = Children(parts, cwd=self.config.root, env=env, sink=self.sink, policy=self.policy)
        self.children.start_all()
        self.wait_ready(timeout_s)
        if self._services is None:
            python = self.config.root / ".venv" / "bin" / "python"
            schedule = ResyncSchedule.from_env(env, python)
            self.resync = Resync(schedule, cwd=self.config.root, env=env, log_sink=self.sink)
            self.resync.start()

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until every part answers its ready URL; a part that exits first fails the start.

        The parts are asked in their order, each once those before it are ready: a part's readiness
        may stand on theirs (the cluster's HAProxy is ready when every gateway is in its rotation,
        and says so before it has checked them).
        """
        assert self.children is not None, "start() first"
        deadline = time.monotonic() + timeout_s
        pending = {c.service.name: c.service.ready_url for c in self.children.children.values()}
        while pending:
            for name in pending:
                process = self.processes[name]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with code {process.returncode} before it was ready"
                        " (its output is above, prefixed with its name)"
                    )
            for name, url in list(pending.items()):
                if url is not None and not _answers(url):
                    break
                del pending[name]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout_s:.0f}s: {', '.join(pending)}")
            time.sleep(0.5)

    def supervise(self) -> GaveUp | None:
        """Restart parts that die until `stop` (None), or until one crash-loops (GaveUp)."""
        assert self.children is not None, "start() first"
        return self.children.supervise()

    def stop(self) -> None:
        if self.resync is not None:
            self.resync.stop()
        if self.children is not None:
            self.children.stop()

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Stopped(Exception):
    """SIGTERM arrived: stop like Ctrl-C does."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def run(stack: Stack) -> int:
    """Start the stack and keep it healthy until Ctrl-C or SIGTERM (0) or a crash loop (1)."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        stack.start()
        stack.sink.write_line(
            f"\nMuni is ready: {stack.config.gateway_url}  (chat API under /api/v1; Ctrl-C stops)\n"
        )
        gave_up = stack.supervise()
        return 0 if gave_up is None else 1
    except (KeyboardInterrupt, _Stopped):
        return 0
    except (RuntimeError, TimeoutError) as error:
        stack.sink.write_line(f"{'muni':>8} | the stack did not start: {error}")
        return 1
    finally:
        # A second Ctrl-C or SIGTERM while the parts stop must not leave them running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        if stack.sink.broken:
            _quiet_stdout()


def _quiet_stdout() -> None:
    """Our stdout is a closed pipe: point it at /dev/null so the interpreter's last flush is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            continue


def main() -> int:
    return run(Stack(StackConfig.from_env()))


if __name__ == "__main__":
    sys.exit(main())

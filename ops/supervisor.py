"""Start the whole system on embedded defaults: action server, Rasa, gateway.

With ``MUNI_RESYNC_HOURS`` set, it also re-crawls and re-indexes the
municipalities' websites on that schedule (ops/resync.py).

`make run` calls `python -m ops.supervisor`. Each part is a real process listening
on loopback (only the gateway is meant to face the internet); if one of them
dies, the others are stopped too, so a supervisor (systemd, a container
runtime) sees the failure. The end-to-end tests start the same stack through
`Stack` on their own ports and folders.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from booking.settings import real_api_configured
from muni import paths
from muni.paths import ROOT
from ops.resync import Resync, ResyncSchedule


@dataclass(frozen=True)
class StackConfig:
    """Where the stack lives and listens; defaults are the embedded ones."""

    root: Path = ROOT
    var_dir: Path = paths.var_dir()
    gateway_port: int = 8080
    rasa_port: int = 5005
    actions_port: int = 5055
    booking_sandbox_port: int = 8090
    model: Path = ROOT / "models" / "muni.tar.gz"
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> StackConfig:
        def port(name: str, default: int) -> int:
            raw = environ.get(name, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise SystemExit(f"{name} must be a TCP port number, got {raw!r}")
            return int(raw)

        return cls(
            var_dir=paths.var_dir(environ),
            gateway_port=port("MUNI_PORT", 8080),
            rasa_port=port("MUNI_RASA_PORT", 5005),
            actions_port=port("MUNI_ACTIONS_PORT", 5055),
            booking_sandbox_port=port("MUNI_BOOKING_SANDBOX_PORT", 8090),
        )

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    ready_url: str


def secret_key(var_dir: Path) -> str:
    """The gateway's token key: MUNI_SECRET_KEY, or one kept in var/ for local runs."""
    if key := os.environ.get("MUNI_SECRET_KEY"):
        return key
    path = var_dir / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def environment(config: StackConfig) -> dict[str, str]:
    config.var_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "MUNI_PORT": str(config.gateway_port),
            "MUNI_RASA_URL": f"http://127.0.0.1:{config.rasa_port}",
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


def services(config: StackConfig) -> list[Service]:
    python = str(config.root / ".venv" / "bin" / "python")
    rasa = str(config.root / ".venv-rasa" / "bin" / "rasa")
    return [
        Service(
            "actions",
            [python, "-m", "actions", "--port", str(config.actions_port)],
            f"http://127.0.0.1:{config.actions_port}/health",
        ),
        Service(
            "rasa",
            [
                rasa, "run", "--model", str(config.model),
                "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                "--interface", "127.0.0.1", "--port", str(config.rasa_port), "--enable-api",
            ],
            f"http://127.0.0.1:{config.rasa_port}/status",
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
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _pipe_output(name: str, stream, sink) -> None:
    for line in iter(stream.readline, b""):
        sink.write(f"{name:>8} | {line.decode(errors='replace')}")
        sink.flush()


class Stack:
    """The running processes of one Muni deployment."""

    def __init__(self, config: StackConfig, log_sink=sys.stdout) -> None:
        self.config = config
        self.log_sink = log_sink
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.resync: Resync | None = None

    def start(self, timeout_s: float = 240.0) -> None:
        env = environment(self.config)
        for service in services(self.config):
            process = subprocess.Popen(
                service.argv,
                cwd=self.config.root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.processes[service.name] = process
            threading.Thread(
                target=_pipe_output, args=(service.name, process.stdout, self.log_sink), daemon=True
            ).start()
        self.wait_ready(timeout_s)
        python = self.config.root / ".venv" / "bin" / "python"
        self.resync = Resync(ResyncSchedule.from_env(env, python), cwd=self.config.root, env=env, log_sink=self.log_sink)
        self.resync.start()

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        pending = {s.name: s.ready_url for s in services(self.config)}
        while pending:
            for name, url in list(pending.items()):
                if self.processes[name].poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with code {self.processes[name].returncode} before it was ready"
                        " (its output is above, prefixed with its name)"
                    )
                if _answers(url):
                    del pending[name]
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout_s:.0f}s: {', '.join(pending)}")
            time.sleep(0.5)

    def first_exit(self) -> tuple[str, int]:
        while True:
            for name, process in self.processes.items():
                if (code := process.poll()) is not None:
                    return name, code
            time.sleep(0.5)

    def stop(self) -> None:
        if self.resync is not None:
            self.resync.stop()
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> int:
    config = StackConfig.from_env()
    stack = Stack(config)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        stack.start()
        print(f"\nMuni is ready: {config.gateway_url}  (chat API under /api/v1; Ctrl-C stops)\n", flush=True)
        name, code = stack.first_exit()
        print(f"{name} stopped with exit code {code}; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())

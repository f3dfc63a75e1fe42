"""A small client of Muni's chat API, for the evaluation and the benchmarks."""
from __future__ import annotations

import contextlib
import math
import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from ops.supervisor import ROOT, Stack, StackConfig


@dataclass(frozen=True)
class Turn:
    """One answer through the chat API and how long it took."""

    status: int
    body: dict[str, Any]
    seconds: float

    @property
    def topic(self) -> str | None:
        return self.body.get("topic")

    @property
    def source(self) -> str | None:
        return self.body.get("source")


class ChatClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")

    async def start(self, municipality: str, channel: str = "api", language: str | None = None) -> tuple[str, str]:
        body: dict[str, str] = {"municipality": municipality, "channel": channel}
        if language is not None:
            body["language"] = language
        async with self.session.post(f"{self.base_url}/api/v1/conversations", json=body) as response:
            body = await response.json()
            if response.status != 201:
                raise RuntimeError(f"could not start a conversation: {response.status} {body}")
            return body["conversation_id"], body["token"]

    async def say(self, conversation: tuple[str, str], text: str) -> Turn:
        conversation_id, token = conversation
        started = time.perf_counter()
        async with self.session.post(
            f"{self.base_url}/api/v1/conversations/{conversation_id}/messages",
            json={"text": text},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            body = await response.json()
            return Turn(response.status, body, time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rasa_ports(processes: int = len(StackConfig.rasa_ports)) -> tuple[int, ...]:
    """Free ports for Rasa's processes: as many as `make run` starts unless told."""
    return tuple(free_port() for _ in range(processes))


@contextlib.contextmanager
def gateway(url: str | None = None, model: Path | None = None) -> Iterator[str]:
    """The URL of a running gateway: the one given, or a whole stack started for the run (on `model`)."""
    if url:
        yield url
        return
    with measurement_stack(model=model) as config:
        yield config.gateway_url


@contextlib.contextmanager
def measurement_stack(
    extra_env: Mapping[str, str] | None = None, model: Path | None = None
) -> Iterator[StackConfig]:
    """A whole stack on free ports and a throwaway folder, for one measurement (plus extra_env; on `model`)."""
    with tempfile.TemporaryDirectory(prefix="muni-") as var_dir:
        gateway_port = free_port()
        config = StackConfig(
            var_dir=Path(var_dir),
            gateway_port=gateway_port,
            rasa_ports=rasa_ports(),
            actions_port=free_port(),
            booking_sandbox_port=free_port(),
            model=model if model is not None else StackConfig.model,
            extra_env={
                "MUNI_SECRET_KEY": os.environ.get("MUNI_SECRET_KEY", "x" * 48),
                # Measurements come from one address at a rate no citizen reaches.
                "MUNI_CONVERSATIONS_PER_MINUTE": "100000",
                "MUNI_MESSAGES_PER_MINUTE": "100000",
                "MUNI_VAR_DIR": var_dir,
                # The knowledge index `make index` built (guides and any crawled site), read-only here.
                "MUNI_INDEX_DIR": os.environ.get("MUNI_INDEX_DIR", str(ROOT / "var" / "index")),
                # Signed webhooks (voice) are checked against the URL the measurement calls.
                "MUNI_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
                **(extra_env or {}),
            },
        )
        log = open(Path(var_dir) / "stack.log", "w")  # noqa: SIM115 (closed below)
        try:
            print(f"starting Muni on {config.gateway_url} (log: {log.name}) …", flush=True)
            with Stack(config, log_sink=log):
                yield config
        except (RuntimeError, TimeoutError):
            log.flush()
            tail = Path(log.name).read_text(errors="replace").splitlines()[-40:]
            print("the stack failed to start; the end of its log:", *tail, sep="\n", file=sys.stderr)
            raise
        finally:
            log.close()


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]

"""The whole stack as real processes, for the end-to-end and browser tests."""
from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from ops.supervisor import ROOT, Stack, StackConfig
from tests.support.ports import free_port

STACK_NEEDS = (ROOT / ".venv-rasa", ROOT / "models" / "muni.tar.gz")
needs_stack = pytest.mark.skipif(
    not all(path.exists() for path in STACK_NEEDS),
    reason=f"needs the Rasa environment and a trained model; missing: "
    f"{', '.join(str(path) for path in STACK_NEEDS if not path.exists())} (make setup builds both)",
)


@contextlib.contextmanager
def running_stack(
    var_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    booking_sandbox_port: int | None = None,
    log: io.StringIO | None = None,
    rasa_processes: int = 1,
) -> Iterator[Stack]:
    """Rasa, actions, booking sandbox and gateway on free ports, writing under var_dir.

    One Rasa process unless asked for more (`make run` starts two): each Rasa costs a minute of the
    machine's two cores to start and 1.2 GB; tests/e2e/test_chat_end_to_end.py runs make run's two.

    A stack that fails to start fails the test with the end of its output; `log` receives the
    processes' output lines (each prefixed with the process's name).
    """
    gateway_port = free_port()
    # MUNI_TEST_MODEL runs the stack on another trained model (one trained into a folder of one's own).
    model = os.environ.get("MUNI_TEST_MODEL")
    config = StackConfig(
        model=Path(model) if model else StackConfig.model,
        var_dir=var_dir,
        gateway_port=gateway_port,
        rasa_ports=tuple(free_port() for _ in range(rasa_processes)),
        actions_port=free_port(),
        booking_sandbox_port=booking_sandbox_port or free_port(),
        extra_env={
            "MUNI_SECRET_KEY": "tests-" + "k" * 42,
            "MUNI_VAR_DIR": str(var_dir),
            "MUNI_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
            **(env or {}),
        },
    )
    log = io.StringIO() if log is None else log
    stack = Stack(config, log_sink=log)
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as error:
        stack.stop()
        pytest.fail(f"{error}\n{log.getvalue()[-6000:]}")
    try:
        yield stack
    finally:
        stack.stop()

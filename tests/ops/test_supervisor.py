"""`make run`'s supervisor stops cleanly (Ctrl-C, SIGTERM, its own output gone) and starts Rasa locked."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from muni.keys import rasa_token
from ops.processes import Service
from ops.supervisor import ROOT, Stack, StackConfig, environment, services
from tests.support.ports import free_port

# A stack of one part that talks a lot: what `make run` does, minus Muni.
SUPERVISED = """
import sys
from pathlib import Path
from ops.processes import Service
from ops.supervisor import Stack, StackConfig, run

talker = (
    "import os, time\\nprint('pid', os.getpid(), flush=True)\\n"
    "while True:\\n    print('x' * 80, flush=True)\\n    time.sleep(0.001)"
)
stack = Stack(StackConfig(var_dir=Path(sys.argv[1])), services=[Service("talker", [sys.executable, "-c", talker])])
sys.exit(run(stack))
"""


def supervisor(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISED, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "MUNI_SECRET_KEY": "tests-" + "k" * 42, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    child_pid, ready = 0, False
    while time.monotonic() < deadline:
        line = process.stdout.readline().decode()
        if "talker | pid" in line:
            child_pid = int(line.split()[-1])
        ready = ready or "Muni is ready" in line
        if ready and child_pid:
            return process, child_pid
    process.kill()
    pytest.fail("the supervisor did not get ready")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stopping_is_clean(tmp_path: Path, signum: signal.Signals) -> None:
    process, child = supervisor(tmp_path)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert stderr.decode() == "", "no traceback, no 'Exception ignored'"
    assert gone(child)


def test_stopping_is_clean_when_its_own_output_is_a_closed_pipe(tmp_path: Path) -> None:
    process, child = supervisor(tmp_path)
    assert process.stdout is not None
    process.stdout.close()  # the reader went away (`make run | head`, a closed terminal)
    time.sleep(1.0)  # the talker keeps writing: the supervisor keeps draining it into nothing
    assert process.poll() is None and not gone(child)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert process.stderr is not None
    assert process.stderr.read().decode() == ""
    assert gone(child)


def test_rasa_is_started_with_its_token_and_checked_with_it(tmp_path: Path) -> None:
    secret = "tests-" + "k" * 42
    rasa = next(s for s in services(StackConfig(var_dir=tmp_path), secret) if s.name == "rasa")
    token = rasa_token(secret)
    assert rasa.argv[rasa.argv.index("--auth-token") + 1] == token
    assert rasa.ready_url is not None and rasa.ready_url.endswith(f"/status?token={token}")
    assert len(token) == 64 and token != rasa_token("another-" + "k" * 42)


def test_make_run_starts_two_rasa_processes_and_tells_the_gateway_of_both(tmp_path: Path) -> None:
    config = StackConfig.from_env({"MUNI_VAR_DIR": str(tmp_path), "MUNI_RASA_PORT": "6005"})
    assert config.rasa_ports == (6005, 6006) and config.rasa_port == 6005
    rasas = [s for s in services(config, "tests-" + "k" * 42) if "--model" in s.argv]
    assert [(s.name, s.argv[s.argv.index("--port") + 1]) for s in rasas] == [("rasa", "6005"), ("rasa2", "6006")]
    assert environment(config)["MUNI_RASA_URL"] == "http://127.0.0.1:6005,http://127.0.0.1:6006"


def test_the_number_of_rasa_processes_is_a_setting(tmp_path: Path) -> None:
    config = StackConfig.from_env({"MUNI_VAR_DIR": str(tmp_path), "MUNI_RASA_PROCESSES": "1"})
    assert config.rasa_ports == (5005,)
    assert environment(config)["MUNI_RASA_URL"] == "http://127.0.0.1:5005"
    for bad in ("0", "5", "two"):
        with pytest.raises(SystemExit, match="MUNI_RASA_PROCESSES"):
            StackConfig.from_env({"MUNI_VAR_DIR": str(tmp_path), "MUNI_RASA_PROCESSES": bad})


def test_muni_prints_the_rasa_token_for_operators(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from ops.cli import main

    secret = "operators-" + "k" * 40
    monkeypatch.setenv("MUNI_SECRET_KEY", secret)
    assert main(["rasa-token"]) == 0
    assert capsys.readouterr().out.strip() == rasa_token(secret)
    monkeypatch.delenv("MUNI_SECRET_KEY")
    assert main(["rasa-token"]) == 2
    assert "MUNI_SECRET_KEY is required" in capsys.readouterr().err


# A part that answers its ready URL from `ready_after` seconds on, and notes when it was asked.
READY_LATER = """
import http.server, sys, time
port, ready_after, asked = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
born = time.time()

class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(asked, "a") as notes:
            notes.write(f"{time.time()}\\n")
        self.send_response(200 if time.time() - born > ready_after else 503)
        self.end_headers()

    def log_message(self, *args):
        pass

http.server.HTTPServer(("127.0.0.1", port), Ready).serve_forever()
"""


def test_each_part_is_asked_whether_it_is_ready_only_after_those_before_it(tmp_path: Path) -> None:
    """The cluster's HAProxy says ready before it has checked the gateways: it is asked after them."""
    ports = {"gateway": free_port(), "haproxy": free_port()}
    parts = [
        Service(name, [sys.executable, "-c", READY_LATER, str(port), "2.0" if name == "gateway" else "0",
                       str(tmp_path / f"{name}.asked")], f"http://127.0.0.1:{port}/")
        for name, port in ports.items()
    ]
    stack = Stack(StackConfig(var_dir=tmp_path), log_sink=io.StringIO(), services=parts)
    started = time.time()
    try:
        stack.start(timeout_s=30)
    finally:
        stack.stop()
    asked = {name: [float(t) for t in (tmp_path / f"{name}.asked").read_text().split()] for name in ports}
    assert len(asked["gateway"]) >= 2 and asked["gateway"][-1] - started >= 2.0  # it said 503 first
    assert len(asked["haproxy"]) == 1  # asked once, when its turn came: it was ready by then
    assert asked["haproxy"][0] >= asked["gateway"][-1]

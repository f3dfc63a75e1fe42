"""/readyz names the part that is not ready: Rasa's model, the action server, its knowledge index, the database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conversation.state import ENGINE
from gateway.settings import GatewaySettings
from tests.web.support import Client, ClientFactory, FakeRasa


async def readiness(client: Client) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    body: dict[str, Any] = await response.json()
    return response.status, body


async def test_ready_when_every_part_answers(client: Client) -> None:
    status, body = await readiness(client)
    assert status == 200
    assert body == {"status": "ok", "checks": {"rasa": "ok", "actions": "ok", "index": "ok", "database": "ok"}}


@pytest.mark.parametrize(
    ("break_it", "reason"),
    [
        (lambda rasa: setattr(rasa, "model_file", None), "no model loaded"),
        (lambda rasa: setattr(rasa, "model_file", ""), "no model loaded"),
        (lambda rasa: setattr(rasa, "status_code", 500), "HTTP 500"),
    ],
    ids=["no model", "empty model_file", "status 500"],
)
async def test_not_ready_without_a_loaded_model(
    client: Client, rasa: FakeRasa, break_it: Callable[[FakeRasa], None], reason: str
) -> None:
    break_it(rasa)
    status, body = await readiness(client)
    assert status == 503
    assert body == {"status": "not_ready", "checks": {"rasa": reason, "actions": "ok", "index": "ok", "database": "ok"}}


async def test_rasa_is_asked_with_its_token_and_a_wrong_one_is_not_ready(
    make_client: ClientFactory, settings: GatewaySettings
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, secret_key="another-secret-" + "x" * 30))
    status, body = await readiness(client)
    assert status == 503
    assert body["checks"]["rasa"] == "HTTP 401"


async def test_not_ready_when_rasa_is_unreachable(
    make_client: ClientFactory, settings: GatewaySettings, closed_port_url: str
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, rasa_url=closed_port_url))
    status, body = await readiness(client)
    assert status == 503
    assert body["checks"] == {"rasa": "unreachable (ClientConnectorError)", "actions": "ok", "index": "ok", "database": "ok"}


async def test_not_ready_when_rasa_hangs(client: Client, rasa: FakeRasa) -> None:
    rasa.hang = True
    status, body = await readiness(client)
    assert status == 503
    assert body["checks"]["rasa"] == "no answer within 2 s"


async def test_not_ready_when_the_action_server_fails(client: Client, rasa: FakeRasa) -> None:
    rasa.health_code = 503
    status, body = await readiness(client)
    assert status == 503
    assert body["checks"] == {"rasa": "ok", "actions": "HTTP 503", "index": "ok", "database": "ok"}


async def test_not_ready_when_the_knowledge_index_cannot_be_opened(client: Client, rasa: FakeRasa) -> None:
    rasa.knowledge = (503, {"status": "unavailable", "reason": "cannot open var/index/g-000002"})
    status, body = await readiness(client)
    assert status == 503
    assert body["checks"] == {"rasa": "ok", "actions": "ok", "index": "HTTP 503", "database": "ok"}


async def test_an_index_not_built_yet_is_ready_but_empty(client: Client, rasa: FakeRasa) -> None:
    rasa.knowledge = (200, {"status": "empty", "reason": "the index holds no passages: run `muni index`"})
    status, body = await readiness(client)
    assert status == 200
    assert body["checks"]["index"] == "ok"


async def test_not_ready_when_the_action_server_is_unreachable(
    make_client: ClientFactory, settings: GatewaySettings, closed_port_url: str
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, actions_url=closed_port_url))
    status, body = await readiness(client)
    assert status == 503
    assert body["checks"]["actions"] == "unreachable (ClientConnectorError)"
    assert body["checks"]["rasa"] == "ok"


async def test_not_ready_when_the_database_is_broken(client: Client, database_path: Path) -> None:
    await client.app[ENGINE].dispose()  # drop pooled connections so the next one opens the file
    for path in database_path.parent.glob(database_path.name + "*"):
        path.write_bytes(b"this is not a database" * 100)
    status, body = await readiness(client)
    assert status == 503
    assert body["checks"]["rasa"] == "ok"
    assert body["checks"]["actions"] == "ok"
    assert body["checks"]["database"].startswith("failed (")

"""The gateway's request id: taken from a valid X-Request-ID or made, returned, and sent on to Rasa;
the turn's log lines carry it and no personal data from the message."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from muni.logs import log_handler
from tests.web.support import Client, FakeRasa, say, start

CPR, PHONE, EMAIL = "010190-1234", "20 30 40 50", "anna.jensen@example.dk"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    handler = log_handler("gateway", "json", stream)
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_an_incoming_request_id_is_returned_and_sent_to_rasa(
    client: Client, rasa: FakeRasa, json_log: io.StringIO
) -> None:
    conversation = await start(client)
    response = await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages",
        json={"text": f"mit cpr er {CPR}, ring på {PHONE} eller skriv til {EMAIL}"},
        headers={"Authorization": f"Bearer {conversation['token']}", "X-Request-ID": "turn-0123456789"},
    )
    assert response.status == 200
    assert response.headers["X-Request-ID"] == "turn-0123456789"
    assert rasa.received[-1]["metadata"]["request_id"] == "turn-0123456789"
    assert rasa.request_ids[-1] == "turn-0123456789"
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert any(line["request_id"] == "turn-0123456789" and "Answered" in line["message"] for line in lines)
    for secret in (CPR, PHONE, EMAIL, "anna.jensen"):
        assert secret not in json_log.getvalue()


@pytest.mark.parametrize("sent", [None, "bad id", "x" * 65, "short"])
async def test_a_missing_or_bad_request_id_is_replaced_by_a_new_one(client: Client, rasa: FakeRasa, sent: str | None) -> None:
    conversation = await start(client)
    headers = {"Authorization": f"Bearer {conversation['token']}", **({"X-Request-ID": sent} if sent else {})}
    response = await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages", json={"text": "hej"}, headers=headers
    )
    made = response.headers["X-Request-ID"]
    assert made != sent and len(made) == 16
    assert rasa.received[-1]["metadata"]["request_id"] == made == rasa.request_ids[-1]
    again = await say(client, conversation, text="hej igen")
    assert again.headers["X-Request-ID"] != made, "every request its own id"


async def test_errors_and_other_routes_carry_the_id_too(client: Client) -> None:
    for path in ("/healthz", "/api/v1/conversations/nope/messages"):
        response = await client.get(path, headers={"X-Request-ID": "probe-0123456789"})
        assert response.headers["X-Request-ID"] == "probe-0123456789", path

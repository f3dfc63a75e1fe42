"""When Rasa or the action server fails, the citizen gets a 503 with a way to a human, and nothing is lost."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import ClientResponse

from gateway.settings import GatewaySettings
from tests.web.support import (
    CONTACT_HOURS,
    CONTACT_PHONE,
    NOW,
    Client,
    ClientFactory,
    FakeContactCentre,
    FakeRasa,
    conversation_log,
    error_of,
    say,
    start,
)


def breaks_with_500(rasa: FakeRasa) -> None:
    rasa.webhook_status = 500


def hangs_past_the_timeout(rasa: FakeRasa) -> None:
    rasa.hang = True


def answers_garbage(rasa: FakeRasa) -> None:
    rasa.raw_body = b"<html>Bad Gateway</html>"


def answers_an_object(rasa: FakeRasa) -> None:
    rasa.reply = lambda _: {"error": "action server unreachable"}


def answers_a_malformed_item(rasa: FakeRasa) -> None:
    rasa.reply = lambda _: [{"text": ["not", "a", "string"]}]


def answers_nothing(rasa: FakeRasa) -> None:
    # What Rasa sends when the action server is down and no utterance ran.
    rasa.reply = lambda _: []


FAILURES = [
    breaks_with_500,
    hangs_past_the_timeout,
    answers_garbage,
    answers_an_object,
    answers_a_malformed_item,
    answers_nothing,
]


async def unavailable_text(response: ClientResponse) -> str:
    """The 503's message, checked to carry the contact centre's phone, hours and whether it is open."""
    assert response.status == 503, await response.text()
    error = await error_of(response)
    assert error["code"] == "assistant_unavailable"
    text = error["message"]
    assert CONTACT_PHONE in text
    assert CONTACT_HOURS in text
    assert "Kontaktcentret har åbent nu." in text
    assert "Beklager" in text
    return text


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: f.__name__)
async def test_failed_bot_gives_503_with_the_contact_centre_and_keeps_the_citizens_turn(
    client: Client,
    rasa: FakeRasa,
    contact_centre: FakeContactCentre,
    caplog: pytest.LogCaptureFixture,
    failure: Callable[[FakeRasa], None],
) -> None:
    conversation = await start(client)
    failure(rasa)
    caplog.set_level(logging.WARNING, logger="muni.conversation")

    response = await say(client, conversation, text="hvordan fornyer jeg mit pas")

    text = await unavailable_text(response)
    assert contact_centre.asked_at == [NOW], "opening status is computed with the injected clock"
    turns = await conversation_log(client).turns(conversation["conversation_id"])
    assert [(t.role, t.text) for t in turns[1:]] == [
        ("citizen", "hvordan fornyer jeg mit pas"),
        # What the citizen was told is kept as said, the contact centre's phone included.
        ("bot", text),
    ]
    assert (turns[-1].source, turns[-1].handoff, turns[-1].topic) == ("fallback", True, None)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("muni.conversation")]
    assert len(warnings) == 1
    assert conversation["conversation_id"] in warnings[0].getMessage()


async def test_unreachable_rasa_still_opens_the_conversation_and_each_turn_gets_503(
    make_client: ClientFactory,
    settings: GatewaySettings,
    closed_port_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, rasa_url=closed_port_url))
    caplog.set_level(logging.WARNING, logger="muni.conversation")

    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})

    # The conversation is recorded and its token works once the bot is back; its opening says how to reach a person.
    assert response.status == 201
    body = await response.json()
    opening = body["messages"][0]["text"]
    assert CONTACT_PHONE in opening and CONTACT_HOURS in opening
    assert any("ClientConnectorError" in r.getMessage() for r in caplog.records)
    follow_up = await say(client, body, text="hallo?")
    assert await unavailable_text(follow_up) == opening
    turns = await conversation_log(client).turns(body["conversation_id"])
    assert [(t.role, t.source) for t in turns] == [("bot", "fallback"), ("citizen", None), ("bot", "fallback")]


async def test_slow_rasa_is_cut_off_at_the_configured_timeout(
    client: Client, rasa: FakeRasa, settings: GatewaySettings
) -> None:
    conversation = await start(client)
    rasa.hang = True
    started = time.monotonic()
    response = await say(client, conversation, text="hej")
    elapsed = time.monotonic() - started
    assert response.status == 503
    assert settings.rasa_timeout_s <= elapsed < settings.rasa_timeout_s + 1.0
    turns = await conversation_log(client).turns(conversation["conversation_id"])
    assert turns[-1].latency_ms is not None and turns[-1].latency_ms >= settings.rasa_timeout_s * 1000 - 50


async def test_database_failure_is_a_json_500_not_html(
    client: Client, rasa: FakeRasa, database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conversation = await start(client)
    with sqlite3.connect(database_path) as db:
        db.execute("DROP TABLE turns")

    response = await say(client, conversation, text="hej")

    assert response.status == 500
    assert (await error_of(response))["code"] == "internal_error"
    assert rasa.messages == ["/greeting"], "nothing goes to Rasa when the citizen's turn cannot be kept"
    assert any(r.name == "muni.web.errors" and r.exc_info for r in caplog.records)

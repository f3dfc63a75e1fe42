"""When Rasa or the action server fails, the citizen still gets a way to a human, and nothing is lost."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

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


def assert_scripted_fallback(body: dict[str, object]) -> None:
    messages = body["messages"]
    assert isinstance(messages, list) and len(messages) == 1
    text = messages[0]["text"]
    assert CONTACT_PHONE in text
    assert CONTACT_HOURS in text
    assert "Kontaktcentret har åbent nu." in text
    assert "Beklager" in text


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: f.__name__)
async def test_failed_bot_gives_scripted_fallback_and_keeps_the_citizens_turn(
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

    assert response.status == 200
    body = await response.json()
    assert (body["topic"], body["source"], body["handoff"]) == (None, "fallback", True)
    assert_scripted_fallback(body)
    assert contact_centre.asked_at == [NOW], "opening status is computed with the injected clock"
    turns = await conversation_log(client).turns(conversation["conversation_id"])
    assert [(t.role, t.text) for t in turns[1:]] == [
        ("citizen", "hvordan fornyer jeg mit pas"),
        # Bot turns are kept as said, the contact centre's phone included.
        ("bot", body["messages"][0]["text"]),
    ]
    assert (turns[-1].source, turns[-1].handoff, turns[-1].topic) == ("fallback", True, None)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("muni.conversation")]
    assert len(warnings) == 1
    assert conversation["conversation_id"] in warnings[0].getMessage()


async def test_unreachable_rasa_gives_fallback_when_opening_too(
    make_client: ClientFactory,
    settings: GatewaySettings,
    closed_port_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, rasa_url=closed_port_url))
    caplog.set_level(logging.WARNING, logger="muni.conversation")

    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})

    assert response.status == 201
    body = await response.json()
    assert_scripted_fallback(body)
    assert any("ClientConnectorError" in r.getMessage() for r in caplog.records)
    # The conversation exists and its token works once the bot is back (here: still down).
    follow_up = await say(client, body, text="hallo?")
    assert follow_up.status == 200
    assert (await follow_up.json())["source"] == "fallback"
    turns = await conversation_log(client).turns(body["conversation_id"])
    assert [t.role for t in turns] == ["bot", "citizen", "bot"]


async def test_slow_rasa_is_cut_off_at_the_configured_timeout(
    client: Client, rasa: FakeRasa, settings: GatewaySettings
) -> None:
    conversation = await start(client)
    rasa.hang = True
    started = time.monotonic()
    response = await say(client, conversation, text="hej")
    elapsed = time.monotonic() - started
    assert response.status == 200
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

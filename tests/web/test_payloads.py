"""A button payload is accepted only if the bot offered it in this conversation, or it is one of the
few every conversation may send; /restart starts the conversation over instead of failing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.support import Client, FakeRasa, bot_text, error_of, muni_meta, say, start
from web.chat import ALWAYS_ALLOWED_PAYLOADS

OFFERED = ["/passport", '/inform{"topic": "moving"}', '/appointment_booking{"answer": "Tirsdag kl. 10"}']


def offers_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    if message["message"] == "/restart":
        return []  # Rasa's action_restart says nothing: the domain has no utter_restart
    if message["message"] == "/greeting":
        return [bot_text("Hej! Hvad kan jeg hjælpe med?"), muni_meta()]
    buttons = [{"title": f"Valg {i}", "payload": payload} for i, payload in enumerate(OFFERED)]
    return [bot_text("Vælg en af dem:", buttons=buttons), muni_meta(topic="passport", source="guide")]


@pytest.fixture
def offering(rasa: FakeRasa) -> FakeRasa:
    rasa.reply = offers_buttons
    return rasa


@pytest.mark.parametrize("payload", OFFERED)
async def test_an_offered_payload_reaches_rasa_unchanged(client: Client, offering: FakeRasa, payload: str) -> None:
    conversation = await start(client)
    assert (await say(client, conversation, text="pas")).status == 200
    response = await say(client, conversation, payload=payload)
    assert response.status == 200
    assert offering.messages[-1] == payload


@pytest.mark.parametrize(
    "payload",
    [
        '/book_appointment{"service": "pas"}',  # an intent with entities, made up
        "/passport",  # a real intent, but never offered here
        '/inform{"topic": "passport"}',  # an offered intent with other entities
        '/restart{"x": 1}',
    ],
)
async def test_a_payload_the_bot_never_offered_is_400_in_danish(
    client: Client, offering: FakeRasa, payload: str
) -> None:
    conversation = await start(client)
    if payload != "/passport":  # /passport is refused before the bot offered anything
        assert (await say(client, conversation, text="pas")).status == 200  # the bot offers its buttons
        assert payload not in OFFERED
    sent_before = list(offering.messages)
    response = await say(client, conversation, payload=payload)
    assert response.status == 400
    error = await error_of(response)
    assert error["code"] == "payload_not_offered"
    assert "knap" in error["message"]
    assert offering.messages == sent_before, "a refused payload never reaches Rasa"


async def test_a_payload_offered_in_another_conversation_is_refused(client: Client, offering: FakeRasa) -> None:
    offered_there = await start(client)
    assert (await say(client, offered_there, text="pas")).status == 200
    here = await start(client)
    response = await say(client, here, payload="/passport")
    assert response.status == 400
    assert (await say(client, offered_there, payload="/passport")).status == 200


@pytest.mark.parametrize("payload", sorted(ALWAYS_ALLOWED_PAYLOADS - {"/restart"}))
async def test_the_documented_payloads_need_no_offer(client: Client, rasa: FakeRasa, payload: str) -> None:
    conversation = await start(client)
    response = await say(client, conversation, payload=payload)
    assert response.status == 200
    assert rasa.messages[-1] == payload


async def test_restart_starts_the_conversation_over_with_a_greeting(client: Client, offering: FakeRasa) -> None:
    conversation = await start(client)
    assert (await say(client, conversation, text="pas")).status == 200
    response = await say(client, conversation, payload="/restart")
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["messages"] == [{"text": "Hej! Hvad kan jeg hjælpe med?"}]
    assert offering.messages[-2:] == ["/restart", "/greeting"]


async def test_restart_while_rasa_is_down_is_503_not_a_greeting(client: Client, offering: FakeRasa) -> None:
    conversation = await start(client)
    offering.webhook_status = 500
    response = await say(client, conversation, payload="/restart")
    assert response.status == 503
    assert (await error_of(response))["code"] == "assistant_unavailable"

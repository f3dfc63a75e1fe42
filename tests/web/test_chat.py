"""The chat API's happy path: shapes, metadata to Rasa, meta from Rasa, and the log."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any
from unittest.mock import ANY

import pytest

from gateway.settings import GatewaySettings
from tests.web.support import (
    NOW,
    SECRET,
    Client,
    ClientFactory,
    FakeRasa,
    bot_text,
    conversation_log,
    muni_meta,
    say,
    start,
)
from web.tokens import TokenSigner


async def test_opening_greets_and_issues_a_token_for_the_conversation(client: Client, rasa: FakeRasa) -> None:
    response = await client.post("/api/v1/conversations", json={"municipality": "skive", "channel": "sms"})
    assert response.status == 201
    body = await response.json()
    assert set(body) == {"conversation_id", "token", "messages"}
    assert str(uuid.UUID(body["conversation_id"])) == body["conversation_id"]
    assert TokenSigner(SECRET).verify(body["conversation_id"], body["token"])
    assert body["messages"] == [{"text": "Hej! Jeg er skives digitale assistent."}]
    assert rasa.received == [
        {
            "sender": body["conversation_id"],
            "message": "/greeting",
            "metadata": {"municipality": "skive", "channel": "sms", "language": "da", "request_id": ANY},
        }
    ]


async def test_conversations_get_distinct_ids_and_tokens(client: Client) -> None:
    first, second = await start(client), await start(client)
    assert first["conversation_id"] != second["conversation_id"]
    assert first["token"] != second["token"]


async def test_opening_on_a_topic_sends_its_intent_and_returns_its_answer(client: Client, rasa: FakeRasa) -> None:
    body = await start(client, channel="qr", topic="passport")
    assert rasa.messages == ["/passport"]
    assert rasa.received[0]["metadata"] == {"municipality": "aarhus", "channel": "qr", "language": "da", "request_id": ANY}
    assert body["messages"][0] == {"text": "Du kan bestille pas i Borgerservice."}
    stored = await conversation_log(client).conversation(body["conversation_id"])
    assert stored is not None
    assert (stored.municipality, stored.channel, stored.topic, stored.started_at) == ("aarhus", "qr", "passport", NOW)


async def test_answer_has_messages_buttons_links_and_meta(client: Client, rasa: FakeRasa) -> None:
    conversation = await start(client)
    response = await say(client, conversation, text="hvad koster et pas")
    assert response.status == 200
    assert await response.json() == {
        "messages": [
            {"text": "Du kan bestille pas i Borgerservice."},
            {
                "text": "Vil du bestille tid?",
                "buttons": [{"title": "Bestil tid", "payload": "/appointment_booking"}],
                "links": [{"title": "Pas på borger.dk", "url": "https://www.borger.dk/pas"}],
            },
        ],
        "topic": "passport",
        "source": "guide",
        "handoff": False,
    }
    assert rasa.received[-1] == {
        "sender": conversation["conversation_id"],
        "message": "hvad koster et pas",
        "metadata": {"municipality": "aarhus", "channel": "web", "language": "da", "request_id": ANY},
    }


async def test_text_is_trimmed_before_it_reaches_rasa(client: Client, rasa: FakeRasa) -> None:
    conversation = await start(client)
    await say(client, conversation, text="  flytning \n")
    assert rasa.messages[-1] == "flytning"


@pytest.mark.parametrize(("typed", "sent"), [("/emergency", "emergency"), ('//inform{"a": 1}', 'inform{"a": 1}')])
async def test_typed_text_can_never_act_as_a_button(client: Client, rasa: FakeRasa, typed: str, sent: str) -> None:
    conversation = await start(client)
    assert (await say(client, conversation, text=typed)).status == 200
    assert rasa.messages[-1] == sent


async def test_handoff_and_topic_come_from_the_last_meta_item(client: Client, rasa: FakeRasa) -> None:
    rasa.reply = lambda _: [
        bot_text("Jeg tjekker lige."),
        muni_meta(topic="moving", source="guide"),
        bot_text("Du kan ringe til kontaktcentret."),
        muni_meta(topic=None, source="handoff", handoff=True),
    ]
    conversation = await start(client)
    body = await (await say(client, conversation, text="jeg vil tale med et menneske")).json()
    assert (body["topic"], body["source"], body["handoff"]) == (None, "handoff", True)
    assert [m["text"] for m in body["messages"]] == ["Jeg tjekker lige.", "Du kan ringe til kontaktcentret."]


async def test_without_meta_the_answer_is_plain_conversation(client: Client, rasa: FakeRasa) -> None:
    rasa.reply = lambda _: [{"recipient_id": "x", "text": "Selv tak!", "image": "ignored.png"}]
    conversation = await start(client)
    body = await (await say(client, conversation, text="tak")).json()
    assert body == {"messages": [{"text": "Selv tak!"}], "topic": None, "source": "conversation", "handoff": False}


async def test_every_turn_is_logged_in_order_with_meta_and_latency(client: Client) -> None:
    conversation = await start(client)
    await say(client, conversation, text="pas")
    turns = await conversation_log(client).turns(conversation["conversation_id"])
    assert [(t.role, t.text, t.topic, t.source) for t in turns] == [
        ("bot", "Hej! Jeg er aarhuss digitale assistent.", None, "conversation"),
        ("citizen", "pas", None, None),
        ("bot", "Du kan bestille pas i Borgerservice.", "passport", "guide"),
        ("bot", "Vil du bestille tid?", "passport", "guide"),
    ]
    assert all(t.at == NOW for t in turns)
    bot_turns = [t for t in turns if t.role == "bot"]
    assert all(t.latency_ms is not None and t.latency_ms >= 0 for t in bot_turns)
    assert all(t.handoff is False for t in turns)


async def test_missing_local_variables_become_knowledge_gaps(client: Client, rasa: FakeRasa) -> None:
    missing: list[dict[str, Any]] = [{"variable": "pasfoto_pris", "topic": "passport"}, {"variable": "afhentning"}]
    conversation = await start(client, municipality="skive")
    rasa.reply = lambda _: [
        bot_text("Prisen står på kommunens hjemmeside."),
        muni_meta("passport", "guide", missing=missing),
    ]
    await say(client, conversation, text="pasfoto pris")
    await say(client, conversation, text="pasfoto pris igen")
    gaps = await conversation_log(client).knowledge_gaps("skive")
    assert [(g.topic, g.variable, g.count) for g in gaps] == [
        ("passport", "afhentning", 2),
        ("passport", "pasfoto_pris", 2),
    ]
    assert await conversation_log(client).knowledge_gaps("aarhus") == []


@pytest.mark.parametrize("channel", ["web", "sms", "qr", "voice", "api"])
async def test_every_channel_reaches_rasa_as_metadata(client: Client, rasa: FakeRasa, channel: str) -> None:
    conversation = await start(client, channel=channel)
    await say(client, conversation, text="hej")
    assert [body["metadata"]["channel"] for body in rasa.received] == [channel, channel]


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


@pytest.mark.postgres
async def test_a_conversation_through_the_api_on_postgresql(
    make_client: ClientFactory, settings: GatewaySettings, postgres_url: str
) -> None:
    client = await make_client(settings=dataclasses.replace(settings, database_url=postgres_url))
    conversation = await start(client, municipality="skive")
    response = await say(client, conversation, text="pas, mit nummer er 21 34 56 78")
    assert response.status == 200
    assert (await response.json())["topic"] == "passport"
    turns = await conversation_log(client).turns(conversation["conversation_id"])
    assert [(t.role, t.text) for t in turns[:2]] == [
        ("bot", "Hej! Jeg er skives digitale assistent."),
        ("citizen", "pas, mit nummer er [TELEFON]"),
    ]
    ready = await client.get("/readyz")
    assert (await ready.json())["checks"]["database"] == "ok"

"""A conversation's language: chosen at the start ("da" or "en"), kept, sent to Rasa, and used for errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.support import (
    CONTACT_HOURS_EN,
    CONTACT_PHONE,
    Client,
    FakeRasa,
    conversation_log,
    error_of,
    say,
    start,
)


async def test_an_english_conversation_sends_language_en_on_every_turn(client: Client, rasa: FakeRasa) -> None:
    opened = await start(client, language="en")
    response = await say(client, opened, text="how much is a passport")

    assert response.status == 200
    assert [body["metadata"]["language"] for body in rasa.received] == ["en", "en"]
    record = await conversation_log(client).conversation(opened["conversation_id"])
    assert record is not None and record.language == "en"


async def test_without_a_language_the_conversation_is_danish(client: Client, rasa: FakeRasa) -> None:
    opened = await start(client)

    assert rasa.received[0]["metadata"]["language"] == "da"
    record = await conversation_log(client).conversation(opened["conversation_id"])
    assert record is not None and record.language == "da"


@pytest.mark.parametrize("language", ["de", "EN", "english", "", 5, None, ["en"]])
async def test_a_language_other_than_da_or_en_is_refused(client: Client, rasa: FakeRasa, language: Any) -> None:
    response = await client.post(
        "/api/v1/conversations", json={"municipality": "aarhus", "channel": "web", "language": language}
    )

    assert response.status == 400
    error = await error_of(response)
    assert error["code"] == "invalid_language"
    assert "'language'" in error["message"]
    assert rasa.received == [], "no conversation was opened"


async def test_errors_of_an_english_conversation_are_in_english(client: Client) -> None:
    english, danish = await start(client, language="en"), await start(client)

    english_error = await error_of(await say(client, english, text="   "))
    danish_error = await error_of(await say(client, danish, text="   "))

    assert english_error == {"code": "empty_text", "message": "The message is empty. Please write your question."}
    assert danish_error == {"code": "empty_text", "message": "Beskeden er tom. Skriv dit spørgsmål."}
    too_long = await error_of(await say(client, english, text="x" * 1001))
    assert too_long["message"] == "The message is too long (at most 1000 characters). Please write it shorter."


async def test_an_unknown_municipality_is_refused_in_the_language_asked_for(client: Client) -> None:
    response = await client.post(
        "/api/v1/conversations", json={"municipality": "atlantis", "channel": "web", "language": "en"}
    )

    assert response.status == 404
    assert (await error_of(response))["message"] == "Muni does not know this municipality."


async def test_the_scripted_fallback_is_in_english_for_an_english_conversation(client: Client, rasa: FakeRasa) -> None:
    opened = await start(client, language="en")
    rasa.webhook_status = 500
    response = await say(client, opened, text="how much is a passport")

    assert response.status == 503
    error = await error_of(response)
    assert error["code"] == "assistant_unavailable"
    text = error["message"]
    assert text.startswith("Sorry, I cannot answer you right now because of a technical fault.")
    assert CONTACT_PHONE in text and "The contact centre is open now." in text and CONTACT_HOURS_EN in text


# An existing log gets the language column from revision 0004: tests/conversation/test_language_column.py.

"""A conversation's language: chosen at the start ("da" or "en"), kept, sent to Rasa, and used for errors."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.log import ConversationLog, ConversationRecord
from muni.db import open_engine
from tests.web.support import (
    CONTACT_HOURS_EN,
    CONTACT_PHONE,
    NOW,
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
    body = await (await say(client, opened, text="how much is a passport")).json()

    text = body["messages"][0]["text"]
    assert text.startswith("Sorry, I cannot answer you right now because of a technical fault.")
    assert CONTACT_PHONE in text and "The contact centre is open now." in text and CONTACT_HOURS_EN in text
    assert (body["source"], body["handoff"]) == ("fallback", True)


def _old_database(path: Path) -> None:
    """A conversation log as written before the language column existed, with one conversation."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE conversations (id VARCHAR(36) PRIMARY KEY, municipality VARCHAR(64) NOT NULL,"
            " channel VARCHAR(16) NOT NULL, started_at DATETIME NOT NULL, topic VARCHAR(64))"
        )
        connection.execute(
            "INSERT INTO conversations VALUES ('old-1', 'aarhus', 'web', '2026-05-01 10:00:00.000000', NULL)"
        )


async def test_an_existing_sqlite_log_gets_the_language_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "muni.db"
    _old_database(path)
    engine: AsyncEngine = open_engine(f"sqlite+aiosqlite:///{path}")
    try:
        log = await ConversationLog.open(engine)
        await ConversationLog.open(engine)  # a second start finds the column and changes nothing
        old = await log.conversation("old-1")
        new = ConversationRecord(id=str(uuid.uuid4()), municipality="aarhus", channel="web", started_at=NOW, language="en")
        await log.start_conversation(new)

        assert old is not None and old.language == "da"
        assert await log.conversation(new.id) == new
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_an_existing_postgresql_log_gets_the_language_column(postgres_url: str) -> None:
    engine = open_engine(postgres_url)  # a throwaway database (tests/support/postgres.py)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "CREATE TABLE conversations (id VARCHAR(36) PRIMARY KEY, municipality VARCHAR(64) NOT NULL,"
                    " channel VARCHAR(16) NOT NULL, started_at TIMESTAMPTZ NOT NULL, topic VARCHAR(64))"
                )
            )
            await connection.execute(text("INSERT INTO conversations VALUES ('old-1', 'aarhus', 'web', now(), NULL)"))
        log = await ConversationLog.open(engine)
        await ConversationLog.open(engine)
        new = ConversationRecord(id=str(uuid.uuid4()), municipality="aarhus", channel="web", started_at=NOW, language="en")
        await log.start_conversation(new)

        old = await log.conversation("old-1")
        assert old is not None and old.language == "da"
        assert await log.conversation(new.id) == new
    finally:
        await engine.dispose()

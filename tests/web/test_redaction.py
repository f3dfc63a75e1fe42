"""Personal data a citizen types never reaches Rasa, the conversation log or the logs."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from tests.web.support import Client, FakeRasa, say, start

CPR = "010190-1234"  # fails the modulus-11 check on purpose: it must still be redacted
PHONE = "+45 21 34 56 78"
EMAIL = "anna.hansen@example.dk"
SECRETS = (CPR, "0101901234", "21 34 56 78", "21345678", EMAIL)
TEXT = f"Mit cpr er {CPR}, ring på {PHONE} eller skriv til {EMAIL} om mit pas"


def everything_stored(database_path: Path) -> str:
    """Every value of every row of every table, as one text."""
    with sqlite3.connect(database_path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = [repr(row) for table in tables for row in db.execute(f'SELECT * FROM "{table}"')]
    return "\n".join(rows)


def assert_no_personal_data(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


@pytest.mark.parametrize("failing", [False, True], ids=["bot answers", "bot fails"])
async def test_personal_data_is_redacted_everywhere(
    client: Client,
    rasa: FakeRasa,
    database_path: Path,
    caplog: pytest.LogCaptureFixture,
    failing: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    conversation = await start(client)
    if failing:
        rasa.webhook_status = 500  # the fake echoes the message into its error, and so into the warning

    response = await say(client, conversation, text=TEXT)

    assert response.status == (503 if failing else 200)
    sent = rasa.messages[-1]
    assert sent == "Mit cpr er [CPR], ring på [TELEFON] eller skriv til [EMAIL] om mit pas"
    assert_no_personal_data("the message to Rasa", repr(rasa.received))
    stored = everything_stored(database_path)
    assert "[CPR]" in stored
    assert_no_personal_data("the database", stored)
    assert_no_personal_data("the logs", "\n".join(r.getMessage() for r in caplog.records))
    if failing:
        assert any("[CPR]" in r.getMessage() for r in caplog.records), "the warning carries the redacted echo"


async def test_personal_data_in_a_made_up_payload_is_refused_and_kept_nowhere(
    client: Client, rasa: FakeRasa, database_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    conversation = await start(client)
    response = await say(client, conversation, payload=f'/inform{{"email": "{EMAIL}"}}')
    assert response.status == 400  # the bot never offered it (tests/web/test_payloads.py)
    assert rasa.messages == ["/greeting"]
    assert_no_personal_data("the database", everything_stored(database_path))
    assert_no_personal_data("the logs", "\n".join(r.getMessage() for r in caplog.records))

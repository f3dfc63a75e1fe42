"""The SMS port: the sandbox outbox, configuration, and the Twilio adapter with a fake client."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from muni.sms import (
    OutboxSmsSender,
    SmsError,
    SmsSettings,
    SmsUnavailable,
    TwilioCredentials,
    TwilioSmsSender,
    phone_hash,
    sms_sender,
)

KEY = b"test-hash-key"


@pytest.fixture
def outbox(tmp_path: Path) -> OutboxSmsSender:
    return OutboxSmsSender(tmp_path / "var" / "sms_outbox.jsonl", KEY)


async def test_outbox_stores_the_message_without_the_number(outbox: OutboxSmsSender) -> None:
    sent = await outbox.send("+45 20 30 40 50", "Se svaret her: https://muni.example/x", idempotency_key="call-1:link")

    lines = outbox.path.read_text().splitlines()
    assert len(lines) == 1
    stored = json.loads(lines[0])
    assert stored["body"] == "Se svaret her: https://muni.example/x"
    assert stored["sandbox"] is True
    assert stored["to_hash"] == phone_hash("20304050", KEY) == sent.to_hash
    assert stored["to_masked"] == "+45…50"
    assert "20304050" not in lines[0] and "20 30 40 50" not in lines[0]
    assert sent.duplicate is False


async def test_outbox_never_sends_twice_for_one_key(outbox: OutboxSmsSender, tmp_path: Path) -> None:
    first, *repeats = await asyncio.gather(
        *(outbox.send("+4520304050", "Hvor tilfreds var du?", idempotency_key="call-1:survey") for _ in range(5))
    )
    assert len(await outbox.messages()) == 1
    assert all(r.id == first.id for r in repeats)
    assert sorted(r.duplicate for r in (first, *repeats)) == [False, True, True, True, True]

    reopened = OutboxSmsSender(outbox.path, KEY)  # a restart: the file is the ledger
    again = await reopened.send("+4520304050", "Hvor tilfreds var du?", idempotency_key="call-1:survey")
    assert again.duplicate and again.id == first.id
    assert len(await reopened.messages()) == 1


async def test_outbox_redacts_personal_data_in_the_body(outbox: OutboxSmsSender) -> None:
    await outbox.send("+4520304050", "Dit cpr 010190-1234 er modtaget", idempotency_key="k")
    assert (await outbox.messages())[0]["body"] == "Dit cpr [CPR] er modtaget"


@pytest.mark.parametrize(
    ("to", "body", "key"),
    [("hej", "tekst", "k"), ("+4520304050", " ", "k"), ("+4520304050", "x" * 641, "k"), ("+4520304050", "t", "")],
)
async def test_outbox_rejects_bad_messages(outbox: OutboxSmsSender, to: str, body: str, key: str) -> None:
    with pytest.raises(SmsError):
        await outbox.send(to, body, idempotency_key=key)
    assert await outbox.messages() == []


def test_settings_choose_twilio_only_with_all_credentials(tmp_path: Path) -> None:
    env = {"MUNI_VAR_DIR": str(tmp_path)}
    sandbox = SmsSettings.from_env(KEY, env)
    assert sandbox.twilio is None and sandbox.outbox_path == tmp_path / "sms_outbox.jsonl"
    assert isinstance(sms_sender(sandbox), OutboxSmsSender)

    full = {**env, "TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "tok", "TWILIO_FROM_NUMBER": "+4570203040"}
    assert isinstance(sms_sender(SmsSettings.from_env(KEY, full)), TwilioSmsSender)
    assert "tok" not in repr(SmsSettings.from_env(KEY, full))

    with pytest.raises(ValueError, match="TWILIO_FROM_NUMBER"):
        SmsSettings.from_env(KEY, {**env, "TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "tok"})
    with pytest.raises(ValueError, match="E.164"):
        SmsSettings.from_env(KEY, {**full, "TWILIO_FROM_NUMBER": "70203040"})


class FakeTwilioClient:
    """Stands in for twilio.rest.Client: records messages.create calls."""

    def __init__(self, delay_s: float = 0.0, error: Exception | None = None) -> None:
        self.created: list[dict[str, Any]] = []
        self.delay_s = delay_s
        self.error = error
        self.messages = SimpleNamespace(create=self._create)

    def _create(self, **kwargs: Any) -> SimpleNamespace:
        import time

        time.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        self.created.append(kwargs)
        return SimpleNamespace(sid=f"SM{len(self.created)}", status="queued")


CREDENTIALS = TwilioCredentials("AC123", "tok", "+4570203040")


async def test_twilio_adapter_sends_once_per_key() -> None:
    fake = FakeTwilioClient()
    sender = TwilioSmsSender(CREDENTIALS, KEY, client=fake)
    results = await asyncio.gather(*(sender.send("20304050", "Hej", idempotency_key="k1") for _ in range(3)))
    assert fake.created == [{"to": "+4520304050", "from_": "+4570203040", "body": "Hej"}]
    assert {r.id for r in results} == {"SM1"}
    assert [r.duplicate for r in results].count(False) == 1


async def test_twilio_adapter_times_out_and_reports_failures() -> None:
    slow = TwilioSmsSender(CREDENTIALS, KEY, timeout_s=0.05, client=FakeTwilioClient(delay_s=1.3))
    with pytest.raises(SmsUnavailable):
        await slow.send("20304050", "Hej", idempotency_key="k")
    broken = TwilioSmsSender(CREDENTIALS, KEY, client=FakeTwilioClient(error=ConnectionError("down")))
    with pytest.raises(SmsUnavailable):
        await broken.send("20304050", "Hej", idempotency_key="k")

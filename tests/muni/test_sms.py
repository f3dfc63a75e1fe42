"""The SMS port: the sandbox outbox, configuration, and the Twilio adapter with a fake client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from sms.sender import (
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


class FakeTwilioApi:
    """Twilio's Messages endpoint on a local server; each test sets how it behaves."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.delay_s = 0.0
        self.status = 201

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        return app

    async def _create(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append({"account": request.match_info["sid"], "auth": request.headers.get("Authorization"), **form})
        await asyncio.sleep(self.delay_s)
        if self.status != 201:
            return web.json_response({"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}, status=400)
        return web.json_response({"sid": f"SM{len(self.requests):032d}", "status": "queued"}, status=201)


class LocalTwilioHttpClient(TwilioHttpClient):
    """twilio's own HTTP client, sent to the local fake instead of api.twilio.com."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(method, url.replace("https://api.twilio.com", self.base_url), *args, **kwargs)


CREDENTIALS = TwilioCredentials("AC" + "1" * 32, "tok", "+4570203040")


@pytest.fixture
async def twilio_api() -> AsyncIterator[tuple[FakeTwilioApi, str]]:
    fake = FakeTwilioApi()
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def twilio_sender(base_url: str, timeout_s: float = 2.0) -> TwilioSmsSender:
    client = Client(CREDENTIALS.account_sid, CREDENTIALS.auth_token, http_client=LocalTwilioHttpClient(base_url, timeout_s))
    return TwilioSmsSender(CREDENTIALS, KEY, timeout_s=timeout_s, client=client)


async def test_twilio_adapter_sends_once_per_key(twilio_api: tuple[FakeTwilioApi, str]) -> None:
    fake, base_url = twilio_api
    sender = twilio_sender(base_url)
    results = await asyncio.gather(*(sender.send("20304050", "Hej", idempotency_key="k1") for _ in range(3)))

    assert len(fake.requests) == 1
    sent = fake.requests[0]
    assert (sent["To"], sent["From"], sent["Body"]) == ("+4520304050", "+4570203040", "Hej")
    assert sent["account"] == CREDENTIALS.account_sid and sent["auth"].startswith("Basic ")
    assert {r.id for r in results} == {"SM" + "1".zfill(32)}
    assert [r.duplicate for r in results].count(False) == 1
    assert results[0].to_masked == "+45…50"


async def test_twilio_adapter_times_out(twilio_api: tuple[FakeTwilioApi, str]) -> None:
    fake, base_url = twilio_api
    fake.delay_s = 1.0
    with pytest.raises(SmsUnavailable):
        await twilio_sender(base_url, timeout_s=0.2).send("20304050", "Hej", idempotency_key="k")


async def test_twilio_adapter_reports_refusals_and_may_retry_the_key(twilio_api: tuple[FakeTwilioApi, str]) -> None:
    fake, base_url = twilio_api
    sender = twilio_sender(base_url)
    fake.status = 400
    with pytest.raises(SmsUnavailable):
        await sender.send("20304050", "Hej", idempotency_key="k")
    fake.status = 201
    assert (await sender.send("20304050", "Hej", idempotency_key="k")).duplicate is False
    assert len(fake.requests) == 2

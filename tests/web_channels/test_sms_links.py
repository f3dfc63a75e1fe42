"""The agents' SMS-link API: keys, Danish numbers, limits, idempotency, no number in clear."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse

from tests.web.support import Client, error_of
from tests.web_channels.conftest import HOTLINE_KEY, SKIVE_KEY, FakeSms

BODY = {"to": "+45 20 12 34 56", "municipality": "aarhus", "topic": "appointment_booking"}


async def post(client: Client, body: dict[str, Any] | None = None, *, key: str | None = HOTLINE_KEY,
               idempotency: str | None = "call-0001") -> ClientResponse:
    headers = {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if idempotency is not None:
        headers["Idempotency-Key"] = idempotency
    return await client.post("/api/v1/sms-links", json=BODY if body is None else body, headers=headers)


async def test_an_agent_sends_a_citizen_a_deep_link(client: Client, sms: FakeSms) -> None:
    response = await post(client)
    assert response.status == 202
    answer = await response.json()
    url = "https://muni.example/start/aarhus/appointment_booking?via=sms"
    assert answer == {"id": "SM1", "status": "queued", "to": "+45…56", "url": url, "duplicate": False}
    [(to, text, key)] = sms.sent
    assert to == "+4520123456" and url in text and "Aarhus Kommune" in text
    assert key.endswith("call-0001")


async def test_a_retry_with_the_same_idempotency_key_never_sends_twice(client: Client, sms: FakeSms) -> None:
    first = await (await post(client)).json()
    again = await post(client, {**BODY, "to": "20123456"})  # the same number, written differently
    assert again.status == 200
    assert await again.json() == {**first, "duplicate": True}
    assert len(sms.sent) == 1
    other = await post(client, {**BODY, "topic": "passport"})
    assert other.status == 422
    assert (await error_of(other))["code"] == "idempotency_key_reused"
    assert len(sms.sent) == 1


async def test_concurrent_retries_send_once(client: Client, sms: FakeSms) -> None:
    responses = await asyncio.gather(*(post(client, idempotency="call-burst") for _ in range(5)))
    assert sorted(r.status for r in responses).count(202) == 1
    assert {r.status for r in responses} <= {200, 202, 409}
    assert len(sms.sent) == 1


@pytest.mark.parametrize("key", [None, "", "wrong-key-0123456789", HOTLINE_KEY + "x"])
async def test_a_missing_or_unknown_key_is_401(client: Client, sms: FakeSms, key: str | None) -> None:
    response = await post(client, key=key)
    assert response.status == 401
    assert sms.sent == []


async def test_a_municipalitys_key_sends_for_that_municipality_only(client: Client, sms: FakeSms) -> None:
    assert (await post(client, key=SKIVE_KEY)).status == 403
    assert (await post(client, {**BODY, "municipality": "skive"}, key=SKIVE_KEY)).status == 202
    assert len(sms.sent) == 1


@pytest.mark.parametrize(
    "number", ["1234567", "123456789", "+46 70 123 45 67", "12345678", "0123 4567", "tel:20123456", "", 20123456]
)
async def test_a_number_that_is_not_danish_is_400(client: Client, sms: FakeSms, number: object) -> None:
    response = await post(client, {**BODY, "to": number})
    assert response.status == 400
    assert (await error_of(response))["code"] == "invalid_phone"
    assert sms.sent == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**BODY, "municipality": "nowhere"}, "unknown_municipality"),
        ({**BODY, "topic": "nope"}, "unknown_topic"),
    ],
)
async def test_unknown_municipality_or_topic_is_400(client: Client, body: dict[str, Any], code: str) -> None:
    response = await post(client, body)
    assert response.status == 400 and (await error_of(response))["code"] == code


@pytest.mark.parametrize("idempotency", [None, "", "short", "x" * 201, "bad key with spaces"])
async def test_the_idempotency_key_is_required(client: Client, sms: FakeSms, idempotency: str | None) -> None:
    response = await post(client, idempotency=idempotency)
    assert response.status == 400
    assert (await error_of(response))["code"] == "missing_idempotency_key"
    assert sms.sent == []


async def test_floods_are_429_per_recipient_and_per_key(client: Client, sms: FakeSms) -> None:
    # The settings allow 2 per recipient and 5 attempts per key an hour.
    assert [(await post(client, idempotency=f"same-person-{i}")).status for i in range(3)] == [202, 202, 429]
    others = [
        (await post(client, {**BODY, "to": f"2012345{i}"}, idempotency=f"other-person-{i}")).status for i in range(3)
    ]
    assert others == [202, 202, 429]
    assert len(sms.sent) == 4
    limited = await post(client, {**BODY, "to": "30303030"}, idempotency="other-person-9")
    assert (await error_of(limited))["code"] == "rate_limited"


async def test_a_provider_failure_is_503_and_the_same_key_can_be_retried(client: Client, sms: FakeSms) -> None:
    sms.fail = True
    failed = await post(client)
    assert failed.status == 503 and (await error_of(failed))["code"] == "sms_unavailable"
    sms.fail = False
    assert (await post(client)).status == 202
    assert len(sms.sent) == 1


async def test_the_number_is_never_stored_in_clear(client: Client, database_path: Path) -> None:
    assert (await post(client)).status == 202
    with sqlite3.connect(database_path) as db:
        dump = "\n".join(db.iterdump())
    assert "sms_links" in dump
    for form in ("20123456", "20 12 34 56", "4520123456"):
        assert form not in dump

"""A phone call through the real stack: gateway (voice configured from the environment), Rasa, actions."""
from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from ops.supervisor import Stack
from tests.support.stack import needs_stack, running_stack

pytestmark = [pytest.mark.e2e, needs_stack]

TOKEN = "e2e-twilio-auth-token"
CALL_SID = "CA" + "e2e0" * 8


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "MUNI_VOICE_TRANSFER": "+4570200000",
        "MUNI_VOICE_MUNICIPALITY": "aarhus",
    }
    with running_stack(tmp_path_factory.mktemp("var"), env) as running:
        yield running


async def post(session: aiohttp.ClientSession, base: str, path: str, signed: bool = True, **params: str) -> tuple[int, str]:
    form = {"CallSid": CALL_SID, "From": "+4520304050", "To": "+4570101010", **params}
    headers = {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(base + path, form)} if signed else {}
    async with session.post(base + path, data=form, headers=headers) as response:
        return response.status, await response.text()


async def test_a_call_asks_the_real_assistant_and_gets_the_survey(stack: Stack) -> None:
    base = stack.config.gateway_url
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        assert (await post(session, base, "/voice/incoming", signed=False))[0] == 403

        status, body = await post(session, base, "/voice/incoming")
        assert status == 200 and ET.fromstring(body).find("Gather") is not None
        await post(session, base, "/voice/menu", Digits="1")
        status, body = await post(session, base, "/voice/assistant", SpeechResult="hvad koster et pas")
        root = ET.fromstring(body)
        assert status == 200 and root.find("Gather") is not None, body
        answer = " ".join(say.text or "" for say in root.iter("Say"))
        assert "kr" in answer and "http" not in answer  # a price from the passport guide, no URL read aloud
        assert (await post(session, base, "/voice/status", CallStatus="completed", CallDuration="30"))[0] == 204

    outbox = Path(stack.config.var_dir) / "sms_outbox.jsonl"
    for _ in range(50):
        if outbox.exists() and outbox.read_text().strip():
            break
        await asyncio.sleep(0.1)
    messages = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [m["idempotency_key"] for m in messages] == [f"{CALL_SID}:survey"]
    assert "20304050" not in outbox.read_text()

"""A day of traffic on every channel carrying canary CPR, phone and account numbers, then a sweep
of everything the stack wrote (every file under var/, SQLite databases with their -wal files,
Rasa's tracker, the SMS outbox, logs) and every line the processes printed: no canary's digits
may be anywhere, in any spelling (issue 17)."""
from __future__ import annotations

import asyncio
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Mapping
from pathlib import Path

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from ops.supervisor import Stack
from tests.support.stack import needs_stack, running_stack

pytestmark = [pytest.mark.e2e, needs_stack]

TWILIO_TOKEN = "canary-twilio-auth-token"
AGENT_KEY = "canary-agent-key-" + "x" * 20
CALL_SID = "CA" + "ca0a" * 8

# Each canary: the digits a leak would show, and how the citizen wrote or said it.
CANARIES: dict[str, tuple[str, str]] = {
    "issue cpr": ("0703814417", "cpr 070381/4417"),
    "issue phone": ("29476183", "ring på tlf29476183"),
    "web cpr": ("1406823319", "14.06.82-3319"),
    "web phone": ("61739428", "61 73 94 28"),
    "sms cpr": ("2105794486", "２１０５７９－４４８６"),
    "sms phone": ("53917264", "0045-53917264"),
    "qr cpr": ("2304678821", "230467 - 8821"),
    "qr phone": ("42861973", "42.86.19.73"),
    "api phone": ("71946382", "+45 71946382"),
    "api phone 3-2-3": ("31862947", "318 62 947"),
    "api account": ("4471930826", "reg.nr. 5479 konto 4471930826"),
    "api iban": ("0040044011624", "DK50 0040 0440 1162 43"),
    "payload phone": ("27395186", "tlf 27 39 51 86"),
    "voice caller": ("26817394", "+4526817394"),
    "voice cpr": ("1208754439", "tolv nul otte femoghalvfjerds fireogfyrre niogtredive"),
    "voice phone": ("38901547", "otteogtredive halvfems femten syvogfyrre"),
    "sms link": ("29583614", "+45 29 58 36 14"),
}
CANARY_EMAIL = "kanarie.fugl.8837@example.dk"


def digit_runs(text: str) -> str:
    """ASCII digits, and no separator between two digits: '29 47-61.83' and '２９４７６１８３' read '29476183'."""
    ascii_digits = "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text)
    return re.sub(r"(?<=[0-9])[ \-./\u2010-\u2015\u2212\uff0d\xa0]{1,3}(?=[0-9])", "", ascii_digits)


def leaks(where: str, raw: bytes) -> list[str]:
    text = raw.decode("utf-8", "replace")
    runs = digit_runs(text)
    found = [f"{where}: {name}" for name, (digits, _) in CANARIES.items() if digits.encode() in raw or digits in runs]
    if CANARY_EMAIL.split("@")[0].encode() in raw:
        found.append(f"{where}: e-mail")
    return found


def sweep(var_dir: Path, output: str) -> list[str]:
    found = leaks("process output", output.encode())
    for path in sorted(var_dir.rglob("*")):
        if path.is_file():
            found += leaks(str(path.relative_to(var_dir)), path.read_bytes())
    return found


async def chat_day(session: aiohttp.ClientSession, base: str) -> None:
    """Every chat channel, a button payload, a rating."""
    text = {name: spelling for name, (_, spelling) in CANARIES.items()}
    days = [
        ("aarhus", "web", None, [f"{text['issue cpr']}, {text['issue phone']}", f"mit cpr er {text['web cpr']}",
                                 f"ring til mig på {text['web phone']} eller skriv til {CANARY_EMAIL}"]),
        ("viborg", "sms", None, [f"Mit personnummer: {text['sms cpr']}, tlf. {text['sms phone']}. Hvad koster et pas?"]),
        ("horsens", "qr", "waste_collection", [f"cpr {text['qr cpr']} og mobil {text['qr phone']}"]),
        ("aarhus", "api", None, [f"ring {text['api phone']} eller {text['api phone 3-2-3']}",
                                 f"Min løn skal gå til {text['api account']}, IBAN {text['api iban']}"]),
    ]
    for municipality, channel, topic, messages in days:
        async with session.post(f"{base}/api/v1/conversations",
                                json={"municipality": municipality, "channel": channel, "topic": topic}) as response:
            assert response.status == 201, await response.text()
            started = await response.json()
        conversation, headers = started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}
        for message in messages:
            async with session.post(f"{base}/api/v1/conversations/{conversation}/messages",
                                    json={"text": message}, headers=headers) as response:
                assert response.status == 200, await response.text()
        if channel == "web":
            payload = '/appointment_booking{"answer": "' + text["payload phone"] + '"}'
            # A payload the bot never offered is refused (issue 16); refused, it must leave no trace either.
            async with session.post(f"{base}/api/v1/conversations/{conversation}/messages",
                                    json={"payload": payload}, headers=headers) as response:
                assert response.status == 400, await response.text()
                assert (await response.json())["error"]["code"] == "payload_not_offered"
        async with session.post(f"{base}/api/v1/conversations/{conversation}/rating",
                                json={"score": 7}, headers=headers) as response:
            assert response.status in (200, 201, 204), await response.text()

    async with session.post(
        f"{base}/api/v1/sms-links",
        json={"to": text["sms link"], "municipality": "aarhus", "topic": "passport"},
        headers={"Authorization": f"Bearer {AGENT_KEY}", "Idempotency-Key": "canary-" + uuid.uuid4().hex},
    ) as response:
        assert response.status == 202, await response.text()


async def call_day(session: aiohttp.ClientSession, base: str) -> None:
    """A signed call: the menu, the assistant hears a CPR and a phone number, the SMS link, the survey."""

    async def twilio(path: str, **params: str) -> str:
        form: Mapping[str, str] = {"CallSid": CALL_SID, "From": CANARIES["voice caller"][1], "To": "+4570101010",
                                   **params}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(base + path, dict(form))
        async with session.post(base + path, data=form, headers={"X-Twilio-Signature": signature}) as response:
            assert response.status in (200, 204), await response.text()
            return await response.text()

    await twilio("/voice/incoming")
    await twilio("/voice/menu", Digits="1")
    spoken = f"mit cpr nummer er {CANARIES['voice cpr'][1]} og ring på {CANARIES['voice phone'][1]}"
    await twilio("/voice/assistant", SpeechResult=spoken)
    await twilio("/voice/assistant", SpeechResult="hvad koster et pas")
    await twilio("/voice/assistant", Digits="8")
    await twilio("/voice/sms-consent", Digits="1")
    await twilio("/voice/status", CallStatus="completed", CallDuration="95")


async def test_no_canary_reaches_a_file_a_database_or_a_log_line(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = {
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "MUNI_VOICE_TRANSFER": "+4570200000",
        "MUNI_VOICE_MUNICIPALITY": "aarhus",
        "MUNI_AGENT_KEYS": f"canary:*:{hashlib.sha256(AGENT_KEY.encode()).hexdigest()}",
    }
    with running_stack(var_dir, env) as stack:
        base = stack.config.gateway_url
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            await chat_day(session, base)
            await call_day(session, base)
        outbox = var_dir / "sms_outbox.jsonl"
        for _ in range(100):  # the link, the survey and the agent's link are sent in the background
            if outbox.exists() and len(outbox.read_text().splitlines()) >= 3:
                break
            await asyncio.sleep(0.1)
        assert len(outbox.read_text().splitlines()) == 3, "the sweep covers all three SMS"
        while_running = sweep(var_dir, _output(stack))
        assert any(path.name.endswith("-wal") for path in var_dir.rglob("*")), "the sweep saw the write-ahead logs"
    after_stop = sweep(var_dir, _output(stack))
    assert while_running == [] and after_stop == [], "\n".join(sorted(set(while_running + after_stop)))
    for where in ("muni.db", "rasa_tracker.db"):
        assert b"[CPR]" in (var_dir / where).read_bytes() + _wal(var_dir / where), f"{where} holds the redacted turns"


def _output(stack: Stack) -> str:
    sink = stack.sink.stream
    return sink.getvalue() if hasattr(sink, "getvalue") else ""


def _wal(database: Path) -> bytes:
    wal = database.with_name(database.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""

"""The agents' SMS page: the same SMS-link service as the API, limited per agent, audited, no number in clear."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import ClientResponse

from admin.roles import Role
from sms.sender import OutboxSmsSender
from tests.admin.support import csrf_of, log_in, make_user, stores
from tests.web.support import Client
from tests.web_channels.conftest import FakeSms
from web.limits import TokenBucketLimiter

PAGE = "/admin/m/aarhus/agents"
REQUEST_ID = re.compile(r'name="request_id" value="([0-9a-f]{32})"')
NUMBER = "31 41 59 26"


async def _form(console: Client, path: str = PAGE) -> dict[str, str]:
    response = await console.get(path)
    assert response.status == 200
    html = await response.text()
    found = REQUEST_ID.search(html)
    assert found is not None
    return {"csrf": csrf_of(html), "request_id": found.group(1), "municipality": "aarhus", "topic": "passport", "phone": NUMBER}


async def _send(console: Client, form: dict[str, str], path: str = PAGE) -> tuple[ClientResponse, str]:
    response = await console.post(path, data=form, allow_redirects=False)
    return response, await response.text()


async def _agent(make_console: Callable[..., Awaitable[Client]], **overrides: object) -> Client:
    console = await make_console(**overrides)
    await make_user(console, "hotline", Role.AGENT)
    await log_in(console, "hotline")
    return console


async def test_an_agent_texts_a_citizen_the_link_and_it_is_audited(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms()
    console = await _agent(make_console, sms=sms)
    response, html = await _send(console, await _form(console))
    assert response.status == 200, html
    [(to, text, key)] = sms.sent
    assert to == "+4531415926" and "/start/aarhus/passport?via=sms" in text and "Aarhus Kommune" in text
    assert key.startswith("sms-link:console:")
    assert "Sendt" in html and "+45…26" in html and NUMBER not in html
    [entry] = [e for e in await stores(console).audit.entries(None) if e.action == "sms_link.sent"]
    assert entry.actor == "hotline" and entry.municipality == "aarhus"
    assert entry.details["to"] == "+45…26" and entry.details["topic"] == "passport" and entry.details["sandbox"] is False
    # The latest links are listed with the masked number only.
    listing = await (await console.get(PAGE)).text()
    assert "+45…26" in listing and "Konsollen" in listing and "41 59 26" not in listing


async def test_submitting_the_same_form_twice_texts_once(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms()
    console = await _agent(make_console, sms=sms)
    form = await _form(console)
    await _send(console, form)
    response, html = await _send(console, form)
    assert response.status == 200 and "allerede sendt" in html
    assert len(sms.sent) == 1
    assert len([e for e in await stores(console).audit.entries(None) if e.action == "sms_link.sent"]) == 1


async def test_a_bad_number_gets_a_danish_error_and_keeps_the_input(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms()
    console = await _agent(make_console, sms=sms)
    form = {**await _form(console), "phone": "+46 70 123 45 67", "topic": "moving"}
    response, html = await _send(console, form)
    assert response.status == 400
    assert "dansk nummer med 8 cifre" in html and 'value="+46 70 123 45 67"' in html
    assert '<option value="moving" selected>' in html
    assert sms.sent == []


async def test_an_unknown_topic_or_municipality_is_refused(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms()
    console = await _agent(make_console, sms=sms)
    for field, value in (("topic", "atlantis"), ("municipality", "atlantis")):
        response, html = await _send(console, {**await _form(console), field: value})
        assert response.status == 400 and "Vælg" in html
    assert sms.sent == []


async def test_an_agent_is_rate_limited(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms()
    console = await _agent(make_console, sms=sms, agent_sms_limiter=TokenBucketLimiter(2, 3600))
    numbers = ["20000001", "20000002", "20000003"]
    statuses = []
    for number in numbers:
        response, html = await _send(console, {**await _form(console), "phone": number})
        statuses.append(response.status)
    assert statuses == [200, 200, 429]
    assert "mange SMS" in html and len(sms.sent) == 2
    refused = [e for e in await stores(console).audit.entries(None) if e.action == "sms_link.refused"]
    assert [e.details["reason"] for e in refused] == ["rate_limited"]


async def test_a_citizen_is_not_flooded_by_api_and_console_together(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms()
    console = await _agent(make_console, sms=sms)
    statuses = []
    for _ in range(4):  # the recipient's limit is 3 an hour (MUNI_SMS_PER_RECIPIENT_PER_HOUR)
        response, html = await _send(console, await _form(console))
        statuses.append(response.status)
    assert statuses == [200, 200, 200, 429]
    assert "Borgeren har fået mange SMS" in html


async def test_a_provider_failure_keeps_the_form_and_a_retry_sends_once(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms(fail=True)
    console = await _agent(make_console, sms=sms)
    form = await _form(console)
    response, html = await _send(console, form)
    assert response.status == 503 and "kun én SMS" in html and form["request_id"] in html
    sms.fail = False
    response, _ = await _send(console, form)
    assert response.status == 200 and len(sms.sent) == 1


async def test_without_twilio_the_page_says_sandbox_and_the_outbox_gets_it(
    make_console: Callable[..., Awaitable[Client]], tmp_path: Path
) -> None:
    outbox = tmp_path / "sms_outbox.jsonl"
    console = await _agent(make_console, sms=OutboxSmsSender(outbox, b"k" * 32))
    page = await (await console.get(PAGE)).text()
    assert "SANDBOX" in page and "SMS sendes ikke" in page
    response, html = await _send(console, await _form(console))
    assert response.status == 200 and "Gemt i udbakken" in html
    assert "/start/aarhus/passport?via=sms" in outbox.read_text(encoding="utf-8")
    assert "31415926" not in outbox.read_text(encoding="utf-8")


async def test_the_number_is_never_stored_in_clear(make_console: Callable[..., Awaitable[Client]], database_path: Path) -> None:
    console = await _agent(make_console, sms=FakeSms())
    await _send(console, await _form(console))
    with sqlite3.connect(database_path) as connection:
        dump = "\n".join(connection.iterdump())
    assert "sms_links" in dump and "31415926" not in dump and "41 59 26" not in dump


async def test_municipality_staff_send_only_for_their_own(make_console: Callable[..., Awaitable[Client]]) -> None:
    sms = FakeSms()
    console = await make_console(sms=sms)
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne")
    form = await _form(console)
    assert 'value="skive"' not in await (await console.get(PAGE)).text()
    response, _ = await _send(console, {**form, "municipality": "skive"})
    assert response.status == 400 and sms.sent == []
    assert (await console.get("/admin/m/skive/agents")).status == 403

"""Retention periods set in the console (consortium admins) and erasure on request with a receipt, audited."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from admin.retention import RetentionSettings
from admin.roles import Role
from conversation.log import ConversationLog, ConversationRecord, TurnRecord
from conversation.state import ENGINE, LOG
from tests.admin.support import NOW, csrf_of, log_in, make_user, stores
from tests.web.support import Client

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
Make = Callable[..., Awaitable[Client]]


@pytest.fixture(autouse=True)
def own_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Erasure also reaches the tracker, the outbox and the sandbox in var/: the test's own.
    monkeypatch.setenv("MUNI_VAR_DIR", str(tmp_path / "var"))


async def _as(console: Client, role: Role, municipality: str | None = None) -> None:
    user = await make_user(console, "tester", role, municipality)
    if role is Role.CONSORTIUM_ADMIN:
        await stores(console).users.enable_second_factor(user.id, SECRET)
    await log_in(console, "tester", totp_secret=SECRET if role is Role.CONSORTIUM_ADMIN else None)


async def _conversation(console: Client, municipality: str, text: str) -> str:
    log: ConversationLog = console.app[LOG]
    conversation_id = str(uuid.uuid4())
    await log.start_conversation(ConversationRecord(conversation_id, municipality, "web", NOW))
    await log.add_turns([TurnRecord(conversation_id, NOW, "user", text)])
    return conversation_id


async def test_a_consortium_admin_sets_the_periods_and_it_is_audited(make_console: Make) -> None:
    console = await make_console()
    await _as(console, Role.CONSORTIUM_ADMIN)
    page = await (await console.get("/admin/retention")).text()
    assert 'value="30"' in page and 'value="730"' in page
    form = {"csrf": csrf_of(page), "conversations": "14", "calls_and_sms": "30", "sandbox_bookings": "7", "audit": "730"}
    response = await console.post("/admin/retention", data=form, allow_redirects=False)
    assert response.status == 303
    assert (await RetentionSettings(console.app[ENGINE]).periods()).conversations.days == 14
    [entry] = [e for e in await stores(console).audit.entries(None) if e.action == "retention.changed"]
    assert entry.details["before"] == {"conversations": 30} and entry.details["after"] == {"conversations": 14}


async def test_a_wrong_period_keeps_the_input_and_changes_nothing(make_console: Make) -> None:
    console = await make_console()
    await _as(console, Role.CONSORTIUM_ADMIN)
    token = csrf_of(await (await console.get("/admin/retention")).text())
    form = {"csrf": token, "conversations": "14", "calls_and_sms": "0", "sandbox_bookings": "7", "audit": "730"}
    response = await console.post("/admin/retention", data=form)
    page = await response.text()
    assert response.status == 400 and "helt antal dage fra 1 til 3650" in page and 'value="14"' in page
    assert (await RetentionSettings(console.app[ENGINE]).periods()).conversations.days == 30


async def test_erasure_by_conversation_gives_a_receipt_and_is_audited(make_console: Make) -> None:
    console = await make_console()
    gone = await _conversation(console, "aarhus", "KANARIE slet mig")
    await _as(console, Role.MUNICIPALITY_ADMIN, "aarhus")
    token = csrf_of(await (await console.get("/admin/erasure")).text())
    response = await console.post("/admin/erasure", data={"csrf": token, "conversation": gone, "phone": ""})
    page = await response.text()
    assert response.status == 200 and "Kvittering" in page and "Samtaletekster: 1" in page and "Samtaler: 1" in page
    assert await console.app[LOG].conversation(gone) is None
    [entry] = [e for e in await stores(console).audit.entries("aarhus") if e.action == "data.erased"]
    assert entry.details["conversation"] == gone and entry.details["deleted"]["turns"] == 1


async def test_a_municipality_admin_cannot_erase_another_municipalitys_conversation(make_console: Make) -> None:
    console = await make_console()
    theirs = await _conversation(console, "skive", "skive's borger")
    await _as(console, Role.MUNICIPALITY_ADMIN, "aarhus")
    token = csrf_of(await (await console.get("/admin/erasure")).text())
    response = await console.post("/admin/erasure", data={"csrf": token, "conversation": theirs, "phone": ""})
    assert response.status == 404 and "ingen samtale med det id" in await response.text()
    assert await console.app[LOG].conversation(theirs) is not None


@pytest.mark.parametrize(
    ("conversation", "phone", "message"),
    [("", "", "enten samtalens id"), ("x", "20202020", "enten samtalens id"), ("ikke-et-id", "", "8-4-4-4-12"),
     ("", "abc", "dansk nummer")],
)
async def test_bad_erasure_requests_get_a_danish_error(make_console: Make, conversation: str, phone: str, message: str) -> None:
    console = await make_console()
    await _as(console, Role.CONSORTIUM_ADMIN)
    token = csrf_of(await (await console.get("/admin/erasure")).text())
    response = await console.post("/admin/erasure", data={"csrf": token, "conversation": conversation, "phone": phone})
    assert response.status == 400 and message in await response.text()


async def test_erasure_by_phone_shows_only_the_masked_number(make_console: Make) -> None:
    console = await make_console()
    await _as(console, Role.CONSORTIUM_ADMIN)
    token = csrf_of(await (await console.get("/admin/erasure")).text())
    response = await console.post("/admin/erasure", data={"csrf": token, "conversation": "", "phone": "31 41 59 26"})
    page = await response.text()
    assert response.status == 200 and "+45…26" in page and "31 41 59 26" not in page
    [entry] = [e for e in await stores(console).audit.entries(None) if e.action == "data.erased"]
    assert entry.details["phone"] == "+45…26"

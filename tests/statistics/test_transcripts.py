"""Transcripts: the list with filters and full-text search, one conversation's redacted turns, own municipality only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from conversation.log import ConversationRecord
from conversation.state import ENGINE, LOG
from tests.admin.support import log_in, stores
from tests.statistics.conftest import DAY, SECRET
from tests.voice.support import OPEN, Clock, drain, twilio_post
from tests.web.support import Client, FakeRasa, say, start
from voice.calls import voice_calls

LINK = re.compile(r'href="/admin/m/aarhus/conversations/([0-9a-f-]{36})"')


async def listed(client: Client, query: str) -> list[str]:
    response = await client.get(f"/admin/m/aarhus/conversations?{DAY}&{query}")
    html = await response.text()
    assert response.status == 200, html
    return LINK.findall(html)


async def test_the_list_shows_the_day_and_filters_by_channel(client: Client, clock: Clock) -> None:
    await log_in(client, "anne.aarhus", at=clock.now)
    assert len(await listed(client, "")) == 8
    assert len(await listed(client, "channel=voice")) == 1
    assert len(await listed(client, "channel=api")) == 1


async def test_a_word_finds_the_conversations_that_contain_it(client: Client, clock: Clock) -> None:
    await log_in(client, "anne.aarhus", at=clock.now)
    # The passport chat, the call (both asked "hvad koster et pas") and the SMS link's answer "Pas."
    assert len(await listed(client, "q=pas")) == 3
    assert len(await listed(client, "q=bestilt+reference")) == 1  # every word, anywhere in the conversation
    assert await listed(client, "q=ukendtord") == []


@pytest.mark.parametrize("query", ['pas" OR *', "NOT pas", "'; DROP TABLE turns;--", "pas:*", '"', "%25"])
async def test_sql_or_fts_syntax_is_searched_as_text(client: Client, clock: Clock, query: str) -> None:
    await log_in(client, "anne.aarhus", at=clock.now)
    response = await client.get("/admin/m/aarhus/conversations", params={"q": query, "from": "2026-03-02", "to": "2026-03-02"})
    assert response.status == 200, await response.text()
    assert len(await listed(client, "q=pas")) == 3  # and nothing was dropped


async def test_a_conversation_opens_with_every_turn_redacted_and_the_view_is_audited(
    client: Client,
    clock: Clock,
    rasa: FakeRasa,
) -> None:
    opened = await start(client)
    await say(client, opened, text="Mit CPR er 010203-1234 og mit nummer er 20 30 40 50")
    await log_in(client, "anne.aarhus", at=clock.now)
    response = await client.get(f"/admin/m/aarhus/conversations/{opened['conversation_id']}")
    html = await response.text()
    assert response.status == 200, html
    assert "Mit CPR er" in html and "010203" not in html and "20 30 40 50" not in html
    assert "Du kan bestille pas i Borgerservice." in html and "guide" in html and "passport" in html
    entries = await stores(client).audit.entries("aarhus")
    assert [e.action for e in entries if e.action.startswith("transcripts.")] == ["transcripts.view"]


async def test_only_the_municipality_s_own_admins_read_its_conversations(client: Client, clock: Clock) -> None:
    await client.app[LOG].start_conversation(ConversationRecord("skive-1", "skive", "web", OPEN))
    await log_in(client, "anne.aarhus", at=clock.now)
    assert (await client.get("/admin/m/aarhus/conversations/skive-1")).status == 404
    assert (await client.get("/admin/m/skive/conversations", allow_redirects=False)).status == 403
    for user, secret in (("sofie.skive", None), ("hotline.agent", None), ("konsortiet", SECRET)):
        client.session.cookie_jar.clear()
        await log_in(client, user, totp_secret=secret, at=clock.now)
        response = await client.get(f"/admin/m/aarhus/conversations?{DAY}", allow_redirects=False)
        assert response.status == 403 and "hvad koster" not in await response.text(), user


async def test_the_rating_s_comment_from_the_widget_or_the_sms_survey_shows_redacted_with_the_conversation(
    client: Client, clock: Clock, rasa: FakeRasa
) -> None:
    opened = await start(client)
    said = {"score": 6, "comment": "Svaret var for kort. Ring til mig på 20 30 40 50"}
    headers = {"Authorization": f"Bearer {opened['token']}"}
    rating = await client.post(f"/api/v1/conversations/{opened['conversation_id']}/rating", json=said, headers=headers)
    assert rating.status == 200, await rating.text()
    call = "CA" + "e" * 32
    await twilio_post(client, "/voice/incoming", {"CallSid": call})
    await twilio_post(client, "/voice/menu", {"CallSid": call, "Digits": "1"})
    await twilio_post(client, "/voice/assistant", {"CallSid": call, "SpeechResult": "hvad koster et pas"})
    await twilio_post(client, "/voice/status", {"CallSid": call, "CallStatus": "completed"})
    await drain(client)
    answer = await twilio_post(client, "/voice/sms", {"Body": "8 Fin hjælp, mit CPR er 010203-1234", "MessageSid": "SM2"})
    assert "Tak for dit svar." in await answer.text()
    async with client.app[ENGINE].connect() as connection:
        spoken = (await connection.execute(select(voice_calls.c.conversation_id).where(voice_calls.c.call_sid == call))).scalar()

    await log_in(client, "anne.aarhus", at=clock.now)
    html = await (await client.get(f"/admin/m/aarhus/conversations/{opened['conversation_id']}")).text()
    assert "Borgerens kommentar" in html and "Svaret var for kort." in html and "20 30 40 50" not in html
    html = await (await client.get(f"/admin/m/aarhus/conversations/{spoken}")).text()
    assert "Fin hjælp, mit CPR er" in html and "010203" not in html and "<dd>8</dd>" in html
    # Another municipality's admin never sees it.
    client.session.cookie_jar.clear()
    await log_in(client, "sofie.skive", at=clock.now)
    response = await client.get(f"/admin/m/aarhus/conversations/{opened['conversation_id']}", allow_redirects=False)
    assert response.status == 403 and "Svaret var for kort" not in await response.text()

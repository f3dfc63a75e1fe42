"""The akutguide's local values in the console's local-content editor: listed, previewed and published like the
others (the crisis page and hotline, and the national defaults a municipality may replace: its radio, TV, police),
and the gateway's own crisis answer carries what was published, without Rasa and without a restart."""

from __future__ import annotations

import argparse
import io
from datetime import timedelta
from pathlib import Path

from aiohttp import ClientResponse

from admin.crisis_cli import crisis_on
from admin.local_content import sections
from admin.roles import Role
from conversation.directory import CRISIS_VARIABLES
from knowledge import GuideLibrary
from knowledge.guides import PACKAGE_DIR
from tests.admin.support import MovableClock, log_in, make_user, page_csrf, stores
from tests.web.support import Client, FakeRasa, say, start

CONTENT = "/admin/m/aarhus/content"
KNOWN = frozenset({"aarhus", "skive", "viborg"})
PAGE = "https://aarhus.dk/krise-nu"


async def editor(console: Client) -> None:
    await make_user(console, "redaktoer", Role.CONTENT_EDITOR, "aarhus")
    await log_in(console, "redaktoer")


async def post(console: Client, variable: str, value: str, action: str = "publish") -> ClientResponse:
    token = await page_csrf(console, CONTENT)
    return await console.post(
        f"{CONTENT}/{variable}", data={"csrf": token, "value": value, "action": action}, allow_redirects=False
    )


async def test_every_akutguide_value_is_listed_with_a_form(console: Client) -> None:
    await editor(console)
    page = await (await console.get(CONTENT)).text()
    for name in CRISIS_VARIABLES:
        assert f'action="/admin/m/aarhus/content/{name}"' in page, name
    assert "Kommunens kriseside" in page and "Kommunens krisetelefon" in page
    assert "Fælles standard" in page and "DR P4 (din lokale P4-kanal)" in page  # the national default, until replaced
    # A national value the municipality does not set (a fee fixed by law) stays out of the editor.
    assert (await post(console, "name_change_fee", "500")).status == 404


async def test_a_crisis_page_is_previewed_then_published_and_audited(console: Client) -> None:
    await editor(console)
    preview = await post(console, "crisis_page", PAGE, action="preview")
    text = await preview.text()
    assert preview.status == 200 and PAGE in text and "https://aarhus.dk/beredskab" in text  # after, and before
    assert await stores(console).content.published("aarhus") == {}
    bad = await post(console, "crisis_hotline", "ring til os")
    assert bad.status == 400
    assert (await post(console, "crisis_page", PAGE)).status == 303
    assert (await post(console, "crisis_radio", "P4 Østjylland (96,9 MHz)")).status == 303
    published = (await stores(console).content.published("aarhus"))["aarhus"]
    assert published["crisis_page"] == PAGE and published["crisis_radio"] == "P4 Østjylland (96,9 MHz)"
    entries = await stores(console).audit.entries("aarhus")
    assert [e.details["variable"] for e in entries if e.action == "content.published"] == ["crisis_radio", "crisis_page"]


async def published_values_and_crisis(
    console: Client, database_path: Path, clock: MovableClock, title: str, message_en: str | None
) -> None:
    """The akutguide's page, hotline and radio published in the console, then `muni crisis on` for Aarhus
    with no link or phone of its own: the municipality's values stand in."""
    await editor(console)
    for name, value in (("crisis_page", PAGE), ("crisis_hotline", "70 11 22 33"), ("crisis_radio", "P4 Østjylland")):
        assert (await post(console, name, value)).status == 303
    args = argparse.Namespace(
        municipality="aarhus", all=False, title=title, message="Kog vandet før du drikker det.",
        message_en=message_en, link=None, phone=None, expires="12h",
    )  # fmt: skip
    assert await crisis_on(args, f"sqlite+aiosqlite:///{database_path}", io.StringIO(), clock, known=lambda: KNOWN) == 0


async def test_the_crisis_answer_carries_the_values_published_in_the_console(
    console: Client, database_path: Path, clock: MovableClock, rasa: FakeRasa
) -> None:
    await published_values_and_crisis(console, database_path, clock, "Forurenet drikkevand", message_en=None)
    clock.advance(timedelta(seconds=10))  # past the caches
    conversation = await start(console)
    asked = len(rasa.received)
    body = await (await say(console, conversation, text="er vandet forurenet?")).json()
    text = body["messages"][0]["text"]
    assert body["topic"] == "emergency" and len(rasa.received) == asked  # the gateway's own answer
    assert PAGE in text and "70 11 22 33" in text and "P4 Østjylland" in text
    assert body["messages"][0]["links"] == [{"title": "Kommunens kriseside", "url": PAGE}]
    # A change published during the crisis reaches the answer within the cache's lifetime, without a restart.
    assert (await post(console, "crisis_hotline", "70 44 55 66")).status == 303
    clock.advance(timedelta(seconds=10))
    again = await (await say(console, conversation, text="hvor kan jeg få sandsække?")).json()
    assert "70 44 55 66" in again["messages"][0]["text"]



async def test_an_english_conversation_gets_the_crisis_answer_in_english(
    console: Client, database_path: Path, clock: MovableClock, rasa: FakeRasa
) -> None:
    """English values where they exist (the national `en:`); a value the municipality published (in Danish) is marked so."""
    await published_values_and_crisis(
        console, database_path, clock, "Contaminated water", message_en="Boil the water before you drink it."
    )
    clock.advance(timedelta(seconds=10))  # past the caches
    conversation = await start(console, language="en")
    assert conversation["messages"][0]["text"] == "Important: Contaminated water\nBoil the water before you drink it."
    asked = len(rasa.received)
    body = await (await say(console, conversation, text="what is happening")).json()
    assert body["topic"] == "emergency" and len(rasa.received) == asked  # the gateway's own answer
    text = body["messages"][0]["text"]
    assert text.startswith("Boil the water before you drink it.\nIn danger of life: call 112.")
    assert PAGE in text and "70 11 22 33" in text
    assert "Listen to P4 Østjylland (in Danish), watch DR1 and dr.dk, and follow politi.dk and the police's" in text
    assert "og politiets" not in text and "DR1 og" not in text
    assert body["messages"][0]["links"] == [{"title": "The municipality's crisis page", "url": PAGE}]
    # The Danish conversation beside it keeps the Danish values.
    danish = await (await say(console, await start(console), text="hvad sker der")).json()
    assert "Lyt til P4 Østjylland, se DR1 og dr.dk, og følg politi.dk og politiets" in danish["messages"][0]["text"]

def test_the_editor_lists_the_akutguides_values_under_the_shared_topic_emergency() -> None:
    """The akutguide is the guide of the shared topic `emergency`: the editor finds its values by its variables."""
    library = GuideLibrary.load(PACKAGE_DIR)
    assert "crisis" not in library.topics
    listed = {row.variable.name: section for section in sections(library, "aarhus", {}) for row in section.rows}
    assert set(CRISIS_VARIABLES) <= set(listed)
    assert listed["crisis_page"].topic == "emergency" and listed["crisis_radio"].topic == "emergency"

"""The IVR in crisis mode: the greeting plays the crisis (Danish, then English) before the menu, 4 plays it again,
7 puts the caller through to the crisis hotline (the crisis's own, else the municipality's published one);
`muni crisis off` and expiry remove it."""

from __future__ import annotations

import argparse
import io
from datetime import timedelta
from pathlib import Path

from admin.crisis_cli import crisis_off, crisis_on
from admin.roles import Role
from tests.admin.support import log_in, make_user, page_csrf
from tests.voice.support import Clock, gather, said, spoken, twilio_post, twiml
from tests.web.support import Client

KNOWN = frozenset({"aarhus", "skive"})
MESSAGE = "Drikkevandet er forurenet. Kog vandet før du drikker det."
HOTLINE_FORM = "/admin/m/aarhus/content/crisis_hotline"


async def turn_on(database_path: Path, clock: Clock, **changes: str | None) -> None:
    values: dict[str, str | None] = {
        "title": "Forurenet drikkevand", "message": MESSAGE, "message_en": "Boil your drinking water.",
        "link": "https://aarhus.dk/krise", "phone": "89 40 20 00", "expires": "2h", **changes,
    }  # fmt: skip
    args = argparse.Namespace(municipality="aarhus", all=False, **values)
    assert await crisis_on(args, f"sqlite+aiosqlite:///{database_path}", io.StringIO(), clock, known=lambda: KNOWN) == 0
    clock.now += timedelta(seconds=10)  # past the board's cache


async def test_the_greeting_plays_the_crisis_before_the_menu(client: Client, database_path: Path, clock: Clock) -> None:
    await turn_on(database_path, clock)
    root = await twiml(await twilio_post(client, "/voice/incoming"))
    text = spoken(gather(root))
    assert text.index("Vigtig besked: Forurenet drikkevand.") < text.index("Important message in English") < text.index("Tryk 1")
    assert MESSAGE in text and "Tryk 4 for at høre beskeden igen." in text and "Tryk 7" in text


async def test_four_plays_it_again_and_seven_calls_the_hotline(client: Client, database_path: Path, clock: Clock) -> None:
    await turn_on(database_path, clock)
    await twiml(await twilio_post(client, "/voice/incoming"))
    again = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "4"}))
    assert MESSAGE in spoken(gather(again))
    hotline = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "7"}))
    dial = hotline.find("Dial")
    assert dial is not None and (dial.text or "").strip() == "+4589402000"


async def test_without_a_hotline_anywhere_seven_is_not_offered(client: Client, database_path: Path, clock: Clock) -> None:
    await turn_on(database_path, clock, phone=None)  # and the municipality has published no crisis hotline
    root = await twiml(await twilio_post(client, "/voice/incoming"))
    assert "Tryk 7" not in spoken(root)
    again = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "7"}))
    assert again.find("Dial") is None and "Tryk 7" not in spoken(again)


async def publish_hotline(client: Client, number: str) -> None:
    """A content editor of Aarhus publishes its standing crisis hotline in the console, as before any crisis."""
    await make_user(client, "redaktoer", Role.CONTENT_EDITOR, "aarhus")
    await log_in(client, "redaktoer")
    token = await page_csrf(client, "/admin/m/aarhus/content")
    form = {"csrf": token, "value": number, "action": "publish"}
    assert (await client.post(HOTLINE_FORM, data=form, allow_redirects=False)).status == 303


async def test_a_crisis_without_a_phone_offers_the_municipalitys_published_hotline(
    client: Client, database_path: Path, clock: Clock
) -> None:
    await publish_hotline(client, "70 11 22 33")
    await turn_on(database_path, clock, phone=None)
    root = await twiml(await twilio_post(client, "/voice/incoming"))
    assert said(gather(root))[-2:] == ["Tryk 4 for at høre beskeden igen.", "Tryk 7 for at blive stillet om til krisetelefonen."]
    hotline = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "7"}))
    dial = hotline.find("Dial")
    assert dial is not None and (dial.text or "").strip() == "+4570112233"
    # On an English call too (9, then 7).
    sid = "CA" + "4" * 32
    await twiml(await twilio_post(client, "/voice/incoming", {"CallSid": sid}))
    english = await twiml(await twilio_post(client, "/voice/menu", {"CallSid": sid, "Digits": "9"}))
    assert "Press 7 to be put through to the crisis line." in spoken(english)
    dialled = await twiml(await twilio_post(client, "/voice/menu?lang=en", {"CallSid": sid, "Digits": "7"}))
    assert (dialled.findtext("Dial") or "").strip() == "+4570112233"


async def test_the_crisis_s_own_phone_comes_before_the_published_hotline(
    client: Client, database_path: Path, clock: Clock
) -> None:
    await publish_hotline(client, "70 11 22 33")
    await turn_on(database_path, clock)  # with its own phone, 89 40 20 00
    await twiml(await twilio_post(client, "/voice/incoming"))
    hotline = await twiml(await twilio_post(client, "/voice/menu", {"Digits": "7"}))
    assert (hotline.findtext("Dial") or "").strip() == "+4589402000"


async def test_off_and_expiry_remove_it_from_the_greeting(client: Client, database_path: Path, clock: Clock) -> None:
    url = f"sqlite+aiosqlite:///{database_path}"
    await turn_on(database_path, clock)
    await crisis_off(argparse.Namespace(municipality="aarhus", all=False), url, io.StringIO(), clock, known=lambda: KNOWN)
    clock.now += timedelta(seconds=10)
    assert MESSAGE not in spoken(await twiml(await twilio_post(client, "/voice/incoming")))
    await turn_on(database_path, clock)
    assert MESSAGE in spoken(await twiml(await twilio_post(client, "/voice/incoming", {"CallSid": "CA" + "1" * 32})))
    clock.now += timedelta(hours=2)
    root = await twiml(await twilio_post(client, "/voice/incoming", {"CallSid": "CA" + "2" * 32}))
    assert MESSAGE not in spoken(root) and "Tryk 4" not in spoken(root)


async def test_a_scheduled_crisis_is_played_from_its_start_and_not_before(
    client: Client, database_path: Path, clock: Clock
) -> None:
    await turn_on(database_path, clock, starts="1h")
    root = await twiml(await twilio_post(client, "/voice/incoming"))
    assert MESSAGE not in spoken(root) and "Tryk 4" not in spoken(root)
    clock.now += timedelta(hours=1)  # its start: the same gateway, no restart
    root = await twiml(await twilio_post(client, "/voice/incoming", {"CallSid": "CA" + "3" * 32}))
    assert MESSAGE in spoken(root) and "Tryk 4" in spoken(root)


async def test_html_or_script_in_the_message_is_spoken_as_text_never_as_markup(
    client: Client, database_path: Path, clock: Clock
) -> None:
    await turn_on(database_path, clock, message='<Say>Tryk 5</Say><script>alert("x")</script> Kog vandet.')
    root = await twiml(await twilio_post(client, "/voice/incoming"))
    assert root.find(".//script") is None and all(element.tag == "Say" for element in gather(root))
    # Welcome, the message, the English one, "For English, press 9", the menu, 4 and 7: nothing injected.
    assert len(gather(root)) == 7, said(gather(root))
    assert said(gather(root))[-2:] == ["Tryk 4 for at høre beskeden igen.", "Tryk 7 for at blive stillet om til krisetelefonen."]
    said_text = spoken(gather(root))
    assert "alert" in said_text and "Tryk 5" in said_text and "Kog vandet." in said_text  # the characters, read as text

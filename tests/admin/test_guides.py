"""A municipality's own guides: written in the console, previewed, used by the assistant for that municipality only."""

from __future__ import annotations

from admin.roles import Role
from conversation.state import ENGINE
from knowledge import GuideLibrary
from knowledge.local_values import LocalValueStore
from knowledge.published import Follower
from tests.admin.support import log_in, make_user, page_csrf, stores
from tests.web.support import Client

GUIDES = "/admin/m/aarhus/guides"
LINES = "Ring til Borgerservice på {citizen_service_phone}, så ringer vi dig op.\nDu kan også skrive <b>til os</b>."


async def _editor(console: Client) -> None:
    await make_user(console, "redaktoer", Role.CONTENT_EDITOR, "aarhus")
    await log_in(console, "redaktoer")


async def _post(console: Client, topic: str, action: str, title: str = "Bliv ringet op", lines: str = LINES):
    token = await page_csrf(console, f"{GUIDES}/{topic}")
    form = {"csrf": token, "title": title, "lines": lines, "action": action}
    return await console.post(f"{GUIDES}/{topic}", data=form, allow_redirects=False)


async def _reader(console: Client) -> GuideLibrary:
    library = GuideLibrary.load()
    await Follower(LocalValueStore(console.app[ENGINE]), library.published, library.variables).refresh()
    return library


async def test_the_list_shows_whose_guide_the_assistant_uses(console: Client) -> None:
    await _editor(console)
    page = await (await console.get(GUIDES)).text()
    assert "Hjemmehjælp" in page and "Kommunens egen (fra konsortiet)" in page  # Aarhus's home_care in its file
    assert "Fælles vejledning" in page and "Ingen vejledning" in page  # human_agent has no shared guide


async def test_a_guide_for_a_topic_the_shared_set_lacks_is_used_for_that_municipality_only(console: Client) -> None:
    await _editor(console)
    preview = await _post(console, "human_agent", "preview")
    page = await preview.text()
    assert preview.status == 200 and "Efter din ændring" in page
    assert "Ring til Borgerservice på 00 00 07 51, så ringer vi dig op." in page  # rendered with Aarhus's value
    assert "&lt;b&gt;til os&lt;/b&gt;" in page
    assert await stores(console).content.guides("aarhus") == {}

    assert (await _post(console, "human_agent", "publish")).status == 303
    library = await _reader(console)
    answer = library.answer("human_agent", "aarhus")
    assert answer.title == "Bliv ringet op" and "00 00 07 51" in answer.text and "<b>til os</b>" in answer.text
    assert not library.has_guide("human_agent", "viborg")  # Viborg has none of its own
    entry = (await stores(console).audit.entries("aarhus"))[0]
    assert entry.action == "guide.published" and entry.details["after"]["title"] == "Bliv ringet op"


async def test_an_own_guide_overrides_the_shared_one_and_can_be_removed(console: Client) -> None:
    await _editor(console)
    await _post(console, "passport", "publish", title="Pas i Aarhus", lines="Bestil pas på aarhus.dk.")
    library = await _reader(console)
    assert library.answer("passport", "aarhus").title == "Pas i Aarhus"
    assert library.answer("passport", "skive").title == "Pas"
    assert (await _post(console, "passport", "remove")).status == 303
    library = await _reader(console)
    assert library.answer("passport", "aarhus").title == "Pas"
    assert (await stores(console).audit.entries("aarhus"))[0].action == "guide.removed"


async def test_a_misspelled_variable_is_refused_with_the_input_kept(console: Client) -> None:
    await _editor(console)
    response = await _post(console, "passport", "publish", lines="Ring på {citizen_servise_phone}.")
    page = await response.text()
    assert response.status == 400
    assert "oplysningen {citizen_servise_phone} findes ikke" in page and "Ring på {citizen_servise_phone}." in page
    assert await stores(console).content.guides("aarhus") == {}


async def test_an_agent_reads_guides_but_cannot_write_them(console: Client) -> None:
    await make_user(console, "agent", Role.AGENT)
    await log_in(console, "agent")
    page = await (await console.get(f"{GUIDES}/passport")).text()
    assert "Det svarer assistenten nu" in page and 'name="lines"' not in page
    token = await page_csrf(console, f"{GUIDES}/passport")
    response = await console.post(f"{GUIDES}/passport", data={"csrf": token, "title": "x", "lines": "y"}, allow_redirects=False)
    assert response.status == 403


async def test_topics_that_are_not_guides_have_no_page(console: Client) -> None:
    await _editor(console)
    assert (await console.get(f"{GUIDES}/emergency")).status == 404
    assert (await console.get(f"{GUIDES}/no_such_topic")).status == 404

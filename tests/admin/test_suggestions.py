"""Suggested values from the crawled website: shown beside the variable, accepted into the draft or rejected, audited."""

from __future__ import annotations

import argparse
import html
import io
import re
from pathlib import Path

import pytest

from admin.local_content import guide_library
from admin.roles import Role
from admin.suggest_cli import refresh
from admin.suggestions import Refreshed, State, SuggestionStore, suggest
from conversation.schema import upgrade_database
from crawler.sources import CrawlStores
from knowledge.suggestions import Suggestion
from muni.db import open_engine
from tests.admin.support import NOW, log_in, make_user, page_csrf, stores
from tests.support.suggest_site import write_crawl_stores
from tests.web.support import Client

CONTENT = "/admin/m/aarhus/content"
PHONE = "89 40 20 00"  # Borgerservice's number on Aarhus's contact page


@pytest.fixture
def crawl_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "crawl-stores"
    write_crawl_stores(folder)
    return folder


async def _refresh(console: Client, crawl_dir: Path, slug: str) -> None:
    with CrawlStores(crawl_dir).open(slug) as website:
        found = suggest(guide_library(), slug, website.live_pages())
    await stores(console).suggestions.refresh(slug, found, NOW)


async def _editor(console: Client, municipality: str = "aarhus", name: str = "redaktoer") -> None:
    await make_user(console, name, Role.CONTENT_EDITOR, municipality)
    await log_in(console, name)


def _suggestion_id(page: str, value: str) -> str:
    """The id in the accept form of the suggestion showing `value`."""
    block = page[page.index(f"<strong>{value}</strong>") :]
    found = re.search(r"/content/suggestions/(\d+)/accept", block)
    assert found is not None
    return found.group(1)


async def _act(console: Client, suggestion: str, action: str, slug: str = "aarhus"):
    token = await page_csrf(console, f"/admin/m/{slug}/content")
    return await console.post(
        f"/admin/m/{slug}/content/suggestions/{suggestion}/{action}", data={"csrf": token}, allow_redirects=False
    )


async def test_the_content_page_shows_the_websites_values_with_their_links(console: Client, crawl_dir: Path) -> None:
    await _refresh(console, crawl_dir, "aarhus")
    await _refresh(console, crawl_dir, "skive")
    await _editor(console)
    page = await (await console.get(CONTENT)).text()
    phone_block = page[page.index('id="v-citizen_service_phone"') :]
    phone_block = phone_block[: phone_block.index("</form>", phone_block.index('action="/admin/m/aarhus/content/citizen'))]
    assert f"<strong>{PHONE}</strong>" in phone_block
    assert 'href="https://aarhus.dk/borger/borgerservice/kontakt"' in phone_block
    assert "Ring til Borgerservice på 89 40 20 00" in phone_block
    assert "Brug forslaget" in phone_block and "Afvis" in phone_block
    assert "<strong>150</strong>" in page and "https://aarhus.dk/borger/pas/pasfoto" in page
    assert "Mandag 10-15, Tirsdag-torsdag 10-17, Fredag 10-13" in page
    assert "99 15 55 00" not in page and "skive.dk" not in page  # Skive's website speaks only for Skive


async def test_accepting_fills_the_draft_and_publishes_nothing_until_the_editor_does(console: Client, crawl_dir: Path) -> None:
    await _refresh(console, crawl_dir, "aarhus")
    await _editor(console)
    suggestion = _suggestion_id(await (await console.get(CONTENT)).text(), PHONE)
    response = await _act(console, suggestion, "accept")
    assert response.status == 303
    assert response.headers["Location"] == f"{CONTENT}?draft={suggestion}#v-citizen_service_phone"
    page = await (await console.get(response.headers["Location"])).text()
    assert f'id="f-citizen_service_phone" name="value" type="text" maxlength="1000" value="{PHONE}"' in page
    assert "Det er ikke offentliggjort" in page
    assert await stores(console).content.published("aarhus") == {}  # the draft is only in the form
    [entry] = [e for e in await stores(console).audit.entries("aarhus") if e.action == "content.suggestion_accepted"]
    assert entry.details["value"] == PHONE and entry.details["url"].endswith("/borgerservice/kontakt")
    # The editor publishes as usual; then the suggestion equals the value in use and is no longer offered.
    token = await page_csrf(console, CONTENT)
    published = await console.post(
        f"{CONTENT}/citizen_service_phone", data={"csrf": token, "value": PHONE, "action": "publish"}, allow_redirects=False
    )
    assert published.status == 303
    assert await stores(console).content.published("aarhus") == {"aarhus": {"citizen_service_phone": PHONE}}
    page = await (await console.get(CONTENT)).text()
    assert f"<strong>{PHONE}</strong>" not in page


async def test_rejecting_hides_it_for_good_and_is_audited(console: Client, crawl_dir: Path) -> None:
    await _refresh(console, crawl_dir, "aarhus")
    await _editor(console)
    suggestion = _suggestion_id(await (await console.get(CONTENT)).text(), "150")
    response = await _act(console, suggestion, "reject")
    assert response.status == 303
    page = await (await console.get(response.headers["Location"])).text()
    assert "<strong>150</strong>" not in page and "afvist" in page
    await _refresh(console, crawl_dir, "aarhus")  # the next crawl finds it again: still hidden
    assert "<strong>150</strong>" not in await (await console.get(CONTENT)).text()
    actions = [e.action for e in await stores(console).audit.entries("aarhus")]
    assert "content.suggestion_rejected" in actions
    assert (await _act(console, suggestion, "accept")).status == 404  # a rejected one cannot be used after all


async def test_another_municipalitys_editor_cannot_see_or_act_on_them(console: Client, crawl_dir: Path) -> None:
    await _refresh(console, crawl_dir, "aarhus")
    await _editor(console)
    aarhus_page = await (await console.get(CONTENT)).text()
    suggestion = _suggestion_id(aarhus_page, PHONE)
    await console.post("/admin/logout", data={"csrf": await page_csrf(console, CONTENT)})
    await _editor(console, "skive", "skive.redaktoer")
    assert (await console.get(CONTENT)).status == 403
    token = await page_csrf(console, "/admin/m/skive/content")
    own_route = await console.post(f"/admin/m/skive/content/suggestions/{suggestion}/accept", data={"csrf": token})
    assert own_route.status == 404  # Aarhus's suggestion through Skive's page
    other_route = await console.post(f"{CONTENT}/suggestions/{suggestion}/reject", data={"csrf": token})
    assert other_route.status == 403
    skive_page = await (await console.get(f"/admin/m/skive/content?draft={suggestion}")).text()
    assert PHONE not in skive_page and "aarhus.dk" not in html.unescape(skive_page)
    assert [s.state for s in (await stores(console).suggestions.shown("aarhus"))["citizen_service_phone"]] == ["open"]


async def test_agents_read_the_values_but_get_no_suggestions(console: Client, crawl_dir: Path) -> None:
    await _refresh(console, crawl_dir, "aarhus")
    await make_user(console, "agent", Role.AGENT)
    await log_in(console, "agent")
    page = await (await console.get(CONTENT)).text()
    assert "Pris på pasfoto" in page and "Forslag fra kommunens hjemmeside" not in page


async def test_muni_suggest_refreshes_from_the_crawl_stores(crawl_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}"
    out = io.StringIO()
    args = argparse.Namespace(all=True, municipality=None)
    assert await refresh(args, url, CrawlStores(crawl_dir), guide_library(), out, lambda: NOW) == 0
    assert "aarhus: " in out.getvalue() and "skive: " in out.getvalue()
    engine = open_engine(url)
    try:
        shown = await SuggestionStore(engine).shown("skive")
        assert [s.value for s in shown["citizen_service_phone"]] == ["99 15 55 00"]
        assert all(s.url.startswith("https://skive.dk/") for found in shown.values() for s in found)
    finally:
        await engine.dispose()
    unknown = argparse.Namespace(all=False, municipality="viborg")  # known, never crawled
    assert await refresh(unknown, url, CrawlStores(crawl_dir), guide_library(), out, lambda: NOW) == 1


def test_the_muni_command_runs_it(
    crawl_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.cli import main

    monkeypatch.setenv("MUNI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("MUNI_CRAWL_DIR", str(crawl_dir))
    assert main(["suggest", "--municipality", "aarhus"]) == 0
    assert "aarhus: 4 forslag (4 nye, 0 fjernet)" in capsys.readouterr().out
    assert main(["suggest", "--municipality", "atlantis"]) == 2


async def test_a_refresh_keeps_decisions_and_drops_what_the_website_no_longer_states(database_url: str) -> None:
    engine = open_engine(database_url)
    try:
        await upgrade_database(engine)
        store = SuggestionStore(engine)

        def found(value: float, url: str = "https://aarhus.dk/a") -> Suggestion:
            return Suggestion("aarhus", "passport_photo_price", value, url, "Pasfoto", f"koster {value} kr.", 5.0)

        first = await store.refresh("aarhus", [found(150), found(175), found(99.5)], NOW)
        assert (first.found, first.new, first.dropped) == (3, 3, 0)
        ids = {s.value: s.id for s in (await store.shown("aarhus"))["passport_photo_price"]}
        assert await store.decide(ids[175], State.REJECTED, NOW, actor_id=1)
        assert await store.decide(ids[99.5], State.ACCEPTED, NOW, actor_id=1)
        assert not await store.decide(ids[175], State.ACCEPTED, NOW, actor_id=1)  # a rejection is final
        # The next crawl: 150 moved to another page, 175 (rejected) is stated again, 99,50 no more, 120 is new.
        again = await store.refresh("aarhus", [found(150, "https://aarhus.dk/b"), found(175), found(120)], NOW)
        assert (again.found, again.new, again.dropped) == (3, 1, 0)
        shown = (await store.shown("aarhus"))["passport_photo_price"]
        assert {(s.value, s.state, s.url) for s in shown} == {
            (150, State.OPEN, "https://aarhus.dk/b"),
            (120, State.OPEN, "https://aarhus.dk/a"),
            (99.5, State.ACCEPTED, "https://aarhus.dk/a"),  # decided: kept until the editor publishes or rejects it
        }
        third = await store.refresh("aarhus", [], NOW)
        assert third.dropped == 2 and [s.value for s in (await store.shown("aarhus"))["passport_photo_price"]] == [99.5]
        # Aarhus's values never land in Skive's suggestions.
        assert await store.refresh("skive", [found(150)], NOW) == Refreshed(found=0, new=0, dropped=0)
    finally:
        await engine.dispose()


async def test_crawled_text_is_shown_as_text_and_only_web_links_are_links(console: Client) -> None:
    hostile = Suggestion(
        "aarhus", "citizen_service_phone", PHONE, "javascript:alert(1)", "<b>Kontakt</b>", "<script>alert(1)</script> ring", 9.0
    )
    await stores(console).suggestions.refresh("aarhus", [hostile], NOW)
    await _editor(console)
    page = await (await console.get(CONTENT)).text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ring" in page and "<script>alert" not in page
    assert "&lt;b&gt;Kontakt&lt;/b&gt;" in page and 'href="javascript:' not in page

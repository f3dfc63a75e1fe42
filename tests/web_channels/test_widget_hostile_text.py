"""Script and HTML in anything the bot says (guides, crawled pages) render inert in the widget,
and the widget appears only on the pages a municipality chose.

The real gateway runs against a fake bot whose every answer is hostile; the browser is Debian's
headless Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conversation.directory import Directory, Embedding
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.web.support import (
    CONTACT_PHONE,
    FakeContactCentre,
    FakeRasa,
    bot_text,
    muni_meta,
)
from tests.web_channels.browser import (
    browser_missing,
    chromium,
    host_page,
    in_thread,
    site,
)
from web.channels.settings import WebChannelSettings

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

SKIVE_PAGES = {"/borger/affald": True, "/kontakt": True, "/kontakt/presse": False, "/om/borger/x": False}
XSS = '<img src=x onerror="top.__xss=1"><script>top.__xss=1</script><b>fed</b>'


def hostile_reply(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        bot_text(f"Svar {XSS} se https://evil.example/phish eller https://www.borger.dk/pas.\nNy linje"),
        bot_text("Vælg", buttons=[{"title": '<img src=x onerror="top.__xss=1">Pas', "payload": "/passport"}]),
        muni_meta(
            topic="passport",
            source="web",
            links=[
                {"title": "<b>Ond</b>", "url": "https://evil.example/x"},
                {"title": "Skjult", "url": "https://aarhus.dk.evil.example/"},
                {"title": "Pas på borger.dk", "url": "https://www.borger.dk/pas"},
                {"title": "Aarhus", "url": "https://aarhus.dk/borger/pas"},
            ],
        ),
    ]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(gateway URL, test page URL): a municipality's page on 127.0.0.1 embedding the widget."""
    fake = FakeRasa()
    fake.reply = hostile_reply
    pages: dict[str, str] = {}
    database = Path(tmp_path_factory.mktemp("var")) / "muni.db"
    with site(pages) as municipality_site, in_thread(lambda: [fake.app()]) as (rasa_url,):
        settings = GatewaySettings(
            secret_key="browser-" + "s" * 40,
            rasa_url=rasa_url,
            actions_url=rasa_url,
            database_url=f"sqlite+aiosqlite:///{database}",
            channels=WebChannelSettings(extra_origins=(municipality_site.origin,)),
        )
        directory = Directory(
            municipalities={"aarhus": "Aarhus Kommune", "skive": "Skive Kommune"},
            topics=frozenset({"passport"}),
            contact_centre=FakeContactCentre(),
            embeddings={
                "aarhus": Embedding(website="aarhus.dk", origins=("https://aarhus.dk",), colour="#00558c"),
                # A path pattern, and a full-URL pattern for one page.
                "skive": Embedding(
                    website="skive.dk",
                    origins=("https://skive.dk",),
                    pages=("/borger/*", municipality_site.url("/kontakt")),
                ),
            },
            topic_titles={"passport": "Pas"},
        )
        with in_thread(lambda: [create_app(settings, directory)]) as (gateway_url,):
            pages["/borger/pas"] = host_page(gateway_url, "aarhus", "Pas")
            for path in SKIVE_PAGES:
                pages[path] = host_page(gateway_url, "skive", "Skive")
            yield gateway_url, municipality_site.url("/borger/pas")


def test_bot_and_citizen_text_with_markup_stays_text(gateway: tuple[str, str]) -> None:
    _, page_url = gateway
    with chromium() as browser:
        page = browser.new_page()
        page.goto(page_url)
        page.get_by_role("button", name="Chat med Aarhus Kommunes digitale assistent").click()
        chat = page.frame_locator("iframe[title^='Chat med']")
        log = chat.get_by_role("log")
        log.get_by_text("Ny linje").first.wait_for()

        chat.get_by_label("Skriv dit spørgsmål").fill(XSS)
        chat.get_by_role("button", name="Send", exact=True).click()
        log.locator(".msg.citizen").filter(has_text="<script>").wait_for()
        chat.get_by_role("button", name='<img src=x onerror="top.__xss=1">Pas').first.click()
        page.wait_for_timeout(300)

        frame = next(f for f in page.frames if "/widget/" in f.url)
        assert frame.evaluate("document.querySelectorAll('#muni .log img, #muni .log script, #muni .log b').length") == 0
        assert page.evaluate("window.__xss") is None and frame.evaluate("window.__xss") is None
        citizen = frame.evaluate("[...document.querySelectorAll('.msg.citizen')].map(m => m.textContent)")
        assert "Dig: " + XSS in citizen
        assert frame.evaluate("document.querySelector('.msg.bot').textContent").count("<script>") == 1
        hrefs = frame.evaluate("[...document.querySelectorAll('.log a')].map(a => a.href)")
        assert hrefs and all(h.startswith(("https://www.borger.dk/", "https://aarhus.dk/")) for h in hrefs), hrefs
        assert "https://aarhus.dk/borger/pas" in hrefs
        shown = frame.evaluate("document.querySelector('.log').textContent")
        assert "https://evil.example/phish" in shown and "<b>Ond</b> (https://evil.example/x)" in shown
        assert CONTACT_PHONE not in shown  # no fallback: the fake bot answered


def test_the_widget_appears_on_the_chosen_pages_only(gateway: tuple[str, str]) -> None:
    _, page_url = gateway
    origin = page_url.rsplit("/borger/", 1)[0]
    shown = {}
    with chromium() as browser:
        page = browser.new_page()
        for path in SKIVE_PAGES:
            page.goto(origin + path)
            page.wait_for_load_state("networkidle")
            shown[path] = page.evaluate("document.querySelectorAll('[data-muni=skive]').length") == 1
    assert shown == SKIVE_PAGES

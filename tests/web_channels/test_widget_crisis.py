"""Crisis mode in the browser: `muni crisis on` makes the banner appear in a widget that is already open,
without a reload; it is a polite status region with no axe violation; SMS deep links show it too, and
`muni crisis off` takes it away."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conversation.directory import Directory, Embedding
from gateway.app import create_app
from gateway.settings import GatewaySettings
from muni.paths import ROOT
from tests.web.support import FakeContactCentre, FakeRasa
from tests.web_channels.browser import axe_violations, browser_missing, chromium, host_page, in_thread, site
from web.channels import crisis as crisis_channel
from web.channels.settings import WebChannelSettings

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")
MESSAGE = "Drikkevandet er forurenet. Kog vandet før du drikker det. <b>ikke fed</b>"
WITHIN_MS = 60_000  # the promise: an open widget shows a change within a minute


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(the database URL, a municipality's page embedding the widget, the gateway's URL)."""
    fake = FakeRasa()
    pages: dict[str, str] = {}
    database = Path(tmp_path_factory.mktemp("var")) / "muni.db"
    url = f"sqlite+aiosqlite:///{database}"
    with site(pages) as municipality_site, in_thread(lambda: [fake.app()]) as (rasa_url,):
        settings = GatewaySettings(
            secret_key="browser-" + "s" * 40,
            rasa_url=rasa_url,
            actions_url=rasa_url,
            database_url=url,
            channels=WebChannelSettings(extra_origins=(municipality_site.origin,)),
        )
        directory = Directory(
            municipalities={"aarhus": "Aarhus Kommune"},
            topics=frozenset({"passport"}),
            contact_centre=FakeContactCentre(),
            embeddings={"aarhus": Embedding(website="aarhus.dk", origins=("https://aarhus.dk",))},
        )
        with in_thread(lambda: [create_app(settings, directory)]) as (gateway_url,):
            pages["/borger/pas"] = host_page(gateway_url, "aarhus", "Pas")
            yield url, municipality_site.url("/borger/pas"), gateway_url


def switch(url: str, on: bool) -> None:
    """`muni crisis on|off` as an operator runs it: the real command line, in its own process."""
    where = ["--municipality", "aarhus"]
    if on:
        args = ["on", *where, "--title", "Forurenet drikkevand", "--message", MESSAGE, "--message-en", "Boil your water."]
        args += ["--link", "https://aarhus.dk/krise", "--phone", "89 40 20 00", "--expires", "1h"]
    else:
        args = ["off", *where]
    env = {**os.environ, "MUNI_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "ops.cli", "crisis", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_the_banner_appears_in_an_open_widget_and_goes_with_off(
    gateway: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, page_url, gateway_url = gateway
    monkeypatch.setattr(crisis_channel, "POLL_S", 2)  # the widget asks every 2 s here, every 30 s in production
    with chromium() as browser:
        context = browser.new_context(bypass_csp=True)  # to inject axe
        page = context.new_page()
        page.goto(page_url)
        page.get_by_role("button", name="Chat med Aarhus Kommunes digitale assistent").click()
        chat = page.frame_locator("iframe[title^='Chat med']")
        chat.get_by_role("log").get_by_text("Hej!").first.wait_for()
        banner = chat.locator("section.crisis")
        assert banner.is_hidden()

        switch(url, on=True)
        banner.wait_for(state="visible", timeout=WITHIN_MS)
        assert banner.get_attribute("role") == "status" and banner.get_attribute("aria-live") == "polite"
        assert banner.get_by_role("heading", name="Forurenet drikkevand").is_visible()
        assert MESSAGE in (banner.text_content() or "")  # the markup is shown as text
        assert banner.locator("b").count() == 0
        assert banner.get_by_role("link", name="89 40 20 00").get_attribute("href") == "tel:89402000"
        assert axe_violations(page, min_framed_checks=10) == []

        deep = context.new_page()
        deep.goto(gateway_url + "/start/aarhus/passport?via=sms")
        deep.locator("section.crisis").wait_for(state="visible", timeout=WITHIN_MS)
        assert axe_violations(deep) == []

        switch(url, on=False)
        banner.wait_for(state="hidden", timeout=WITHIN_MS)
        context.close()

"""While the bot is down the chat API answers 503, and the widget shows its message: the contact
centre's phone and hours, in Danish, and the citizen can try again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import CONTACT_HOURS, CONTACT_PHONE, FakeRasa, default_reply
from tests.web_channels.browser import browser_missing, chromium, widget_page

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeRasa, str]]:
    """(the fake bot, a municipality's page embedding the widget)."""
    fake = FakeRasa()
    database = Path(tmp_path_factory.mktemp("var")) / "muni.db"
    with widget_page(database, fake.app()) as page:
        yield fake, page


def test_the_widget_shows_the_contact_centre_while_the_bot_is_down_and_recovers(
    gateway: tuple[FakeRasa, str],
) -> None:
    fake, page_url = gateway

    def down_after_greeting(message: dict[str, Any]) -> Any:
        return default_reply(message) if message["message"] == "/greeting" else {"error": "action server down"}

    fake.reply = down_after_greeting
    with chromium() as browser:
        page = browser.new_page()
        page.goto(page_url)
        page.get_by_role("button", name="Chat med Aarhus Kommunes digitale assistent").click()
        chat = page.frame_locator("iframe[title^='Chat med']")
        log = chat.get_by_role("log")
        log.get_by_text("Hej!").first.wait_for()

        chat.get_by_label("Skriv dit spørgsmål").fill("hvad koster et pas")
        chat.get_by_role("button", name="Send", exact=True).click()
        note = log.locator(".msg.note").filter(has_text=CONTACT_PHONE)
        note.wait_for()
        shown = note.text_content() or ""
        assert "Beklager" in shown and CONTACT_HOURS in shown

        fake.reply = default_reply  # the bot is back: the same conversation goes on
        chat.get_by_label("Skriv dit spørgsmål").fill("hvad koster et pas")
        chat.get_by_role("button", name="Send", exact=True).click()
        log.get_by_text("Du kan bestille pas i Borgerservice.").wait_for()

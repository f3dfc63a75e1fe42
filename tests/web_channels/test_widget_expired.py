"""A conversation's token expires 24 hours after its last turn: the widget says so politely, in the
chosen language, starts a fresh conversation and sends the citizen's question on in it; when even
that fails, the question goes back into the box. axe still finds nothing to fault."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import FakeRasa, bot_text, default_reply, muni_meta
from tests.web_channels.browser import AXE, axe_violations, browser_missing, chromium, widget_page

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

LAUNCHER = "Chat med Aarhus Kommunes digitale assistent"
A_DAY_LATER = timedelta(hours=24, minutes=1)


@dataclass
class Clock:
    """The gateway's clock: the test moves it a day on while the browser waits."""

    now: datetime = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class World:
    rasa: FakeRasa
    clock: Clock
    page_url: str


def in_its_language(message: dict[str, Any]) -> Any:
    """The fake bot, answering an English conversation in English."""
    if message["metadata"].get("language") != "en":
        return default_reply(message)
    if message["message"] == "/greeting":
        return [bot_text("Hello! I am Aarhus Kommune's digital assistant."), muni_meta()]
    return [bot_text("You order a passport at Borgerservice."), muni_meta(topic="passport", source="guide")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    fake, clock = FakeRasa(), Clock()
    database = Path(tmp_path_factory.mktemp("var")) / "muni.db"
    with widget_page(database, fake.app(), now=clock) as page:
        yield World(fake, clock, page)


@pytest.fixture
def rasa(world: World) -> Iterator[FakeRasa]:
    world.rasa.reply = in_its_language
    yield world.rasa
    world.rasa.reply = default_reply


def open_widget(browser: Any, world: World) -> tuple[Any, Any]:
    """(the page, the chat's frame) with the greeting shown."""
    context = browser.new_context(bypass_csp=True)  # to inject axe into the pages
    page = context.new_page()
    page.goto(world.page_url)
    page.get_by_role("button", name=LAUNCHER).click()
    chat = page.frame_locator("iframe[title^='Chat med']")
    chat.get_by_role("log").locator(".msg.bot").first.wait_for()
    return page, chat


def test_an_expired_conversation_is_started_afresh_and_the_question_sent_on(world: World, rasa: FakeRasa) -> None:
    with chromium() as browser:
        page, chat = open_widget(browser, world)
        log = chat.get_by_role("log")
        first = rasa.received[-1]["sender"]

        world.clock.now += A_DAY_LATER
        chat.get_by_label("Skriv dit spørgsmål").fill("hvad koster et pas")
        chat.get_by_role("button", name="Send", exact=True).click()

        log.get_by_text("Du kan bestille pas i Borgerservice.").wait_for()
        notes = log.locator(".msg.note").all_text_contents()
        assert any("Samtalen var udløbet" in note and "24 timer" in note for note in notes), notes
        # A new conversation (its own greeting), and the question went on in it, once.
        assert log.locator(".msg.bot").filter(has_text="Hej!").count() == 2
        assert log.locator(".msg.citizen").filter(has_text="hvad koster et pas").count() == 1
        asked = [body for body in rasa.received if body["message"] == "hvad koster et pas"]
        assert len(asked) == 1 and asked[0]["sender"] != first
        assert chat.get_by_label("Skriv dit spørgsmål").input_value() == ""

        if AXE.exists():
            assert axe_violations(page, min_framed_checks=20) == []


def test_in_english_it_says_so_in_english_and_keeps_the_question_when_the_restart_fails(
    world: World, rasa: FakeRasa
) -> None:
    with chromium() as browser:
        page, chat = open_widget(browser, world)
        log = chat.get_by_role("log")
        chat.get_by_label("Sprog / Language").select_option("en")
        log.get_by_text("Hello! I am Aarhus Kommune's digital assistant.").wait_for()

        world.clock.now += A_DAY_LATER
        rasa.reply = lambda message: {"error": "down"}  # the fresh conversation cannot start either
        question = chat.get_by_label("Write your question")
        question.fill("how much does a passport cost")
        question.press("Enter")

        log.locator(".msg.note").filter(has_text="Your question was not sent").wait_for()
        notes = log.locator(".msg.note").all_text_contents()
        assert any("This conversation had expired" in note for note in notes), notes
        assert question.input_value() == "how much does a passport cost"  # nothing the citizen wrote is lost

        rasa.reply = in_its_language  # the assistant is back: sending again starts afresh and answers
        question.press("Enter")
        log.get_by_text("You order a passport at Borgerservice.").wait_for()
        assert chat.locator("html").get_attribute("lang") == "en"

        if AXE.exists():
            assert axe_violations(page, min_framed_checks=20) == []

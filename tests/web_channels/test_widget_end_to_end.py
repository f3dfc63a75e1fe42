"""The web channels in headless Chromium against the real stack (Rasa, action server, gateway).

A municipality's page on 127.0.0.1 embeds the script; a citizen asks, follows a button, asks for a
person and rates; a deep link opens on its topic; a stranger's site is refused; axe-core finds no
WCAG 2.1 A/AA violation in the widget or the full page.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from ops.supervisor import Stack
from tests.support.stack import needs_stack, running_stack
from tests.web_channels.browser import (
    AXE,
    axe_violations,
    browser_missing,
    chromium,
    host_page,
    site,
)

pytestmark = [
    pytest.mark.e2e,
    needs_stack,
    pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or ""),
]
LAUNCHER = "Chat med Aarhus Kommunes digitale assistent"
PHONE = {"width": 375, "height": 667}
AGENT_KEY = "agent-key-" + "a" * 32


class World:
    def __init__(self, stack: Stack, municipality: str, stranger: str, pages: dict[str, str]) -> None:
        self.stack, self.municipality, self.stranger, self.pages = stack, municipality, stranger, pages

    @property
    def gateway(self) -> str:
        return self.stack.config.gateway_url


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    pages: dict[str, str] = {}
    strangers: dict[str, str] = {}
    with site(pages) as municipality, site(strangers) as stranger:
        var_dir = tmp_path_factory.mktemp("var")
        env = {
            # The test page stands in for aarhus.dk; the stranger's site is not allowed.
            "MUNI_EMBED_EXTRA_ORIGINS": municipality.origin,
            "MUNI_SMS_OUTBOX": str(var_dir / "outbox.jsonl"),
            "MUNI_AGENT_KEYS": f"hotline:*:{hashlib.sha256(AGENT_KEY.encode()).hexdigest()}",
        }
        with running_stack(var_dir, env) as stack:
            gateway = stack.config.gateway_url
            pages["/borger/pas"] = host_page(gateway, "aarhus", "Pas og kørekort")
            pages["/borger/flytning"] = host_page(gateway, "aarhus", "Flytning")
            pages["/om-kommunen/historie"] = host_page(gateway, "aarhus", "Byens historie")
            strangers["/borger/pas"] = host_page(gateway, "aarhus", "Falsk kommune")
            strangers["/frame"] = f'<!doctype html><title>x</title><iframe src="{gateway}/widget/aarhus"></iframe>'
            yield World(stack, municipality.origin, stranger.origin, pages)

@pytest.fixture(scope="module")
def browser(world: World) -> Iterator[Any]:
    with chromium() as running:
        yield running


def bot_messages(frame: Any) -> list[str]:
    return frame.evaluate("[...document.querySelectorAll('.msg.bot')].map(m => m.textContent)")


def wait_for_bot(frame: Any, count: int) -> list[str]:
    frame.wait_for_function(f"() => document.querySelectorAll('.msg.bot').length >= {count}", timeout=30_000)
    return bot_messages(frame)


def widget_frame(page: Any) -> Any:
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-muni]')].some(h => h.shadowRoot.querySelector('iframe'))"
    )
    for _ in range(100):
        for frame in page.frames:
            if "/widget/aarhus" in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError("the widget's frame never loaded")


def test_a_citizen_asks_follows_a_button_asks_for_a_person_and_rates(world: World, browser: Any) -> None:
    page = browser.new_page()
    page.goto(world.municipality + "/borger/pas")
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.focus()
    page.keyboard.press("Enter")  # keyboard only
    frame = widget_frame(page)
    frame.wait_for_function("() => document.activeElement && document.activeElement.id === 'muni-q'")
    greeting = wait_for_bot(frame, 1)
    assert "Aarhus" in greeting[0]

    page.keyboard.type("hvad koster et pas")
    page.keyboard.press("Enter")
    answer = wait_for_bot(frame, 2)[-1]
    assert "pas" in answer.lower() and "Aarhus Kommune" in answer

    page.keyboard.type("tilskud")
    page.keyboard.press("Enter")
    choices = frame.get_by_role("group", name="Svarmuligheder").last
    choices.wait_for()
    asked = len(bot_messages(frame))
    choices.get_by_role("button", name="Boligstøtte").click()
    housing = wait_for_bot(frame, asked + 1)[asked]
    assert "boligstøtte" in housing.lower() and not housing.startswith("Muni"), bot_messages(frame)
    assert frame.get_by_role("group", name="Svarmuligheder").count() == 0, "a used choice goes away"
    assert "Dig: Boligstøtte" in frame.evaluate("[...document.querySelectorAll('.msg.citizen')].map(m => m.textContent)")

    before = len(bot_messages(frame))
    frame.get_by_role("button", name="Tal med en medarbejder").last.click()
    person = wait_for_bot(frame, before + 1)[-1]
    assert re.search(r"\d{2} \d{2} \d{2} \d{2}", person), person  # the contact centre's number

    # Moving to another page of the site keeps the conversation.
    page.goto(world.municipality + "/borger/flytning")
    frame = widget_frame(page)
    frame.wait_for_function(f"() => document.querySelectorAll('.msg.bot').length >= {before + 1}")
    assert bot_messages(frame)[-1] == person

    frame.get_by_role("button", name="Bedøm samtalen").click()
    frame.get_by_label("8", exact=True).check()
    frame.get_by_label("Vil du fortælle mere? (frivilligt)").fill("Hurtig hjælp. Mit nummer er 20 30 40 50")
    frame.get_by_role("button", name="Send bedømmelse").click()
    frame.get_by_text("Tak for din bedømmelse.").wait_for()
    with sqlite3.connect(world.stack.config.var_dir / "muni.db") as db:
        [(score, comment)] = db.execute("select score, comment from ratings").fetchall()
    assert score == 8 and comment.startswith("Hurtig hjælp.") and "20 30 40 50" not in comment

    # Escape closes the widget from inside the chat, and focus goes back to the launcher.
    frame.get_by_label("Skriv dit spørgsmål").press("Escape")
    page.get_by_role("button", name=LAUNCHER).wait_for()
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.getAttribute('aria-expanded')") == "false"
    page.get_by_role("button", name=LAUNCHER).press("Enter")
    page.get_by_role("button", name="Luk chatten").click()
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.textContent") == "Spørg Aarhus Kommune"
    page.close()


def test_a_citizen_switches_to_english_and_gets_english_answers(world: World, browser: Any) -> None:
    page = browser.new_page()
    page.goto(world.municipality + "/borger/pas")
    page.get_by_role("button", name=LAUNCHER).click()
    frame = widget_frame(page)
    assert wait_for_bot(frame, 1)[0].startswith("Aarhus Kommune: Hej!")

    choice = frame.get_by_label("Sprog / Language")
    choice.focus()
    choice.select_option("en")  # a real <select>: keyboard and screen readers can use it
    frame.wait_for_function("() => document.documentElement.lang === 'en'")
    frame.wait_for_function("() => [...document.querySelectorAll('.msg.bot')].some(m => m.lang === 'en')")
    greeting = bot_messages(frame)
    assert len(greeting) == 1, "the Danish conversation gave way to a new one in English"
    assert "Hello! I am Muni, Aarhus Kommune's digital assistant." in greeting[0]
    assert frame.get_by_role("button", name="Talk to a person").count() == 1
    assert frame.get_by_label("Write your question").count() == 1

    frame.get_by_label("Write your question").fill("how much does a passport cost")
    frame.get_by_label("Write your question").press("Enter")
    answer = wait_for_bot(frame, 2)[-1]
    assert "You order a passport at Borgerservice" in answer and "DKK" in answer, answer

    # The choice holds when the citizen moves on to another page of the site.
    page.goto(world.municipality + "/borger/flytning")
    frame = widget_frame(page)
    frame.wait_for_function("() => document.querySelectorAll('.msg.bot').length >= 2")
    assert frame.evaluate("document.documentElement.lang") == "en"
    assert frame.get_by_label("Sprog / Language").input_value() == "en"
    page.close()


def test_the_widget_appears_only_on_the_pages_the_municipality_chose(world: World, browser: Any) -> None:
    page = browser.new_page()
    page.goto(world.municipality + "/om-kommunen/historie")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.querySelectorAll('[data-muni]').length") == 0
    page.close()


def test_a_deep_link_opens_full_page_on_its_topic(world: World, browser: Any) -> None:
    page = browser.new_page()
    response = page.goto(world.gateway + "/start/horsens/waste_collection?via=qr")
    assert response.status == 200
    assert page.title().startswith("Affald")
    first = wait_for_bot(page.main_frame, 1)[0]
    assert "affald" in first.lower() and "Horsens" in first
    unknown = page.goto(world.gateway + "/start/horsens/no_such_topic")
    assert unknown.status == 404
    assert "Vi kan ikke finde siden" in page.content()
    page.close()


def test_an_agents_sms_link_goes_to_the_outbox_and_opens_on_its_topic(world: World, browser: Any) -> None:
    def send() -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            world.gateway + "/api/v1/sms-links",
            data=json.dumps({"to": "20 12 34 56", "municipality": "viborg", "topic": "moving"}).encode(),
            headers={"Authorization": f"Bearer {AGENT_KEY}", "Idempotency-Key": "call-e2e-1",
                     "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())

    (first_status, first), (second_status, second) = send(), send()
    assert (first_status, second_status) == (202, 200) and second == {**first, "duplicate": True}
    outbox = (world.stack.config.var_dir / "outbox.jsonl").read_text(encoding="utf-8")
    [line] = [json.loads(entry) for entry in outbox.splitlines()]
    assert first["url"] in line["body"] and line["to_masked"] == "+45…56"
    assert "20123456" not in outbox and "20 12 34 56" not in outbox
    page = browser.new_page()
    page.goto(first["url"])
    assert "flyt" in wait_for_bot(page.main_frame, 1)[0].lower()
    page.close()
    with sqlite3.connect(world.stack.config.var_dir / "muni.db") as db:
        opened = db.execute("select municipality, channel from conversations where topic = 'moving'").fetchall()
    assert opened == [("viborg", "sms")]


def test_a_strangers_site_can_neither_embed_frame_nor_drive_the_assistant(world: World, browser: Any) -> None:
    page = browser.new_page()
    page.goto(world.stranger + "/borger/pas")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert page.evaluate("document.querySelectorAll('[data-muni]').length") == 0
    result = page.evaluate(
        """url => fetch(url + '/api/v1/conversations', {method: 'POST', headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({municipality: 'aarhus', channel: 'web'})}).then(r => 'read ' + r.status, () => 'blocked')""",
        world.gateway,
    )
    assert result == "blocked"
    page.goto(world.stranger + "/frame")
    page.wait_for_timeout(1000)
    framed = [f for f in page.frames if f is not page.main_frame]
    assert framed, "the iframe element exists"
    for frame in framed:
        assert "/widget/aarhus" not in frame.url or frame.evaluate("document.getElementById('muni')") is None
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason=f"axe-core is not at {AXE} (npm ci --prefix web/tests-node; make test runs it)")
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_wcag_21_aa_violation_in_the_widget_or_the_full_page(
    world: World, browser: Any, viewport: dict[str, int]
) -> None:
    context = browser.new_context(bypass_csp=True, viewport=viewport)  # to inject axe into the pages
    page = context.new_page()
    page.goto(world.municipality + "/borger/pas")
    page.get_by_role("button", name=LAUNCHER).click()
    frame = widget_frame(page)
    wait_for_bot(frame, 1)
    frame.get_by_label("Skriv dit spørgsmål").fill("hvad koster et pas")
    frame.get_by_label("Skriv dit spørgsmål").press("Enter")
    wait_for_bot(frame, 2)
    frame.get_by_role("button", name="Bedøm samtalen").click()
    assert axe_violations(page, min_framed_checks=20) == []

    page.goto(world.gateway + "/start/aarhus/passport?via=sms")
    wait_for_bot(page.main_frame, 1)
    page.get_by_role("button", name="Bedøm samtalen").click()
    assert axe_violations(page) == []
    english = context.new_page()  # a new tab: no Danish conversation kept in its sessionStorage
    english.goto(world.gateway + "/start/aarhus/passport?via=sms&lang=en")
    wait_for_bot(english.main_frame, 1)
    assert english.evaluate("document.documentElement.lang") == "en"
    assert axe_violations(english) == []
    page.goto(world.gateway + "/start/aarhus/nope")
    assert axe_violations(page) == []
    context.close()

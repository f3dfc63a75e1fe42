"""The widget's rating in the browser: the 1-9 scale with an optional comment, no axe violation, stored redacted."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.support import FakeRasa
from tests.web_channels.browser import AXE, axe_violations, browser_missing, chromium, widget_page

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(the database file, a municipality's page embedding the widget)."""
    database = Path(tmp_path_factory.mktemp("var")) / "muni.db"
    with widget_page(database, FakeRasa().app()) as page:
        yield database, page


def _open_rating(browser: Any, page_url: str) -> tuple[Any, Any, Any]:
    """(the browser context, the host page, the widget's frame) with the rating form open."""
    context = browser.new_context(bypass_csp=True)  # to inject axe
    page = context.new_page()
    page.goto(page_url)
    page.get_by_role("button", name="Chat med Aarhus Kommunes digitale assistent").click()
    chat = page.frame_locator("iframe[title^='Chat med']")
    chat.get_by_role("log").get_by_text("Hej!").first.wait_for()
    chat.get_by_role("button", name="Bedøm samtalen").click()
    return context, page, chat


@pytest.mark.skipif(not AXE.exists(), reason=f"axe-core is not at {AXE} (npm ci --prefix web/tests-node; make test runs it)")
def test_the_rating_form_with_its_comment_field_has_no_axe_violation(gateway: tuple[Path, str]) -> None:
    with chromium() as browser:
        context, page, chat = _open_rating(browser, gateway[1])
        chat.get_by_label("Vil du fortælle mere? (frivilligt)").wait_for()
        assert axe_violations(page, min_framed_checks=10) == []
        context.close()


def test_a_rating_with_a_comment_is_stored_redacted(gateway: tuple[Path, str]) -> None:
    database, page_url = gateway
    with chromium() as browser:
        context, _page, chat = _open_rating(browser, page_url)
        comment = chat.get_by_label("Vil du fortælle mere? (frivilligt)")
        assert comment.get_attribute("maxlength") == "500"
        hint = chat.locator(f"#{comment.get_attribute('aria-describedby')}")
        assert "personlige oplysninger" in (hint.text_content() or "")
        chat.get_by_label("7", exact=True).check()
        comment.fill("Fint svar. Ring til mig på 20 30 40 50")
        chat.get_by_role("button", name="Send bedømmelse").click()
        chat.get_by_text("Tak for din bedømmelse.").wait_for()
        context.close()
    with sqlite3.connect(database) as db:
        [(score, stored)] = db.execute("select score, comment from ratings").fetchall()
    assert score == 7 and stored.startswith("Fint svar.") and "20 30 40 50" not in stored

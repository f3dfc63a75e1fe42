"""The console in headless Chromium: logged in with the keyboard only, every page scanned by axe-core.

Every page must have 0 WCAG 2.1 A/AA violations. With MUNI_SCREENSHOT_DIR set, the login page
and a municipality's start page are saved there (the README's pictures: MUNI_SCREENSHOT_DIR=docs).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

from admin.roles import Role
from admin.suggestions import SuggestionStore
from admin.users import UserStore
from conversation.directory import Directory
from conversation.log import ConversationLog, ConversationRecord, TurnRecord
from conversation.schema import upgrade_database
from conversation.statistics.unanswered import Question, UnansweredQuestions
from gateway.app import create_app
from gateway.settings import GatewaySettings
from knowledge.suggestions import Suggestion
from muni.db import open_engine
from tests.admin.support import PASSWORD
from tests.web.support import FakeContactCentre, FakeRasa
from tests.web_channels.browser import axe_violations, browser_missing, chromium, in_thread

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NAMES = {
    "aarhus": "Aarhus Kommune",
    "skive": "Skive Kommune",
    "viborg": "Viborg Kommune",
    "horsens": "Horsens Kommune",
    "furesoe": "Furesø Kommune",
    "lemvig": "Lemvig Kommune",
}


async def _seed(url: str) -> None:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        users, log = UserStore(engine), ConversationLog(engine)
        now = datetime.now(UTC)
        await users.create("konsortiet", Role.CONSORTIUM_ADMIN, None, PASSWORD, now)
        admin = await users.by_name("konsortiet")
        assert admin is not None
        await users.enable_second_factor(admin.id, SECRET)
        await users.create("anne.hansen", Role.MUNICIPALITY_ADMIN, "aarhus", PASSWORD, now)
        await users.create("bo.jensen", Role.CONTENT_EDITOR, "aarhus", PASSWORD, now - timedelta(days=340))
        await users.create("hotline.agent", Role.AGENT, None, PASSWORD, now)
        for variable, topic, count in (
            ("pasfoto_pris", "passport", 14),
            ("borgerservice_telefon", "moving", 6),
            ("genbrugsplads_aabningstider", "waste", 3),
        ):
            for _ in range(count):
                await log.record_gap("aarhus", topic, variable, now)
        for n, (channel, source) in enumerate((("web", "guide"), ("web", "fallback"), ("voice", "guide"), ("sms", "handoff"))):
            conversation_id = f"c-{n}"
            at = now - timedelta(days=n)
            await log.start_conversation(ConversationRecord(conversation_id, "aarhus", channel, at, "passport"))
            await log.add_turns(
                [
                    TurnRecord(conversation_id, at, "citizen", "hvad koster et pas"),
                    TurnRecord(conversation_id, at, "bot", "Et pas koster 671 kr.", "passport", source, source != "guide"),
                ]
            )
            await log.record_rating(conversation_id, 5 + n, at)
        await SuggestionStore(engine).refresh(
            "aarhus",
            [
                Suggestion("aarhus", "passport_photo_price", 150, "https://aarhus.dk/pas", "Pasfoto", "Pasfoto 150 kr.", 7),
                Suggestion("aarhus", "passport_photo_price", 175, "https://aarhus.dk/priser", "Priser", "Pasfoto 175 kr.", 4),
            ],
            now,
        )
        questions = UnansweredQuestions(engine)
        for turn_id, text in ((1, "hvornår åbner genbrugspladsen"), (3, "hvornår har genbrugspladsen åbent")):
            await questions.add(Question(turn_id, "aarhus", now, text), 1, "waste")
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("var") / "muni.db"
    url = f"sqlite+aiosqlite:///{database}"
    asyncio.run(_seed(url))
    fake = FakeRasa()
    with in_thread(lambda: [fake.app()]) as (rasa_url,):
        settings = GatewaySettings(secret_key="browser-" + "s" * 40, rasa_url=rasa_url, actions_url=rasa_url, database_url=url)
        directory = Directory(
            municipalities=NAMES,
            topics=frozenset({"passport", "moving", "waste"}),
            contact_centre=FakeContactCentre(),
            topic_titles={"passport": "Pas", "moving": "Flytning", "waste": "Affald og genbrug"},
        )
        with in_thread(lambda: [create_app(settings, directory)]) as (gateway_url,):
            yield gateway_url
    fake.release()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def _context(browser: Any, **options: Any) -> Any:
    # axe is injected as a script, which the console's policy (rightly) forbids: bypass it for the scan only.
    return browser.new_context(bypass_csp=True, locale="da-DK", **options)


def _login_with_keyboard(page: Any, gateway: str, username: str, *, code: bool = False) -> None:
    page.goto(f"{gateway}/admin/")
    assert "/admin/login" in page.url
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Spring til indholdet"
    page.keyboard.press("Tab")  # the console's name, a link home
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if code:
        assert "/admin/login/second-factor" in page.url
        page.focus("#code")
        page.keyboard.type(pyotp.TOTP(SECRET).now())
        with page.expect_navigation():
            page.keyboard.press("Enter")


def _scan(page: Any, url: str, expect: str) -> list[dict[str, Any]]:
    page.goto(url)
    assert expect in page.content(), url
    return axe_violations(page)


def _shoot(page: Any, name: str) -> None:
    folder = os.environ.get("MUNI_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_every_console_page_passes_axe_for_a_consortium_admin(gateway: str, browser: Any) -> None:
    context = _context(browser, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.goto(f"{gateway}/admin/login")
    found = {"login": axe_violations(page)}
    _shoot(page, "admin-login.png")
    page.fill("#username", "konsortiet")
    page.fill("#password", "forkert adgangskode")
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert "Forkert brugernavn" in page.content()
    found["login with an error"] = axe_violations(page)

    _login_with_keyboard(page, gateway, "konsortiet", code=False)
    found["second factor"] = axe_violations(page)
    page.focus("#code")
    page.keyboard.type(pyotp.TOTP(SECRET).now())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/admin/")

    found["overview"] = _scan(page, f"{gateway}/admin/", "Oversigt")
    found["municipality"] = _scan(page, f"{gateway}/admin/m/aarhus/", "pasfoto_pris")
    _shoot(page, "admin-municipality.png")
    found["agents"] = _scan(page, f"{gateway}/admin/m/aarhus/agents", "SANDBOX")
    found["integrations"] = _scan(page, f"{gateway}/admin/m/aarhus/integrations", "Test forbindelsen")
    found["users"] = _scan(page, f"{gateway}/admin/users", "anne.hansen")
    found["retention"] = _scan(page, f"{gateway}/admin/retention", "Opbevaring af data")
    found["erasure"] = _scan(page, f"{gateway}/admin/erasure", "Sletning på anmodning")
    page.fill("#erase-conversation", "ikke-et-id")
    with page.expect_navigation():
        page.press("#erase-conversation", "Enter")
    assert "8-4-4-4-12" in page.content()
    found["erasure with an error"] = axe_violations(page)
    found["audit"] = _scan(page, f"{gateway}/admin/audit", "login")
    found["enrol"] = _scan(page, f"{gateway}/admin/account/second-factor", "QR-kode")
    found["not found"] = _scan(page, f"{gateway}/admin/m/atlantis/", "Siden findes ikke")
    found["crisis"] = _scan(page, f"{gateway}/admin/crisis", "API-nøgler")
    page.fill("#key-label", "Aarhus beredskab")
    with page.expect_navigation():
        page.press("#key-label", "Enter")
    assert "vises kun denne ene gang" in page.content()
    found["crisis with a new key"] = axe_violations(page)


    found["consortium statistics"] = _scan(page, f"{gateway}/admin/stats?sort=resolved", "Konsortiet i alt")
    found["statistics"] = _scan(page, f"{gateway}/admin/m/aarhus/stats", "Løst uden overdragelse")
    _shoot(page, "admin-statistics.png")
    assert {name: v for name, v in found.items() if v} == {}
    context.close()


def test_a_municipality_admin_turns_crisis_mode_on_and_off_with_the_keyboard(gateway: str, browser: Any) -> None:
    context = _context(browser, viewport={"width": 375, "height": 667})
    page = context.new_page()
    _login_with_keyboard(page, gateway, "anne.hansen")
    page.goto(f"{gateway}/admin/crisis")
    assert "Skive" not in page.content() and axe_violations(page) == []
    page.focus("#crisis-title")
    page.keyboard.type("Forurenet drikkevand")
    page.keyboard.press("Tab")
    page.keyboard.type("x" * 301)  # the field stops at 300; the server says so too when a browser does not
    assert len(page.input_value("#crisis-message")) == 300
    page.fill("#crisis-message", "<b>Kog vandet</b> før du drikker det.")
    page.fill("#crisis-link", "ikke et link")
    page.evaluate("document.querySelector('#crisis-link').type = 'text'")  # past the browser's own check
    with page.expect_navigation():
        page.press("#crisis-title", "Enter")
    assert page.get_by_role("alert").text_content() and "https://" in (page.get_by_role("alert").text_content() or "")
    assert page.input_value("#crisis-title") == "Forurenet drikkevand"  # nothing typed is lost
    assert axe_violations(page) == []
    page.fill("#crisis-link", "https://aarhus.dk/krise")
    with page.expect_navigation():
        page.press("#crisis-title", "Enter")
    row = page.get_by_role("row").filter(has_text="Aarhus Kommune")
    assert "Aktiv" in (row.text_content() or "") and "<b>Kog vandet</b>" not in page.content()
    with page.expect_navigation():
        row.get_by_role("button", name="Slå fra").press("Enter")
    assert "Aktiv" not in (page.get_by_role("row").filter(has_text="Aarhus Kommune").text_content() or "")
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 1200, "height": 800}, {"width": 375, "height": 667}], ids=["desktop", "phone"])
def test_municipality_staff_pages_pass_axe(gateway: str, browser: Any, viewport: dict[str, int]) -> None:
    context = _context(browser, viewport=viewport)
    page = context.new_page()
    _login_with_keyboard(page, gateway, "anne.hansen")
    assert page.url.endswith("/admin/m/aarhus/")
    found = {
        "start": axe_violations(page),
        "users": _scan(page, f"{gateway}/admin/users", "bo.jensen"),
        "integrations": _scan(page, f"{gateway}/admin/m/aarhus/integrations", "Tidsbestilling"),
        "audit": _scan(page, f"{gateway}/admin/audit", "login"),
        "forbidden": _scan(page, f"{gateway}/admin/m/skive/", "ikke adgang"),
        "statistics": _scan(page, f"{gateway}/admin/m/aarhus/stats", "mål 70 %"),
        "statistics by year": _scan(page, f"{gateway}/admin/m/aarhus/stats?from=2025-01-01&channel=web", "Udvikling"),
        "statistics, bad period": _scan(page, f"{gateway}/admin/m/aarhus/stats?from=2026-99-01", "ÅÅÅÅ-MM-DD"),
        "conversations": _scan(page, f"{gateway}/admin/m/aarhus/conversations?from=2025-01-01&q=pas", "Samtaler, nyeste først"),
        "conversation": _scan(page, f"{gateway}/admin/m/aarhus/conversations/c-1", "Et pas koster 671 kr."),
        "unanswered": _scan(page, f"{gateway}/admin/m/aarhus/unanswered", "hvornår åbner genbrugspladsen"),
    }
    assert {name: v for name, v in found.items() if v} == {}
    context.close()


def test_a_form_error_keeps_the_input_and_is_announced(gateway: str, browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    _login_with_keyboard(page, gateway, "anne.hansen")
    page.goto(f"{gateway}/admin/users")
    page.fill("#new-username", "ny.redaktoer")
    page.fill("#new-password", "kort")
    page.evaluate("document.querySelector('#new-password').removeAttribute('minlength')")  # as a browser without checks
    with page.expect_navigation():
        page.press("#new-password", "Enter")
    assert page.locator("[role=alert]").inner_text().startswith("Adgangskoden skal være mindst 12 tegn")
    assert page.input_value("#new-username") == "ny.redaktoer"
    assert axe_violations(page) == []
    context.close()


def test_an_agent_and_an_editor_get_only_their_pages(gateway: str, browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    _login_with_keyboard(page, gateway, "hotline.agent")
    assert page.url.endswith("/admin/") and "Furesø Kommune" in page.content()
    assert axe_violations(page) == []
    page.goto(f"{gateway}/admin/users")
    assert "ikke adgang" in page.content()
    context.close()


def test_a_suggestion_is_used_or_rejected_with_the_keyboard(gateway: str, browser: Any) -> None:
    context = _context(browser, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    _login_with_keyboard(page, gateway, "bo.jensen")
    found = {"content with suggestions": _scan(page, f"{gateway}/admin/m/aarhus/content", "Forslag fra kommunens hjemmeside")}
    _shoot(page, "admin-suggestions.png")
    reject = page.get_by_role("button", name="Afvis forslaget 175 til pris på pasfoto")
    reject.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "afvist" in page.content() and "<strong>175</strong>" not in page.content()
    found["after a rejection"] = axe_violations(page)
    use = page.get_by_role("button", name="Brug forslaget 150 som pris på pasfoto")
    use.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.input_value("#f-passport_photo_price") == "150"
    assert page.get_by_role("status").filter(has_text="ikke offentliggjort").count() == 1
    found["suggestion in the draft"] = axe_violations(page)
    assert found == {name: [] for name in found}
    context.close()


def test_local_content_pages_pass_axe_and_work_with_the_keyboard(gateway: str, browser: Any) -> None:
    context = _context(browser, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    _login_with_keyboard(page, gateway, "anne.hansen")
    assert 'href="/admin/m/aarhus/content#v-citizen_service_phone"' in page.content()  # the gap list
    found = {"content": _scan(page, f"{gateway}/admin/m/aarhus/content", "Lokalt indhold")}
    _shoot(page, "admin-content.png")
    page.focus("#f-citizen_service_phone")
    page.keyboard.press("Control+A")
    page.keyboard.type("ring 8713")
    page.keyboard.press("Tab")  # the hint is text; next come the two buttons: preview, then publish
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "kun have cifre" in page.content()
    assert page.input_value("#f-citizen_service_phone") == "ring 8713"
    assert page.get_attribute("#f-citizen_service_phone", "aria-invalid") == "true"
    found["content with an error"] = axe_violations(page)
    page.fill("#f-citizen_service_phone", "87 13 13 13")
    with page.expect_navigation():
        page.click("#v-citizen_service_phone button[value=preview]")
    assert "87 13 13 13" in page.content() and "Før" in page.content()
    found["preview of a change"] = axe_violations(page)
    with page.expect_navigation():
        page.click("text=Offentliggør ændringen")
    assert "Offentliggjort" in page.content()
    found["topic preview"] = _scan(page, f"{gateway}/admin/m/aarhus/content/preview?topic=passport", "Pasfoto")
    found["history"] = _scan(page, f"{gateway}/admin/m/aarhus/content/history", "87 13 13 13")
    found["import"] = _scan(page, f"{gateway}/admin/m/aarhus/content/import", "CSV-fil")
    page.set_input_files(
        "#csv-file",
        files=[{"name": "v.csv", "mimeType": "text/csv", "buffer": b"variabel;vaerdi\npassport_photo_price;gratis\n"}],
    )
    with page.expect_navigation():
        page.click("text=Kontrollér filen")
    assert "er ikke et beløb" in page.content()
    found["import report"] = axe_violations(page)
    found["guides"] = _scan(page, f"{gateway}/admin/m/aarhus/guides", "Egne vejledninger")
    found["guide"] = _scan(page, f"{gateway}/admin/m/aarhus/guides/human_agent", "Skriv kommunens egen vejledning")
    page.fill("#guide-title", "Bliv ringet op")
    page.fill("#guide-lines", "Ring på {citizen_servise_phone}.")
    with page.expect_navigation():
        page.click("button[value=preview]")
    assert "findes ikke" in page.content() and page.input_value("#guide-title") == "Bliv ringet op"
    found["guide with an error"] = axe_violations(page)
    page.fill("#guide-lines", "Ring på {citizen_service_phone}, så ringer vi dig op.")
    with page.expect_navigation():
        page.click("button[value=preview]")
    assert "Efter din ændring" in page.content()
    found["guide preview"] = axe_violations(page)
    assert {name: v for name, v in found.items() if v} == {}


def test_an_agent_fills_the_sms_form_with_the_keyboard(gateway: str, browser: Any) -> None:
    context = _context(browser)
    page = context.new_page()
    _login_with_keyboard(page, gateway, "hotline.agent")
    page.goto(f"{gateway}/admin/m/furesoe/agents")
    assert "SANDBOX" in page.content() and axe_violations(page) == []
    page.focus("#sms-municipality")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the first topic
    page.keyboard.press("Tab")
    page.keyboard.type("+46 70 123 45 67")  # not Danish: refused before anything is sent
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "dansk nummer med 8 cifre" in page.locator("[role=alert]").inner_text()
    assert page.input_value("#sms-phone") == "+46 70 123 45 67"
    assert axe_violations(page) == []
    context.close()

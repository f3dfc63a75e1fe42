"""Local content in the console: values per topic, typed validation, preview, publish, history, revert, the gap list."""

from __future__ import annotations

import html
import json

from admin.local_content import guide_library
from admin.roles import Role
from conversation.state import ENGINE
from knowledge import GuideLibrary
from knowledge.local_values import LocalValueStore
from knowledge.published import Follower
from tests.admin.support import log_in, make_user, page_csrf, stores
from tests.web.support import Client

CONTENT = "/admin/m/aarhus/content"


async def _editor(console: Client, role: Role = Role.CONTENT_EDITOR, municipality: str | None = "aarhus") -> None:
    await make_user(console, "redaktoer", role, municipality)
    await log_in(console, "redaktoer")


async def _post(console: Client, variable: str, value: str, action: str = "publish", slug: str = "aarhus"):
    token = await page_csrf(console, f"/admin/m/{slug}/content")
    return await console.post(
        f"/admin/m/{slug}/content/{variable}", data={"csrf": token, "value": value, "action": action}, allow_redirects=False
    )


async def test_the_page_lists_values_per_topic_with_their_status(console: Client) -> None:
    await _editor(console)
    page = await (await console.get(CONTENT)).text()
    assert "<h2 id=\"topic-" in page and ">Pas</h2>" in page
    assert "Pris på pasfoto" in page and "Demo-data" in page  # Aarhus's file value is demo
    assert "Link til at bestille et telefonopkald" in page and "Mangler" in page  # Aarhus has none
    assert 'action="/admin/m/aarhus/content/passport_photo_price"' in page


async def test_an_invalid_value_shows_the_form_again_with_the_error_and_the_input(console: Client) -> None:
    await _editor(console)
    response = await _post(console, "citizen_service_phone", "ring 87 13")
    page = await response.text()
    assert response.status == 400
    assert "kun have cifre" in page and 'value="ring 87 13"' in page and 'aria-invalid="true"' in page
    assert await stores(console).content.published("aarhus") == {}


async def test_publishing_stores_the_value_audits_it_and_the_assistant_renders_it(console: Client) -> None:
    await _editor(console)
    response = await _post(console, "passport_photo_price", "135,50")
    assert response.status == 303 and response.headers["Location"].endswith("#v-passport_photo_price")
    assert await stores(console).content.published("aarhus") == {"aarhus": {"passport_photo_price": 135.5}}
    entry = (await stores(console).audit.entries("aarhus"))[0]
    assert entry.action == "content.published" and entry.details["after"] == {"value": 135.5}
    assert entry.details["before"] == {"value": None}
    page = await (await console.get(CONTENT)).text()
    assert "Offentliggjort" in page and "135,50" in page
    # An action server reading the same database says the same thing.
    reader = GuideLibrary.load()
    await Follower(LocalValueStore(console.app[ENGINE]), reader.published, reader.variables).refresh()
    assert "Pasfoto kan tages i Borgerservice for 135,50 kr." in reader.answer("passport", "aarhus").text


async def test_the_preview_shows_before_and_after_and_publishes_nothing(console: Client) -> None:
    await _editor(console)
    response = await _post(console, "passport_photo_price", "140", action="preview")
    page = await response.text()
    assert response.status == 200
    library = guide_library()
    before = library.answer("passport", "aarhus", values={})
    assert "Pasfoto kan tages i Borgerservice for 120 kr." in page  # before: the file's demo value
    assert "Pasfoto kan tages i Borgerservice for 140 kr." in page  # after
    assert html.escape(before.text.splitlines()[0]) in page  # the same renderer as the assistant
    assert 'name="value" value="140"' in page
    assert await stores(console).content.published("aarhus") == {}


async def test_html_in_a_value_is_stored_as_text_and_escaped(console: Client) -> None:
    await _editor(console)
    script = '<script>alert("x")</script> Hent passet i skabet.'
    assert (await _post(console, "passport_pickup", script)).status == 303
    page = await (await console.get(CONTENT)).text()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    preview = await (await console.get("/admin/m/aarhus/content/preview?topic=passport")).text()
    assert "<script>alert" not in preview and "&lt;script&gt;alert" in preview
    stored = await stores(console).content.published("aarhus")
    assert stored["aarhus"]["passport_pickup"] == script  # as text, unchanged


async def test_history_shows_each_change_and_one_click_reverts_it(console: Client) -> None:
    await _editor(console)
    await _post(console, "passport_photo_price", "135")
    await _post(console, "passport_photo_price", "150")
    history = await (await console.get(f"{CONTENT}/history")).text()
    assert "135" in history and "150" in history and "(filens værdi)" in history
    changes = await stores(console).content.history("aarhus")
    token = await page_csrf(console, f"{CONTENT}/history")
    response = await console.post(f"{CONTENT}/history/{changes[0].id}/revert", data={"csrf": token}, allow_redirects=False)
    assert response.status == 303
    assert await stores(console).content.published("aarhus") == {"aarhus": {"passport_photo_price": 135}}
    entry = (await stores(console).audit.entries("aarhus"))[0]
    assert entry.action == "content.reverted" and entry.details["reverts"] == changes[0].id
    assert json.dumps(entry.details["after"]) == '{"value": 135}'


async def test_an_agent_reads_the_values_but_cannot_change_them(console: Client) -> None:
    await _editor(console, Role.AGENT, None)
    page = await (await console.get(CONTENT)).text()
    assert "Pris på pasfoto" in page and "<form method=\"post\" action=\"/admin/m/aarhus/content/" not in page
    token = await page_csrf(console, CONTENT)
    response = await console.post(f"{CONTENT}/passport_photo_price", data={"csrf": token, "value": "1"}, allow_redirects=False)
    assert response.status == 403


async def test_an_unknown_or_national_variable_cannot_be_set(console: Client) -> None:
    await _editor(console)
    assert (await _post(console, "no_such_variable", "1")).status == 404
    assert (await _post(console, "passport_fee_adult", "1")).status == 404  # set by law, not by the municipality


async def test_an_oversized_value_form_gets_413(console: Client) -> None:
    await _editor(console)
    token = await page_csrf(console, CONTENT)
    response = await console.post(
        f"{CONTENT}/passport_pickup", data={"csrf": token, "value": "x" * 20_000}, allow_redirects=False
    )
    assert response.status == 413
    assert await stores(console).content.published("aarhus") == {}


async def test_the_start_page_counts_demo_and_missing_values_with_links_to_fix_them(console: Client) -> None:
    await _editor(console)
    before = await (await console.get("/admin/m/aarhus/")).text()
    assert 'href="/admin/m/aarhus/content#v-passport_photo_price"' in before
    assert 'href="/admin/m/aarhus/content#v-callback_booking_url"' in before  # missing in Aarhus
    count = int(before.split('id="content-gaps"')[1].split("<p>")[1].split(" ")[0])
    await _post(console, "passport_photo_price", "135")
    after = await (await console.get("/admin/m/aarhus/")).text()
    assert 'href="/admin/m/aarhus/content#v-passport_photo_price"' not in after
    assert int(after.split('id="content-gaps"')[1].split("<p>")[1].split(" ")[0]) == count - 1

"""CSV export and import of a municipality's local values: a validation report first, changes only on confirmation."""

from __future__ import annotations

import csv
import io

from aiohttp import FormData

from admin.roles import Role
from tests.admin.support import log_in, make_user, page_csrf, stores
from tests.web.support import NOW, Client

BASE = "/admin/m/aarhus/content"


async def _editor(console: Client) -> None:
    await make_user(console, "redaktoer", Role.CONTENT_EDITOR, "aarhus")
    await log_in(console, "redaktoer")


async def _upload(console: Client, text: str, path: str = f"{BASE}/import"):
    form = FormData()
    form.add_field("csrf", await page_csrf(console, f"{BASE}/import"))
    form.add_field("file", text.encode("utf-8"), filename="vaerdier.csv", content_type="text/csv")
    return await console.post(path, data=form, allow_redirects=False)


async def test_the_export_has_one_row_per_value_and_defuses_formulas(console: Client) -> None:
    await _editor(console)
    await stores(console).content.publish("aarhus", "passport_pickup", '=HYPERLINK("x")', NOW, actor_id=None)
    response = await console.get(f"{BASE}.csv")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    text = (await response.read()).decode("utf-8")
    assert text.startswith("\ufeffvariabel;beskrivelse;type;status;vaerdi")
    rows = {row["variabel"]: row for row in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")}
    assert rows["passport_photo_price"]["vaerdi"] == "120" and rows["passport_photo_price"]["status"] == "Demo-data"
    assert rows["callback_booking_url"]["status"] == "Mangler"
    assert rows["passport_pickup"]["vaerdi"] == "'=HYPERLINK(\"x\")"
    assert (await stores(console).audit.entries("aarhus"))[0].action == "content.exported"


async def test_an_import_shows_a_report_and_changes_nothing_until_confirmed(console: Client) -> None:
    await _editor(console)
    exported = (await (await console.get(f"{BASE}.csv")).read()).decode("utf-8")
    rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff")), delimiter=";"))
    for row in rows[1:]:
        row[4] = {"passport_photo_price": "135", "citizen_service_phone": "87131313"}.get(row[0], "")
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)

    report = await _upload(console, out.getvalue())
    page = await report.text()
    assert report.status == 200 and "2 ændringer" in page and "87 13 13 13" in page
    assert await stores(console).content.published("aarhus") == {}

    token = await page_csrf(console, f"{BASE}/import")
    confirmed = await console.post(f"{BASE}/import/confirm", data={"csrf": token, "csv": out.getvalue()}, allow_redirects=False)
    assert confirmed.status == 303
    assert await stores(console).content.published("aarhus") == {
        "aarhus": {"passport_photo_price": 135, "citizen_service_phone": "87 13 13 13"}
    }
    actions = [entry.action for entry in await stores(console).audit.entries("aarhus")]
    assert actions.count("content.imported") == 2


async def test_a_report_with_errors_names_each_line_and_cannot_be_confirmed(console: Client) -> None:
    await _editor(console)
    text = "variabel,vaerdi\npassport_photo_price,gratis\npasfoto_pris,120\nbooking_url,https://aarhus.dk/tid\n"
    report = await _upload(console, text)
    page = await report.text()
    assert report.status == 400
    assert "er ikke et beløb" in page and "Ukendt oplysning &#39;pasfoto_pris&#39;" in page
    assert "import/confirm" not in page
    token = await page_csrf(console, f"{BASE}/import")
    refused = await console.post(f"{BASE}/import/confirm", data={"csrf": token, "csv": text}, allow_redirects=False)
    assert refused.status == 400
    assert await stores(console).content.published("aarhus") == {}


async def test_a_file_without_the_columns_or_not_utf8_gets_a_clear_error(console: Client) -> None:
    await _editor(console)
    page = await (await _upload(console, "navn;pris\nx;1\n")).text()
    assert "kolonnenavnene" in page
    form = FormData()
    form.add_field("csrf", await page_csrf(console, f"{BASE}/import"))
    form.add_field("file", "variabel;vaerdi\npassport_pickup;Hent i Dokk1 på 1. sal æ\n".encode("latin-1"), filename="x.csv")
    response = await console.post(f"{BASE}/import", data=form, allow_redirects=False)
    assert response.status == 400 and "UTF-8" in await response.text()

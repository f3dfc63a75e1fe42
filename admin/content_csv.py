"""A municipality's local values as CSV: export for a spreadsheet, import with a validation report first.

An import changes nothing until the editor confirms the report; the confirmation carries the
file's text again and is checked again, so what is published is exactly what was shown.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from aiohttp import web

from admin.content import municipality_slug
from admin.guard import client, current_user, forbid, now
from admin.local_content import STATUS_LABELS, Row, guide_library, published_values, sections
from admin.pages import municipality_nav, render
from admin.roles import may_edit_content
from admin.state import STORES
from conversation.state import DIRECTORY
from knowledge import Value
from knowledge.kinds import InvalidValue, Scalar

COLUMNS = ("variabel", "beskrivelse", "type", "status", "vaerdi")
MAX_ROWS = 200
FORMULA_START = ("=", "+", "-", "@")  # a spreadsheet would run these as formulas


@dataclass(frozen=True)
class ReportLine:
    line: int
    variable: str
    label: str
    current: str
    new: str
    outcome: str  # "change", "same", "error"
    message: str = ""
    value: Scalar | None = None


def _rows(slug: str, published: dict[str, Value]) -> list[Row]:
    unique: dict[str, Row] = {}
    for section in sections(guide_library(), slug, published):
        for row in section.rows:
            unique.setdefault(row.variable.name, row)
    return list(unique.values())


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


async def export_csv(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/content.csv – one row per local value (semicolons and a BOM, as Danish Excel expects)."""
    user = current_user(request)
    slug = municipality_slug(request, user)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(slug, await published_values(request, slug)):
        writer.writerow(
            [row.variable.name, row.variable.label, row.kind.label, STATUS_LABELS[row.status], _cell(row.text)]
        )
    await request.app[STORES].audit.record(
        "content.exported", now(request), actor_id=user.id, client=client(request), municipality=slug
    )
    response = web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="lokalt-indhold-{slug}.csv"'
    return response


def _parse(text: str, rows: list[Row]) -> tuple[list[ReportLine], str | None]:
    """The report for a CSV text; the second item is an error for the whole file."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], "Filen er tom."
    delimiter = ";" if text.splitlines()[0].count(";") >= text.splitlines()[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if reader.fieldnames is None or not {"variabel", "vaerdi"} <= set(reader.fieldnames):
        return [], "Første linje skal være kolonnenavnene, mindst 'variabel' og 'vaerdi' (som i den eksporterede fil)."
    known = {row.variable.name: row for row in rows}
    report: list[ReportLine] = []
    seen: set[str] = set()
    for number, record in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            return report, f"Filen har mere end {MAX_ROWS} linjer."
        name = (record.get("variabel") or "").strip()
        raw = (record.get("vaerdi") or "").strip()
        if raw[:1] == "'" and raw[1:2] in FORMULA_START:
            raw = raw[1:]
        row = known.get(name)
        if row is None:
            report.append(ReportLine(number, name, "", "", raw, "error", f"Ukendt oplysning '{name}'."))
            continue
        label, current = row.variable.label, row.text if row.status in ("published", "verified") else ""
        if name in seen:
            report.append(ReportLine(number, name, label, current, raw, "error", "Oplysningen står to gange i filen."))
            continue
        seen.add(name)
        if not raw:
            continue  # an empty cell changes nothing
        try:
            value = row.variable.check(raw)
        except InvalidValue as error:
            report.append(ReportLine(number, name, label, current, raw, "error", str(error)))
            continue
        same = row.status == "published" and row.value is not None and row.value.value == value
        report.append(ReportLine(number, name, label, current, Value(value).text(), "same" if same else "change", value=value))
    return report, None


NOT_UTF8 = "Filen er ikke UTF-8. Gem den som 'CSV UTF-8' i dit regneark, og indlæs den igen."


async def _text_of(request: web.Request) -> str | None:
    """The uploaded (or confirmed) CSV's text; None when it is not UTF-8."""
    form = await request.post()
    upload = form.get("file")
    if isinstance(upload, web.FileField):
        data = upload.file.read()
    else:
        pasted = form.get("csv")
        data = pasted.encode("utf-8") if isinstance(pasted, str) else b""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _editor(request: web.Request) -> str:
    user = current_user(request)
    slug = municipality_slug(request, user)
    if not may_edit_content(user, slug):
        raise forbid()
    return slug


async def import_form(request: web.Request) -> web.Response:
    """GET /admin/m/{slug}/content/import – upload a filled-in CSV."""
    slug = _editor(request)
    return _page(request, slug, report=None, error=None, text="")


def _page(
    request: web.Request, slug: str, *, report: list[ReportLine] | None, error: str | None, text: str, status: int = 200
) -> web.Response:
    return render(
        request,
        "content_import.html",
        {
            "slug": slug,
            "name": request.config_dict[DIRECTORY].municipalities[slug],
            "report": report,
            "error": error,
            "text": text,
            "changes": [line for line in report or [] if line.outcome == "change"],
            "errors": [line for line in report or [] if line.outcome == "error"],
            "municipality_nav": municipality_nav(slug, current_user(request), current="content"),
        },
        status=status,
    )


async def check_import(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/content/import – the validation report; nothing is changed."""
    slug = _editor(request)
    text = await _text_of(request)
    if text is None:
        return _page(request, slug, report=None, error=NOT_UTF8, text="", status=400)
    report, error = _parse(text, _rows(slug, await published_values(request, slug)))
    failed = error is not None or any(line.outcome == "error" for line in report)
    return _page(request, slug, report=report, error=error, text=text, status=400 if failed else 200)


async def confirm_import(request: web.Request) -> web.Response:
    """POST /admin/m/{slug}/content/import/confirm – publish the report's changes (checked again), each audited."""
    slug = _editor(request)
    user = current_user(request)
    text = await _text_of(request)
    if text is None:
        return _page(request, slug, report=None, error=NOT_UTF8, text="", status=400)
    report, error = _parse(text, _rows(slug, await published_values(request, slug)))
    if error is not None or any(line.outcome == "error" for line in report):
        return _page(request, slug, report=report, error=error, text=text, status=400)
    at, store, audit = now(request), request.app[STORES].content, request.app[STORES].audit
    for line in report:
        if line.outcome != "change" or line.value is None:
            continue
        change = await store.publish(slug, line.variable, line.value, at, actor_id=user.id)
        if change is not None:
            await audit.record(
                "content.imported",
                at,
                actor_id=user.id,
                client=client(request),
                municipality=slug,
                variable=line.variable,
                before={"value": change.before},
                after={"value": change.after},
            )
    raise web.HTTPSeeOther(f"/admin/m/{slug}/content/history")

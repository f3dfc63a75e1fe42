from __future__ import annotations

import pytest

from crawler.extract import Extracted, Section, decode, extract
from tests.crawler.pages import municipal_page

URL = "https://www.roskilde.dk/borger/affald"


@pytest.fixture(scope="module")
def waste_page() -> Extracted:
    extracted = extract(municipal_page().encode("utf-8"), URL)
    assert extracted is not None
    return extracted


def test_menu_banner_and_footer_are_dropped(waste_page: Extracted) -> None:
    for chrome in ("cookies", "samtykke", "Hovedmenu", "Erhverv og iværksætteri", "Job i kommunen",
                   "Rådhusbuen", "CVR-nummer", "Tilgængelighedserklæring", "Privatlivspolitik"):
        assert chrome not in waste_page.text


def test_title_is_the_page_heading(waste_page: Extracted) -> None:
    assert waste_page.title == "Affald og genbrug"


def test_sections_follow_the_headings(waste_page: Extracted) -> None:
    paths = [section.heading_path for section in waste_page.sections]
    assert paths == [
        ("Affald og genbrug",),
        ("Affald og genbrug", "Tømning af skraldespande"),
        ("Affald og genbrug", "Tømning af skraldespande", "Storskrald"),
        ("Affald og genbrug", "Priser for 2026"),
    ]
    assert waste_page.sections[2].text.startswith("Du kan bestille afhentning af storskrald")


def test_headings_are_kept_in_the_text(waste_page: Extracted) -> None:
    lines = waste_page.text.splitlines()
    assert lines[0] == "Affald og genbrug"
    assert "Tømning af skraldespande" in lines
    assert "Storskrald" in lines


def test_table_rows_become_lines(waste_page: Extracted) -> None:
    prices = waste_page.sections[-1].text.splitlines()
    assert prices[:3] == ["Ydelse | Pris om året", "Dagrenovation, 240 liter | 2.450 kr.", "Haveaffald | 650 kr."]
    assert prices[-1] == "Priserne fastsættes af byrådet hvert år i forbindelse med budgettet."


def test_line_breaks_and_inline_markup_leave_words_whole() -> None:
    content = (
        "<h1>Pas</h1><p>Du skal bestille tid<br>i Borgerservice. Et <b>voksenpas</b> koster "
        '<a href="/priser">718 kr.</a> og gælder i 10 år, mens et børnepas gælder i 5 år og koster 155 kr. '
        "Husk at tage dit gamle pas med, når du møder op til din aftale i Borgerservice.</p>"
    )
    extracted = extract(municipal_page(content, title="Pas | Roskilde Kommune"), URL)

    assert extracted is not None
    assert "bestille tid i Borgerservice. Et voksenpas koster 718 kr. og gælder" in extracted.sections[0].text


def test_title_falls_back_to_the_title_element_without_the_site_name() -> None:
    content = "<h2>Flytning</h2><p>" + "Du skal melde flytning senest fem dage efter, at du er flyttet. " * 4 + "</p>"
    extracted = extract(municipal_page(content, title="Meld flytning &amp; adresse | Roskilde Kommune"), URL)

    assert extracted is not None
    assert extracted.title == "Meld flytning & adresse"
    assert extracted.sections == (Section(heading_path=("Flytning",), text=extracted.sections[0].text),)


def test_a_page_with_only_chrome_has_no_main_text() -> None:
    page = "<html><body><nav><ul><li><a href='/borger'>Borger</a></li></ul></nav></body></html>"

    assert extract(page, URL) is None


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        b"   ",
        bytes(range(256)) * 20,
        b"<html><body><div><p>Her er en tekst om pas og k\xc3",
        b"<div>" * 50_000 + b"<p>dyb tekst</p>",
        b"<html><body><p>hej\x00 med dig</p>" + b"</div>" * 30,
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>Tekst med erklæring.</p></body></html>",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj",
    ],
    ids=["empty", "blank", "binary", "truncated", "deep", "unclosed", "xml-declaration", "pdf"],
)
def test_broken_html_does_not_raise(broken: bytes | str) -> None:
    result = extract(broken, URL)

    assert result is None or isinstance(result, Extracted)


def test_truncated_utf8_keeps_the_danish_letters() -> None:
    body = ("<html><body><article><h1>Boligstøtte</h1><p>" + "Søg om boligstøtte på borger.dk før du flytter. " * 5)
    extracted = extract(body.encode("utf-8") + "ø".encode()[:1], URL)

    assert extracted is not None
    assert "Søg om boligstøtte" in extracted.text


def test_undeclared_latin1_is_read_as_danish() -> None:
    assert decode("Grønt affald og æbler på genbrugspladsen".encode("latin-1")) == "Grønt affald og æbler på genbrugspladsen"


def test_declared_charset_wins_over_the_danish_default() -> None:
    raw = '<meta charset="iso-8859-15"><p>Pris: 20 €</p>'.encode("iso-8859-15")

    assert decode(raw).endswith("Pris: 20 €</p>")

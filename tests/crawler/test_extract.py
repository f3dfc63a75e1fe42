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


# The article of tests.crawler.pages.WASTE_CONTENT, line by line, exactly as the index gets it.
WASTE_INTRO = (
    "Her kan du læse, hvordan du sorterer dit affald, og hvornår det bliver hentet. "
    "Kommunen henter dagrenovation hos alle husstande hver anden uge."
)
WASTE_EMPTYING = (
    "Din skraldespand bliver tømt hver 14. dag. Du skal stille den ud til vejen senest kl. 6 om morgenen "
    "på tømmedagen. Hvis din skraldespand ikke er blevet tømt, kan du kontakte affaldsselskabet ARGO."
)
WASTE_BULKY = (
    "Du kan bestille afhentning af storskrald på selvbetjeningen. Storskrald hentes en gang om måneden, "
    "og du skal stille det ud senest kl. 6 på afhentningsdagen."
)
WASTE_PRICES = [
    "Ydelse | Pris om året",
    "Dagrenovation, 240 liter | 2.450 kr.",
    "Haveaffald | 650 kr.",
    "Priserne fastsættes af byrådet hvert år i forbindelse med budgettet.",
]
WASTE_LINES = [
    "Affald og genbrug", WASTE_INTRO,
    "Tømning af skraldespande", WASTE_EMPTYING,
    "Storskrald", WASTE_BULKY,
    "Priser for 2026", *WASTE_PRICES,
]


def test_menu_banner_and_footer_are_dropped(waste_page: Extracted) -> None:
    # Exactly the article: no cookie banner, menu, breadcrumb or footer line before, between or after it.
    assert waste_page.text.splitlines() == WASTE_LINES


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
    assert [section.text for section in waste_page.sections] == [
        WASTE_INTRO, WASTE_EMPTYING, WASTE_BULKY, "\n".join(WASTE_PRICES),
    ]


def test_headings_are_kept_in_the_text(waste_page: Extracted) -> None:
    lines = waste_page.text.splitlines()
    assert [lines[0], lines[2], lines[4], lines[6]] == [
        "Affald og genbrug", "Tømning af skraldespande", "Storskrald", "Priser for 2026",
    ]


def test_table_rows_become_lines(waste_page: Extracted) -> None:
    assert waste_page.sections[-1].text.splitlines() == WASTE_PRICES


def test_line_breaks_and_inline_markup_leave_words_whole() -> None:
    content = (
        "<h1>Pas</h1><p>Du skal bestille tid<br>i Borgerservice. Et <b>voksenpas</b> koster "
        '<a href="/priser">718 kr.</a> og gælder i 10 år, mens et børnepas gælder i 5 år og koster 155 kr. '
        "Husk at tage dit gamle pas med, når du møder op til din aftale i Borgerservice.</p>"
    )
    extracted = extract(municipal_page(content, title="Pas | Roskilde Kommune"), URL)

    assert extracted is not None
    assert extracted.sections == (
        Section(
            heading_path=("Pas",),
            text="Du skal bestille tid i Borgerservice. Et voksenpas koster 718 kr. og gælder i 10 år, mens et "
            "børnepas gælder i 5 år og koster 155 kr. Husk at tage dit gamle pas med, når du møder op til din "
            "aftale i Borgerservice.",
        ),
    )


def test_title_falls_back_to_the_title_element_without_the_site_name() -> None:
    sentence = "Du skal melde flytning senest fem dage efter, at du er flyttet."
    content = "<h2>Flytning</h2><p>" + f"{sentence} " * 4 + "</p>"
    extracted = extract(municipal_page(content, title="Meld flytning &amp; adresse | Roskilde Kommune"), URL)

    assert extracted is not None
    assert extracted.title == "Meld flytning & adresse"
    assert extracted.sections == (Section(heading_path=("Flytning",), text=" ".join([sentence] * 4)),)


def test_a_page_with_only_chrome_has_no_main_text() -> None:
    page = "<html><body><nav><ul><li><a href='/borger'>Borger</a></li></ul></nav></body></html>"

    assert extract(page, URL) is None


# Long enough to count as main text: with the declaration, trafilatura discards a page under about 100 characters.
XML_DECLARED = " ".join(["Tekst med erklæring om pas og kørekort."] * 3)


def _one_paragraph(text: str) -> Extracted:
    return Extracted(title="", text=text, sections=(Section(heading_path=(), text=text),))


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (b"", None),
        (b"   ", None),
        (bytes(range(256)) * 20, None),
        # The character cut in half is dropped, not turned into U+FFFD.
        (b"<html><body><div><p>Her er en tekst om pas og k\xc3", _one_paragraph("Her er en tekst om pas og k")),
        # Deeper than the parser's nesting limit: no main text, and no crash.
        (b"<div>" * 50_000 + b"<p>dyb tekst</p>", None),
        # The NUL byte is dropped and the stray closing tags ignored.
        (
            b"<html><body><p>hej\x00 med dig, vi henter dit storskrald</p>" + b"</div>" * 30,
            _one_paragraph("hej med dig, vi henter dit storskrald"),
        ),
        (
            f"<?xml version='1.0' encoding='utf-8'?><html><body><p>{XML_DECLARED}</p></body></html>",
            _one_paragraph(XML_DECLARED),
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj", None),
    ],
    ids=["empty", "blank", "binary", "truncated", "deep", "unclosed", "xml-declaration", "pdf"],
)
def test_broken_html_does_not_raise(broken: bytes | str, expected: Extracted | None) -> None:
    assert extract(broken, URL) == expected


def test_truncated_utf8_keeps_the_danish_letters() -> None:
    body = ("<html><body><article><h1>Boligstøtte</h1><p>" + "Søg om boligstøtte på borger.dk før du flytter. " * 5)
    extracted = extract(body.encode("utf-8") + "ø".encode()[:1], URL)

    assert extracted is not None
    assert extracted.text == "Boligstøtte\n" + " ".join(["Søg om boligstøtte på borger.dk før du flytter."] * 5)


def test_undeclared_latin1_is_read_as_danish() -> None:
    assert decode("Grønt affald og æbler på genbrugspladsen".encode("latin-1")) == "Grønt affald og æbler på genbrugspladsen"


def test_declared_charset_wins_over_the_danish_default() -> None:
    raw = '<meta charset="iso-8859-15"><p>Pris: 20 €</p>'.encode("iso-8859-15")

    assert decode(raw) == '<meta charset="iso-8859-15"><p>Pris: 20 €</p>'

"""Suggested values: what a municipality's own crawled pages state about a variable, checked by its kind."""

from __future__ import annotations

import pytest

from knowledge import GuideLibrary, Variable
from knowledge.kinds import Kind
from knowledge.stated import stated_values
from knowledge.suggestions import Suggestion, find_suggestions, label_terms
from tests.support.suggest_site import PAGES, suggestion_page


@pytest.fixture(scope="module")
def local_variables() -> list[Variable]:
    return [v for v in GuideLibrary.load().variables.values() if v.scope == "local"]


def _found(municipality: str, variables: list[Variable], pages_of: str | None = None) -> dict[str, list[Suggestion]]:
    pages = [suggestion_page(pages_of or municipality, *page) for page in PAGES[pages_of or municipality]]
    found: dict[str, list[Suggestion]] = {}
    for suggestion in find_suggestions(municipality, pages, variables):
        found.setdefault(suggestion.variable, []).append(suggestion)
    return found


def test_a_phone_hours_and_a_price_stated_on_the_topic_pages_are_suggested_with_their_links(
    local_variables: list[Variable],
) -> None:
    found = _found("aarhus", local_variables)
    phone = found["citizen_service_phone"][0]
    assert (phone.value, phone.url) == ("89 40 20 00", "https://aarhus.dk/borger/borgerservice/kontakt")
    assert "Ring til Borgerservice på 89 40 20 00" in phone.snippet
    hours = found["citizen_service_hours"][0]
    assert hours.value == "Mandag 10-15, Tirsdag-torsdag 10-17, Fredag 10-13"
    price = found["passport_photo_price"][0]
    assert (price.value, price.url) == (150, "https://aarhus.dk/borger/pas/pasfoto")
    assert found["jobcenter_phone"][0].value == "89 40 11 11"


def test_a_value_is_suggested_for_the_variable_whose_words_stand_beside_it(local_variables: list[Variable]) -> None:
    found = _found("aarhus", local_variables)
    # The jobcentre's number stands on the passport photo page, a line after "Borgerservice": not Borgerservice's.
    assert "89 40 11 11" not in [s.value for s in found["citizen_service_phone"]]
    assert "childcare_phone" not in found  # no page says anything about it


def test_each_municipality_gets_the_values_of_its_own_pages_only(local_variables: list[Variable]) -> None:
    skive = _found("skive", local_variables)
    assert [s.value for s in skive["citizen_service_phone"]] == ["99 15 55 00"]
    assert [s.value for s in skive["passport_photo_price"]] == [99]
    assert all(s.url.startswith("https://skive.dk/") for ss in skive.values() for s in ss)
    assert _found("skive", local_variables, pages_of="aarhus") == {}  # Aarhus's pages never speak for Skive


def test_free_text_variables_get_no_suggestions(local_variables: list[Variable]) -> None:
    text_only = [v for v in local_variables if v.kind is Kind.TEXT]
    assert find_suggestions("aarhus", [suggestion_page("aarhus", *p) for p in PAGES["aarhus"]], text_only) == []


@pytest.mark.parametrize(
    ("kind", "text", "values"),
    [
        (
            Kind.PHONE,
            "Tlf. +45 8713 0000 eller 20-12-34-56; CVR-nr. 29189498, EAN 57980001 og 123456789",
            ["87 13 00 00", "20 12 34 56"],  # company and invoicing numbers have eight digits too
        ),
        (Kind.MONEY, "Prisen er 1.200,- kr, 559,40 kroner eller kr. 75,5. I 2026 og 12 stk.", [1200, 559.4, 75.5]),
        (Kind.HOURS, "Åbent mandag-fredag kl. 10-15, lørdag lukket. Ring 10-12.", ["mandag-fredag kl. 10-15, lørdag lukket"]),
        (Kind.HOURS, "Mandag 15-10 og tirsdag 25-26", []),  # the kind's own check drops what is no time
        (Kind.EMAIL, "Skriv til Borgerservice@Aarhus.dk.", ["borgerservice@aarhus.dk"]),
        (Kind.URL, "Book på https://aarhus.dk/book. Ikke http://aarhus.dk/usikker", ["https://aarhus.dk/book"]),
    ],
)
def test_values_are_found_by_the_kinds_own_check(kind: Kind, text: str, values: list[object]) -> None:
    assert [s.value for s in stated_values(kind, text)] == values


def test_label_words_name_the_topic_not_the_kind() -> None:
    assert label_terms("pris på pasfoto") == {"pasfoto"}
    assert label_terms("Borgerservices telefonnummer") == label_terms("Borgerservice") != frozenset()
    assert label_terms("genbrugspladsens åbningstider") == label_terms("Genbrugspladsen")

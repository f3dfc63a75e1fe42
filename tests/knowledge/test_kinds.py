"""Typed local values: each kind accepts what fits, and says in Danish what is wrong otherwise."""

from __future__ import annotations

import pytest

from knowledge import GuideLibrary, KnowledgeDataError
from knowledge.kinds import InvalidValue, Kind, check
from tests.knowledge.builders import guide


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [
        (Kind.MONEY, "120", 120),
        (Kind.MONEY, "559,40", 559.4),
        (Kind.MONEY, "1.234 kr.", 1234),
        (Kind.MONEY, 85, 85),
        (Kind.PHONE, "87131313", "87 13 13 13"),
        (Kind.PHONE, "+45 87 13-13-13", "87 13 13 13"),
        (Kind.URL, "https://aarhus.dk/bestil-tid?x=1", "https://aarhus.dk/bestil-tid?x=1"),
        (Kind.EMAIL, "Borgerservice@Aarhus.dk", "borgerservice@aarhus.dk"),
        (Kind.HOURS, "mandag–torsdag 10–15, fredag 10–13", "mandag–torsdag 10–15, fredag 10–13"),
        (Kind.HOURS, "mandag, tirsdag og torsdag 10–14, onsdag lukket", "mandag, tirsdag og torsdag 10–14, onsdag lukket"),
        (Kind.HOURS, "alle dage 7–19 (om vinteren 7–17), 24.12. lukket", "alle dage 7–19 (om vinteren 7–17), 24.12. lukket"),
        (Kind.HOURS, "mandag–fredag 8.30–13, torsdag også 15–17", "mandag–fredag 8.30–13, torsdag også 15–17"),
        (Kind.TEXT, "  Hent  passet <b>i skabet</b> ", "Hent passet <b>i skabet</b>"),
    ],
)
def test_a_value_that_fits_is_kept_in_normal_form(kind: Kind, raw: object, normal: object) -> None:
    assert check(kind, raw) == normal


@pytest.mark.parametrize(
    ("kind", "raw", "says"),
    [
        (Kind.MONEY, "120 kroner og 50 øre", "ikke et beløb"),
        (Kind.MONEY, "-5", "ikke et beløb"),
        (Kind.MONEY, "", "tomt"),
        (Kind.PHONE, "87 13 13", "8 cifre; '87 13 13' har 6"),
        (Kind.PHONE, "ring til os", "kun have cifre"),
        (Kind.URL, "http://aarhus.dk", "skal begynde med https://"),
        (Kind.URL, "https://aarhus", "ikke et gyldigt domæne"),
        (Kind.URL, "https://aarhus.dk/\"><script>", "må ikke indeholde"),
        (Kind.EMAIL, "borgerservice.aarhus.dk", "mangler et @"),
        (Kind.EMAIL, "a@b", "ikke en gyldig e-mailadresse"),
        (Kind.HOURS, "mandg–fredag 10–15", "'mandg' er ikke en ugedag"),
        (Kind.HOURS, "mandag 15–10", "slutter før det begynder"),
        (Kind.HOURS, "mandag 10–25", "'25' er ikke et klokkeslæt"),
        (Kind.HOURS, "10–15", "ingen ugedag"),
        (Kind.HOURS, "mandag til fredag", "intet tidsrum"),
        (Kind.TEXT, "x" * 1001, "højst 1000 tegn"),
        (Kind.TEXT, "   ", "tomt"),
    ],
)
def test_a_value_that_does_not_fit_gets_a_danish_reason(kind: Kind, raw: object, says: str) -> None:
    with pytest.raises(InvalidValue, match=says.replace("(", r"\(")):
        check(kind, raw)


def test_every_declared_variable_has_a_type_and_the_real_values_fit(library: GuideLibrary) -> None:
    kinds = {variable.kind for variable in library.variables.values()}
    assert library.variables["passport_photo_price"].kind is Kind.MONEY
    assert library.variables["citizen_service_hours"].kind is Kind.HOURS
    assert {Kind.MONEY, Kind.PHONE, Kind.URL, Kind.HOURS, Kind.TEXT} <= kinds


def test_a_tenant_value_of_the_wrong_type_stops_the_load(make_root) -> None:
    root = make_root(
        guides={"passport": guide("Ring på {citizen_service_phone}.")},
        tenants={"alpha": {"variables": {"citizen_service_phone": "ring til os"}}},
    )
    with pytest.raises(KnowledgeDataError, match="citizen_service_phone: 'ring til os' er ikke et telefonnummer"):
        GuideLibrary.load(root)


@pytest.mark.parametrize("line", ["Pasfoto: {passport_foto_price} kr.", "Ring på {citizen_servise_phone}."])
def test_a_misspelled_variable_in_a_guide_is_a_load_error_not_a_blank(make_root, line: str) -> None:
    with pytest.raises(KnowledgeDataError, match="undeclared variables"):
        GuideLibrary.load(make_root(guides={"passport": guide(line)}))


def test_a_misspelled_variable_in_a_municipalitys_own_guide_is_a_load_error(make_root) -> None:
    root = make_root(
        guides={"passport": guide("Bestil pas.")},
        tenants={"alpha": {"guides": {"passport": guide("Ring på {jobcentre_phone}.")}}},
    )
    with pytest.raises(KnowledgeDataError, match="alpha.yml: guides.passport: undeclared variables"):
        GuideLibrary.load(root)


def test_a_variable_without_a_type_stops_the_load(make_root) -> None:
    root = make_root(guides={"passport": guide("Bestil pas.")})
    text = (root / "variables.yml").read_text(encoding="utf-8")
    (root / "variables.yml").write_text(text.replace("type: money, ", "", 1), encoding="utf-8")
    with pytest.raises(KnowledgeDataError, match="missing 'type'"):
        GuideLibrary.load(root)

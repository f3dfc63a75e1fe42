"""Every guide has an English version with the same local variables; English answers are complete."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from knowledge import ContactCentre, GuideLibrary, KnowledgeDataError
from knowledge.values import IN_DANISH_MARK, Value, format_english
from tests.knowledge.builders import guide

DANISH_WORDS = re.compile(r"\b(og|eller|til|på|har|skal|kan|ikke|hos|med)\b")


def _english(*lines: str, links: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"title": "Passport", "lines": list(lines), "links": links or []}


def test_every_shared_and_own_guide_has_an_english_version(library: GuideLibrary):
    guides = [*library.guides.values(), *(g for m in library.municipalities.values() for g in m.guides.values())]

    assert len(guides) == len(library.guides) + 2  # Aarhus's home_care, Skanderborg's human_agent
    for item in guides:
        assert item.english is not None, item.topic
        assert item.english.variables() == item.variables(), item.topic
        shared = {line for line in set(item.english.lines) & set(item.lines) if not re.fullmatch(r"\{\w+\}", line)}
        assert not shared, item.topic  # written, not copied (a line that is only a prose value excepted)


@pytest.mark.parametrize(
    ("english", "message"),
    [
        (_english("Order a passport in {municipality_name} for {passport_photo_price}."), "only in English"),
        (_english("Order a passport."), "only in Danish: \\['municipality_name'\\]"),
        (_english("Order a passport in {no_such_variable}."), "undeclared variables"),
        (_english("Order a passport in {municipality_name", ), "stray brace"),
        ({"title": "Passport", "lines": ["x {municipality_name}"], "colour": "red"}, "unknown keys"),
    ],
)
def test_english_version_must_use_the_same_known_variables(make_root, english, message):
    root = make_root(guides={"passport": guide("Bestil pas i {municipality_name}.", en=english)})

    with pytest.raises(KnowledgeDataError, match=message) as raised:
        GuideLibrary.load(root)

    assert "passport.yml: en" in str(raised.value) or "passport.yml" in str(raised.value)


def test_a_guide_without_english_does_not_load(make_root):
    danish = guide("Bestil pas i {municipality_name}.")
    del danish["en"]

    with pytest.raises(KnowledgeDataError, match="no English version"):
        GuideLibrary.load(make_root(guides={"passport": danish}))


def test_a_tenant_guide_without_english_does_not_load(make_root):
    own = guide("Ring til {municipality_name}.")
    del own["en"]
    root = make_root(guides={"passport": guide("Pas.")}, tenants={"alpha": {"guides": {"passport": own}}})

    with pytest.raises(KnowledgeDataError, match="alpha.yml: guides.passport: no English version"):
        GuideLibrary.load(root)


def test_every_english_answer_is_filled_in_and_english(library: GuideLibrary):
    for slug in library.municipalities:
        for topic in library.guides:
            answer = library.answer(topic, slug, "en")
            assert "{" not in answer.text, (slug, topic)
            assert "Nogle lokale oplysninger" not in answer.text
            assert "demo-data" not in answer.text
            # Danish appears only where a prose value is shown as it stands, marked.
            for line in answer.text.splitlines():
                if DANISH_WORDS.search(line.replace(f" {IN_DANISH_MARK}", "")) and IN_DANISH_MARK not in line:
                    assert "(" in line, (slug, topic, line)  # a Danish term, explained in brackets


def test_english_answer_names_the_missing_values_in_english(library: GuideLibrary):
    answer = library.answer("passport", "samsoe", "en")  # Samsø has no photo price and no booking link

    assert answer.missing == ("passport_photo_price", "booking_url")
    assert (
        "Some local details (the price of a passport photo and the link for booking a time at Borgerservice) "
        "are not available here – see Samsø Kommune's website: https://samsoe.dk"
    ) in answer.text
    assert answer.text.endswith("(Some of this information is demo data – always check the municipality's website or borger.dk.)")


def test_danish_answer_is_unchanged_by_the_english_version(library: GuideLibrary):
    danish = library.answer("passport", "aarhus")

    assert danish.title == "Pas"
    assert danish.text.startswith("Du bestiller pas i Borgerservice – i Aarhus Kommune")
    assert "Når passet er klar, får du en sms" in danish.text
    assert "kr. for voksne" in danish.text


def test_prose_value_uses_the_tenants_english_sentence(library: GuideLibrary):
    answer = library.answer("passport", "aarhus", "en")  # aarhus.yml gives passport_pickup an `en:`

    assert "When your passport is ready, you get a text message" in answer.text
    assert IN_DANISH_MARK not in answer.text


def test_prose_value_without_english_is_shown_in_danish_and_marked(library: GuideLibrary):
    pickup = library.municipality("samsoe").variables["passport_pickup"]
    assert pickup.english is None

    answer = library.answer("passport", "samsoe", "en")

    assert f"{pickup.value} {IN_DANISH_MARK}" in answer.text.splitlines()


def test_english_is_allowed_only_on_prose_variables(make_root):
    tenant = {"variables": {"passport_photo_price": {"value": 75, "en": "seventy-five"}}}

    with pytest.raises(KnowledgeDataError, match="only for prose variables"):
        GuideLibrary.load(make_root(guides={"passport": guide("Pas.")}, tenants={"alpha": tenant}))


def test_numbers_are_written_the_english_way():
    assert format_english(1234) == "1,234"
    assert format_english(559.4) == "559.40"
    assert Value(559.4).text("en") == "559.40"
    assert Value(559.4).text("da") == "559,40"
    assert Value("00 00 07 51").text("en") == "00 00 07 51"


def test_english_fee_in_an_answer(library: GuideLibrary):
    assert "The fee is DKK 559.40 and is paid when you apply." in library.answer("name_change", "aarhus", "en").text


def test_contact_line_in_english(library: GuideLibrary):
    line = library.contact_line("aarhus", "en")

    assert line.startswith("Borgerservice (citizen service) in Aarhus Kommune: phone 00 00 07 51")
    assert line.endswith("– see also https://aarhus.dk (demo data)")


def test_contact_centre_hours_and_status_in_english():
    centre = ContactCentre.load()

    assert centre.hours_lines(language="en") == (
        "Monday–Thursday 8:00–20:00, Friday 8:00–16:00, Saturday closed, Sunday 16:00–20:00.",
        "On 1 May and 5 June the contact centre closes at 12:00 on weekdays.",
    )
    # Sunday 6 December 2026, 23:00 in Copenhagen: closed until Monday morning.
    assert centre.status_text(datetime(2026, 12, 6, 22, 0), "en") == (
        "The contact centre is closed now. We open again tomorrow at 8:00."
    )
    assert centre.status_text(datetime(2026, 12, 7, 9, 0), "en") == "The contact centre is open now (until 20:00)."
    assert centre.status_text(datetime(2026, 12, 7, 9, 0)) == "Kontaktcentret har åbent nu (til kl. 20.00)."

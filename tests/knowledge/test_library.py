"""The real guide library: every guide for every municipality, local variation, overrides."""

from __future__ import annotations

import logging

import pytest

from knowledge import KnowledgeError, UnknownMunicipality, UnknownTopic
from knowledge.rendering import DEMO_NOTICE
from knowledge.values import format_value
from tests.knowledge.builders import PACKAGE_DIR

SHARED_GUIDES = sorted(path.stem for path in (PACKAGE_DIR / "guides").glob("*.yml"))
SLUGS = sorted(path.stem for path in (PACKAGE_DIR / "tenants").glob("*.yml"))


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("topic", SHARED_GUIDES)
def test_every_guide_renders_for_every_municipality(library, topic, slug):
    answer = library.answer(topic, slug)

    assert answer.topic == topic
    assert answer.title.strip()
    assert answer.text.strip()
    rendered = [answer.text, *(link.title for link in answer.links), *(link.url for link in answer.links)]
    assert not any("{" in text or "}" in text for text in rendered)
    assert all(link.url.startswith("https://") for link in answer.links)


def test_each_municipality_guide_renders(library):
    own = [(slug, topic) for slug, m in library.municipalities.items() for topic in m.guides]

    assert own, "no municipality has its own guide"
    for slug, topic in own:
        answer = library.answer(topic, slug)
        assert answer.text.strip() and "{" not in answer.text


def test_same_topic_differs_between_municipalities(library):
    aarhus, viborg = library.answer("passport", "aarhus"), library.answer("passport", "viborg")
    prices = {
        slug: format_value(library.municipality(slug).variables["passport_photo_price"].value)
        for slug in ("aarhus", "viborg")
    }

    assert prices["aarhus"] != prices["viborg"]
    assert f"Pasfoto kan tages i Borgerservice for {prices['aarhus']} kr." in aarhus.text
    assert f"Pasfoto kan tages i Borgerservice for {prices['viborg']} kr." in viborg.text
    assert "Aarhus Kommune" in aarhus.text and "Aarhus Kommune" not in viborg.text


def test_national_fee_is_the_same_everywhere(library):
    fee = format_value(library.national["passport_fee_adult"].value)

    for slug in ("aarhus", "viborg", "samsoe"):
        assert f"{fee} kr. for voksne" in library.answer("passport", slug).text


def test_missing_local_value_on_real_data(library, caplog):
    # Samsø has given us no photo price and no booking link.
    caplog.set_level(logging.WARNING, logger="muni.knowledge.gaps")

    answer = library.answer("passport", "samsoe")

    assert "Pasfoto" not in answer.text
    assert "passport_photo_price" in answer.missing and "booking_url" in answer.missing
    assert "se Samsø Kommunes hjemmeside: https://samsoe.dk" in answer.text
    assert "Bestil tid i Borgerservice" not in [link.title for link in answer.links]
    logged = {record.args for record in caplog.records if record.name == "muni.knowledge.gaps"}
    assert ("samsoe", "passport", "passport_photo_price") in logged


def test_answer_without_demo_values_is_not_marked(library):
    # The tax guide uses no variables: nothing local, nothing demo.
    answer = library.answer("tax", "aarhus")

    assert answer.demo is False
    assert DEMO_NOTICE not in answer.text


def test_answer_with_demo_values_says_so(library):
    answer = library.answer("citizen_service_contact", "viborg")

    assert answer.demo is True
    assert answer.text.splitlines()[-1] == DEMO_NOTICE


def test_aarhus_home_care_guide_has_meals_on_wheels(library):
    answer = library.answer("home_care", "aarhus")
    price = format_value(library.municipality("aarhus").variables["meal_service_price"].value)

    assert answer.title == "Hjemmehjælp og madservice i Aarhus"
    assert "Madservice: Aarhus Kommune" in answer.text
    assert f"Et hovedmåltid koster {price} kr." in answer.text


def test_other_municipalities_get_the_shared_home_care_guide(library):
    answer = library.answer("home_care", "viborg")

    assert answer.title == library.guides["home_care"].title
    assert "Aarhus" not in answer.text
    assert "visitationen i Viborg Kommune" in answer.text


def test_municipality_own_guide_for_a_topic_without_shared_guide(library):
    assert "human_agent" not in library.guides
    assert library.has_guide("human_agent", "skanderborg")
    assert not library.has_guide("human_agent", "aarhus")

    answer = library.answer("human_agent", "skanderborg")

    assert answer.topic == "human_agent"
    assert "telefonopkald" in answer.text
    with pytest.raises(UnknownTopic):
        library.answer("human_agent", "aarhus")


def test_has_guide_for_shared_topics(library):
    assert library.has_guide("passport", "viborg")
    assert library.has_guide("appointment_booking", "viborg")
    assert not library.has_guide("greeting", "viborg")
    assert not library.has_guide("no_such_topic", "viborg")


@pytest.mark.parametrize("call", ["answer", "has_guide"])
def test_unknown_municipality(library, call):
    with pytest.raises(UnknownMunicipality) as raised:
        getattr(library, call)("passport", "copenhagen")

    assert isinstance(raised.value, KeyError) and isinstance(raised.value, KnowledgeError)
    with pytest.raises(UnknownMunicipality):
        library.municipality("")


@pytest.mark.parametrize("topic", ["greeting", "human_agent", "no_such_topic"])
def test_unknown_topic(library, topic):
    with pytest.raises(UnknownTopic) as raised:
        library.answer(topic, "aarhus")

    assert isinstance(raised.value, KeyError)


@pytest.mark.parametrize(
    ("slug", "doctor"),
    [("egedal", "Akuttelefonen 1813"), ("aarhus", "lægevagten på 70 11 31 31"), ("odsherred", "lægevagten på 70 15 07 00")],
)
def test_the_emergency_guide_names_the_regions_doctor_line_and_the_akutguides_local_values(library, slug, doctor):
    answer = library.answer("emergency", slug)

    assert answer.topic == "emergency" and not answer.missing
    assert answer.text.splitlines()[0] == "Er der fare for liv, så ring 112."
    assert f"ring til {doctor}." in answer.text
    assert "Giftlinjen på 82 12 12 12" in answer.text and "Livslinien på 70 201 201" in answer.text
    crisis_page = library.resolve("crisis_page", library.municipality(slug))
    assert crisis_page is not None and str(crisis_page.value) in answer.text
    assert str(crisis_page.value) in [link.url for link in answer.links]


def test_the_emergency_guide_in_english_names_the_capital_regions_1813(library):
    answer = library.answer("emergency", "furesoe", "en")

    assert "call Akuttelefonen (the medical helpline) on 1813." in answer.text
    assert "Poison Line (Giftlinjen) on 82 12 12 12" in answer.text and "Do not call 112 for information." in answer.text


def test_contact_line(library):
    assert library.contact_line("aarhus").startswith("Borgerservice i Aarhus Kommune: tlf. 00 00 07 51")
    assert library.contact_line("aarhus").endswith("https://aarhus.dk (demo-data)")
    assert library.website_url("hoeje-taastrup") == "https://htk.dk"

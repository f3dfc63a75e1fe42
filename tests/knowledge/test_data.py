"""The data files agree with the shared contracts and with each other."""

from __future__ import annotations

import pytest
import yaml

from knowledge import load_topics
from knowledge.templates import placeholders
from tests.knowledge.builders import PACKAGE_DIR, SHARED_DIR
from tests.support.services import in_ci

SHARED_MUNICIPALITIES = SHARED_DIR / "municipalities.yml"
SHARED_TOPICS = SHARED_DIR / "topics.yml"
# CI checks shared/ out beside the repo: there a missing file fails the test instead of skipping it.
needs_shared = pytest.mark.skipif(
    not SHARED_MUNICIPALITIES.exists() and not in_ci(),
    reason=f"no {SHARED_MUNICIPALITIES}: check shared/ out beside the repo at {SHARED_DIR}, as CI does",
)


@needs_shared
def test_tenants_match_the_shared_municipality_list(library):
    shared = yaml.safe_load(SHARED_MUNICIPALITIES.read_text(encoding="utf-8"))["municipalities"]

    expected = {m["slug"]: (m["name"], m["code"], m["website"], m["network"]) for m in shared}
    actual = {slug: (m.name, m.code, m.website, m.network) for slug, m in library.municipalities.items()}
    assert actual == expected


@needs_shared
def test_contact_centre_hours_are_the_handbook_hours():
    shared = yaml.safe_load(SHARED_MUNICIPALITIES.read_text(encoding="utf-8"))["contact_centre"]
    ours = yaml.safe_load((PACKAGE_DIR / "contact_centre.yml").read_text(encoding="utf-8"))

    assert ours["opening_hours"] == shared["opening_hours"]


@pytest.mark.skipif(
    not SHARED_TOPICS.exists() and not in_ci(),
    reason=f"no {SHARED_TOPICS}: check shared/ out beside the repo at {SHARED_DIR}, as CI does",
)
def test_vendored_topics_match_the_shared_topics():
    shared = load_topics(SHARED_TOPICS)
    vendored = load_topics()

    assert list(vendored) == list(shared)
    assert {t.id: t.kind for t in vendored.values()} == {t.id: t.kind for t in shared.values()}


def test_every_guide_topic_has_a_shared_guide(library):
    # appointment_booking: the answer where there is no booking integration; emergency: the emergency
    # numbers and the akutguide (an emergency itself is answered by the safety screen).
    guide_topics = {t.id for t in library.topics.values() if t.kind == "guide"} | {"appointment_booking", "emergency"}

    assert set(library.guides) == guide_topics


def test_every_declared_variable_is_used_by_some_guide(library):
    guides = [
        *library.guides.values(),
        *(g for m in library.municipalities.values() for g in m.guides.values()),
    ]
    used = set().union(*(g.variables() for g in guides))
    declared = {name for name, v in library.variables.items() if v.scope != "builtin"}

    assert declared - used == set()


def test_every_builtin_variable_resolves(library):
    aarhus = library.municipality("aarhus")

    for name, variable in library.variables.items():
        if variable.scope == "builtin":
            value = library.resolve(name, aarhus)
            assert value is not None and str(value.value).strip(), name


def test_made_up_phone_numbers_are_marked_demo_and_cannot_be_dialled(library):
    for m in library.municipalities.values():
        for name, value in m.variables.items():
            if name.endswith("_phone"):
                assert value.demo, f"{m.slug}.{name}"
                assert str(value.value).startswith("00 "), f"{m.slug}.{name}"


def test_local_values_vary_between_municipalities(library):
    prices = {
        m.variables["passport_photo_price"].value
        for m in library.municipalities.values()
        if "passport_photo_price" in m.variables
    }

    assert len(prices) > 3


def test_some_municipalities_lack_some_values(library):
    local = {name for name, v in library.variables.items() if v.scope == "local"}
    incomplete = [
        m.slug
        for m in library.municipalities.values()
        if local - {"meal_service_price", "callback_booking_url"} - set(m.variables)
    ]

    assert "samsoe" in incomplete
    assert len(incomplete) < len(library.municipalities)


def test_guide_texts_have_no_unknown_placeholders():
    known = set(yaml.safe_load((PACKAGE_DIR / "variables.yml").read_text(encoding="utf-8"))["variables"])
    for path in (PACKAGE_DIR / "guides").glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert set(placeholders(text)) <= known, path.name


def test_topics_load_with_kinds_and_optional_about():
    topics = load_topics()

    assert topics["passport"].kind == "guide" and topics["passport"].about
    assert topics["appointment_booking"].kind == "flow"
    assert topics["greeting"].about == ""

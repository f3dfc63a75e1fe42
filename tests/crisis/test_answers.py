"""The akutguide's answer from the gateway's own state: the crisis first, the municipality's standing values beside it."""

from __future__ import annotations

from datetime import UTC, datetime

from conversation.directory import load_directory
from crisis.answers import BUSY, akutguide, local_info, opening
from crisis.model import make_crisis

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_every_municipality_has_filled_in_its_akutguide_values() -> None:
    values = load_directory().crisis_values
    assert len(values) == 27
    missing = {slug: name for slug, filled in values.items() for name in ("crisis_page", "crisis_hotline") if name not in filled}
    assert missing == {}


def test_without_a_link_or_phone_the_municipalitys_own_are_used() -> None:
    crisis = make_crisis(municipality="aarhus", title="Storm", message_da="Bliv inde.", set_by="cli", now=T0)
    local = local_info(load_directory().crisis_values["aarhus"])
    [message] = akutguide(crisis, local)
    assert message["text"].startswith("Bliv inde.\nEr der fare for liv, så ring 112.")
    assert "https://aarhus.dk/beredskab" in message["text"] and local.hotline is not None and local.hotline in message["text"]
    assert "DR P4" in message["text"]


def test_busy_says_so_first_and_english_follows_the_citizen() -> None:
    crisis = make_crisis(
        municipality="aarhus", title="Flood", message_da="Undgå havnen.", message_en="Avoid the harbour.", set_by="cli", now=T0
    )
    messages = akutguide(crisis, local_info(None), busy=True, language="en")
    assert messages[0]["text"].startswith("We are very busy") and "Avoid the harbour." in messages[1]["text"]
    assert akutguide(crisis, local_info(None), busy=True)[0]["text"] == BUSY
    assert opening(crisis)["text"] == "Vigtigt: Flood\nUndgå havnen."


def test_an_english_answer_names_radio_tv_and_police_in_english() -> None:
    """The national values' `en:` (knowledge/national.yml), as the guides use them; Danish answers keep the Danish."""
    crisis = make_crisis(
        municipality="aarhus", title="Flood", message_da="Undgå havnen.", message_en="Avoid the harbour.", set_by="cli", now=T0
    )
    directory = load_directory()
    [message] = akutguide(crisis, local_info(directory.crisis_values_in("aarhus", "en"), "en"), language="en")
    text = message["text"]
    assert "Listen to DR P4 (your local P4 radio channel), watch DR1 and dr.dk, and follow politi.dk and the police's" in text
    assert "din lokale" not in text and "politiets" not in text and "dr.dk og" not in text
    assert message["links"] == [{"title": "The municipality's crisis page", "url": "https://aarhus.dk/beredskab"}]
    # Without any value at all (a municipality unknown to the files) the English defaults stand in.
    assert "DR P4 (your local P4 radio channel)" in akutguide(crisis, local_info(None, "en"), language="en")[0]["text"]
    [danish] = akutguide(crisis, local_info(directory.crisis_values_in("aarhus", "da")))
    assert "Lyt til DR P4 (din lokale P4-kanal), se DR1 og dr.dk" in danish["text"] and "your local" not in danish["text"]


def test_the_opening_of_an_english_conversation_is_in_english() -> None:
    crisis = make_crisis(
        municipality="aarhus", title="Flood", message_da="Undgå havnen.", message_en="Avoid the harbour.",
        link="https://aarhus.dk/krise", phone="89 40 20 00", set_by="cli", now=T0,
    )  # fmt: skip
    message = opening(crisis, "en")
    assert message["text"] == "Important: Flood\nAvoid the harbour.\nCrisis hotline: 89 40 20 00"
    assert message["links"] == [{"title": "Read more on the municipality's crisis page", "url": "https://aarhus.dk/krise"}]

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

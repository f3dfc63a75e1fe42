"""Answers for the ear, speech redacted, and the voice configuration."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice.settings import TransferTarget, VoiceSettings, VoiceSettingsError
from voice.speech import for_the_ear, redact_speech


@pytest.mark.parametrize(
    ("heard", "kept"),
    [
        ("mit cpr nummer er 0 1 0 1 9 0 1 2 3 4", "mit cpr nummer er [CPR]"),
        ("0 1 0 1 9 0 - 1 2 3 4", "[CPR]"),
        ("nul et nul et ni nul et to tre fire", "[CPR]"),
        ("ring til mig på 2 0 3 0 4 0 5 0", "ring til mig på [TELEFON]"),
        ("20 30 40 50", "[TELEFON]"),
        ("1 2 3 4 5 6 7 8 9 0", "[NUMMER]"),
        ("jeg skal have et pas til to børn", "jeg skal have et pas til to børn"),
        ("hvad koster det i 2025", "hvad koster det i 2025"),
        ("postnummer 8 0 0 0", "postnummer 8 0 0 0"),
    ],
)
def test_spoken_numbers_are_redacted(heard: str, kept: str) -> None:
    assert redact_speech(heard) == kept


UNIT_WORDS = ["nul", "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni"]
TEEN_WORDS = ["ti", "elleve", "tolv", "tretten", "fjorten", "femten", "seksten", "sytten", "atten", "nitten"]
TENS_WORDS = {2: "tyve", 3: "tredive", 4: "fyrre", 5: "halvtreds", 6: "tres", 7: "halvfjerds", 8: "firs", 9: "halvfems"}


def pair_in_words(pair: str) -> str:
    """'07' as "nul syv", '17' as "sytten", '81' as "enogfirs": how Danes read numbers aloud in pairs."""
    tens, unit = int(pair[0]), int(pair[1])
    if tens == 0:
        return f"nul {UNIT_WORDS[unit]}"
    if tens == 1:
        return TEEN_WORDS[unit]
    return TENS_WORDS[tens] if unit == 0 else f"{UNIT_WORDS[unit]}og{TENS_WORDS[tens]}"


@st.composite
def spoken_numbers(draw: st.DrawFn) -> str:
    digits = draw(st.sampled_from([
        draw(st.dates()).strftime("%d%m%y") + draw(st.text("0123456789", min_size=4, max_size=4)),
        draw(st.sampled_from("23456789")) + draw(st.text("0123456789", min_size=7, max_size=7)),
    ]))
    way = draw(st.sampled_from(["digits", "words", "pairs", "mixed"]))
    if way == "digits":
        return " ".join(digits)
    if way == "words":
        return " ".join(UNIT_WORDS[int(d)] for d in digits)
    if way == "pairs":
        return " ".join(pair_in_words(digits[i:i + 2]) for i in range(0, len(digits), 2))
    return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))


@settings(max_examples=300, deadline=None)
@given(spoken_numbers(), st.sampled_from(["mit cpr nummer er", "ring til mig på", "det er", "mit nummer er"]),
       st.sampled_from(["", " tak", " og jeg bor i Aarhus"]))
def test_spoken_cpr_and_phone_numbers_never_survive(spoken: str, lead: str, trail: str) -> None:
    redacted = redact_speech(f"{lead} {spoken}{trail}")
    assert not any(char.isdigit() for char in redacted), redacted
    assert redacted.startswith(lead) and redacted.endswith(trail)
    assert any(placeholder in redacted for placeholder in ("[CPR]", "[TELEFON]", "[NUMMER]"))


def test_answers_lose_urls_emojis_and_markup_for_the_ear() -> None:
    text = "Bestil pas her 🛂: https://www.borger.dk/pas\n**Pris:** 669 kr.\n[Læs mere](https://aarhus.dk)\nÅbent 8–20"
    assert for_the_ear(text) == "Bestil pas her. Pris: 669 kr. Læs mere. Åbent 8 til 20."


ENV = {"TWILIO_AUTH_TOKEN": "tok", "MUNI_VOICE_TRANSFER": "+4570200000", "MUNI_VOICE_MUNICIPALITY": "aarhus"}


def test_voice_is_off_without_an_auth_token() -> None:
    assert VoiceSettings.from_env("https://muni.example.dk", {}) is None


def test_voice_settings_from_the_environment() -> None:
    env = {**ENV, "MUNI_VOICE_NUMBERS": "+4589402000=aarhus,+4587875050=viborg"}
    settings = VoiceSettings.from_env("https://muni.example.dk/", env)
    assert settings is not None
    assert settings.public_url == "https://muni.example.dk"
    assert settings.voice == "Polly.Naja" and settings.language == "da-DK"
    assert settings.municipality_for("+4587875050") == "viborg"
    assert settings.municipality_for("+4511111111") == "aarhus"
    assert "tok" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MUNI_VOICE_TRANSFER": ""}, "MUNI_VOICE_TRANSFER"),
        ({"MUNI_VOICE_TRANSFER": "agents"}, "MUNI_VOICE_TRANSFER"),
        ({"MUNI_VOICE_MUNICIPALITY": ""}, "MUNI_VOICE_MUNICIPALITY"),
        ({"MUNI_VOICE_NUMBERS": "aarhus"}, "MUNI_VOICE_NUMBERS"),
        ({"MUNI_VOICE_ASSISTANT_TIMEOUT_S": "20"}, "MUNI_VOICE_ASSISTANT_TIMEOUT_S"),
    ],
)
def test_bad_voice_settings_are_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(VoiceSettingsError, match=named):
        VoiceSettings.from_env("https://muni.example.dk", {**ENV, **env})


@pytest.mark.parametrize(
    ("value", "kind", "address"),
    [("+4570200000", "number", "+4570200000"), ("sip:agents@pbx.example.dk", "sip", "sip:agents@pbx.example.dk"),
     ("queue:hotline", "queue", "hotline")],
)  # fmt: skip
def test_transfer_targets(value: str, kind: str, address: str) -> None:
    assert TransferTarget.parse(value) == TransferTarget(kind, address)  # type: ignore[arg-type]


def test_chat_wording_is_turned_into_speech() -> None:
    assert for_the_ear("Vælg herunder, eller skriv det.") == "Vælg herunder, eller sig det."
    assert for_the_ear("Skriv fornavn og efternavn") == "Sig fornavn og efternavn."
    assert for_the_ear("tirsdag 24/11 kl. 10.00") == "tirsdag 24. november klokken 10."

"""The safety answer: the right number first, Danish and the citizen's language, the region's helpline."""

from __future__ import annotations

import pytest

from safety.answers import SafetyTexts
from safety.language import LANGUAGES
from safety.screen import CATEGORIES

FIRST_NUMBER = {
    "medical": "112",
    "poisoning": "82 12 12 12",
    "fire": "112",
    "violence": "112",
    "suicide": "70 201 201",
    "child": "112",
}


@pytest.fixture(scope="module")
def texts() -> SafetyTexts:
    return SafetyTexts.load()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_answer_puts_the_right_number_first_in_every_language(texts: SafetyTexts, category: str, language: str) -> None:
    messages = texts.answer(category, language, "aarhus")  # type: ignore[arg-type]  # parametrised over CATEGORIES
    first_line = messages[0]["text"].splitlines()[0]
    assert FIRST_NUMBER[category] in first_line
    assert "{" not in "".join(m["text"] for m in messages)  # every placeholder filled
    if language == "da":
        assert len(messages) == 1
    else:
        assert len(messages) == 2 and messages[1]["text"] == texts.answer(category, "da", "aarhus")[0]["text"]  # type: ignore[arg-type]  # idem


def test_the_capital_region_gets_1813_and_other_regions_their_own_line(texts: SafetyTexts) -> None:
    assert "Akuttelefonen 1813" in texts.answer("medical", "da", "egedal")[0]["text"]
    assert "1813" in texts.answer("medical", "en", "egedal")[0]["text"]
    assert "lægevagten på 70 15 07 00" in texts.answer("medical", "da", "holbaek")[0]["text"]
    assert "70 15 07 00" in texts.answer("medical", "tr", "holbaek")[0]["text"]
    assert "1813 i Region Hovedstaden" in texts.answer("medical", "da", None)[0]["text"]


def test_children_are_told_of_boernetelefonen_and_poisoning_of_112_as_well(texts: SafetyTexts) -> None:
    assert "Børnetelefonen på 116 111" in texts.answer("child", "da", "aarhus")[0]["text"]
    assert "116 111" in texts.answer("child", "so", "aarhus")[0]["text"]
    assert "ring 112" in texts.answer("poisoning", "da", "aarhus")[0]["text"]


@pytest.mark.parametrize("language", ["de", "pl", "uk", "ar", "tr", "so"])
def test_the_notice_names_the_contact_centre_in_the_citizens_language(texts: SafetyTexts, language: str) -> None:
    notice = texts.notice(language, "70 20 30 40")
    assert notice is not None and "70 20 30 40" in notice["text"] and "Den Digitale Hotline" in notice["text"]


def test_danish_and_english_get_no_notice(texts: SafetyTexts) -> None:
    assert texts.notice("da", "1") is None and texts.notice("en", "1") is None


def test_a_texts_file_that_lacks_a_language_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "answers.yml"
    path.write_text("answers:\n  fire:\n    da: 'Ring 112'\nnotice: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="medical/da"):
        SafetyTexts.load(path)

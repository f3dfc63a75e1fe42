"""Language detection: eight languages, short or unsure messages keep the conversation's language."""

from __future__ import annotations

import pytest

from safety.language import LanguageDetector


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hvordan fornyer jeg mit pas i borgerservice", "da"),
        ("der er rotter i gården", "da"),  # only Danish writes å, æ and ø
        ("how do I renew my passport", "en"),
        ("wie melde ich meinen Umzug an", "de"),
        ("jak zgłosić przeprowadzkę do urzędu", "pl"),
        ("як зареєструвати переїзд у комуні", "uk"),
        ("كيف أسجل تغيير العنوان في البلدية", "ar"),
        ("adres değişikliğini nasıl bildiririm", "tr"),
        ("sidee u diiwaangeliyaa guuritaanka", "so"),
    ],
)
def test_each_language_is_recognised(detector: LanguageDetector, text: str, language: str) -> None:
    assert detector.detect(text, current="da" if language != "da" else "en") == language


@pytest.mark.parametrize("text", ["ok", "tak", "hello", "ja tak", '/inform{"email": "[EMAIL]"}', "12345 67890 12"])
def test_short_messages_and_payloads_keep_the_conversations_language(detector: LanguageDetector, text: str) -> None:
    assert detector.detect(text, current="pl") == "pl"


def test_redaction_placeholders_do_not_make_danish_german(detector: LanguageDetector) -> None:
    assert detector.detect("pas, mit nummer er [TELEFON]", current="da") == "da"


def test_an_english_question_with_a_german_loan_word_stays_english(detector: LanguageDetector) -> None:
    assert detector.detect("what is the price of kindergarten", current="en") == "en"
    assert detector.detect("wie viel kostet der Kindergarten", current="en") == "de"

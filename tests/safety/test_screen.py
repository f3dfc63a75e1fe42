"""The safety screen: each category in each language, misspelt and without diacritics; questions about the topic pass."""

from __future__ import annotations

import pytest

from safety.normalise import normalise
from safety.patterns import Matcher, PatternError, within
from safety.screen import Screen, load_screen

# (language, category, a message the patterns must recognise). Not the evaluation set's messages.
EMERGENCIES = [
    ("da", "medical", "min nabo ligger bevidstløs i opgangen"),
    ("da", "poisoning", "min lille dreng har slugt nogle tabletter"),
    ("da", "fire", "det brænder i køkkenet"),
    ("da", "violence", "min mand slår mig hver aften"),
    ("da", "suicide", "jeg vil ikke leve længere"),
    ("da", "child", "min far slår mig"),
    ("en", "medical", "my father is not breathing"),
    ("en", "poisoning", "my baby swallowed a battery"),
    ("en", "fire", "our kitchen is on fire"),
    ("en", "violence", "my partner hits me"),
    ("en", "suicide", "I am going to kill myself"),
    ("en", "child", "my mom beats me"),
    ("de", "medical", "meine Frau ist bewusstlos"),
    ("de", "poisoning", "mein Kind hat Pillen geschluckt"),
    ("de", "fire", "es brennt im Haus"),
    ("de", "violence", "mein Partner schlägt mich"),
    ("de", "suicide", "ich will mich umbringen"),
    ("de", "child", "mein Papa schlägt mich"),
    ("pl", "medical", "mój ojciec nie oddycha"),
    ("pl", "poisoning", "córka połknęła tabletki"),
    ("pl", "fire", "w kuchni jest pożar"),
    ("pl", "violence", "partner mnie bije"),
    ("pl", "suicide", "nie chcę żyć"),
    ("pl", "child", "mama mnie bije"),
    ("uk", "medical", "бабуся не дихає"),
    ("uk", "poisoning", "донька проковтнула таблетки"),
    ("uk", "fire", "на кухні пожежа"),
    ("uk", "violence", "мене б'є чоловік"),
    ("uk", "suicide", "думаю про самогубство"),
    ("uk", "child", "мама мене б'є"),
    ("ar", "medical", "جدي لا يتنفس"),
    ("ar", "poisoning", "ابنتي ابتلعت حبوب"),
    ("ar", "fire", "حريق في المطبخ"),
    ("ar", "violence", "أخي يضربني"),
    ("ar", "suicide", "أفكر بالانتحار"),
    ("ar", "child", "أمي تضربني وأبي يضربني"),
    ("tr", "medical", "dedem nefes almıyor"),
    ("tr", "poisoning", "kızım hap yuttu"),
    ("tr", "fire", "mutfakta yangın var"),
    ("tr", "violence", "eşim beni dövüyor"),
    ("tr", "suicide", "intihar etmek istiyorum"),
    ("tr", "child", "annem beni dövüyor"),
    ("so", "medical", "awoowe ma neefsanayo"),
    ("so", "poisoning", "wiilkaygu wuxuu liqay kiniin"),
    ("so", "fire", "guriga dab ayaa ka kacay"),
    ("so", "violence", "ninkayga ayaa i garaacay"),
    ("so", "suicide", "waxaan doonayaa inaan is dilo"),
    ("so", "child", "hooyo ayaa i garaacda"),
]

ABOUT_THE_TOPIC = [
    "hvad er nummeret til lægevagten?",
    "hvornår har lægevagten åbent",
    "hvad er telefonnummeret til giftlinjen",
    "hvad koster en ambulance",
    "hvad er reglerne for brandalarm i udlejningsboliger",
    "what is the number of the out-of-hours doctor",
    "Hvilket parti skal jeg stemme på?",
    "min mand er død i sidste uge, kan jeg blive boende i huset",
    "må jeg brænde grene af i haven",
    "hvordan bortskaffer jeg en brandslukker",
    "hvornår skal jeg ringe 1813",  # the emergency guide answers these (issues 15 and 17)
    "when should I call 1813 instead of 112",
    "hvor kan jeg hente sandsække",
    "er vandet forurenet i vores by",
    "jeg er alene med min datter, kan jeg få ekstra børnetilskud",  # a single parent, not a child left alone
]


@pytest.fixture(scope="module")
def screen() -> Screen:
    return load_screen(embeddings=False)


@pytest.mark.parametrize(("language", "category", "text"), EMERGENCIES, ids=[f"{lang}-{cat}" for lang, cat, _ in EMERGENCIES])
def test_each_category_is_recognised_in_each_language(screen: Screen, language: str, category: str, text: str) -> None:
    finding = screen.check(text)
    assert finding is not None, f"{language}: {text!r} was not screened"
    assert (finding.category, finding.method) == (category, "pattern")


def test_every_category_has_patterns_in_all_eight_languages() -> None:
    matcher = Matcher.load()
    covered = {(p.category, p.language) for p in matcher.patterns}
    for category in ("medical", "poisoning", "fire", "violence", "suicide", "child"):
        for language in ("da", "en", "de", "pl", "uk", "ar", "tr", "so"):
            assert (category, language) in covered


@pytest.mark.parametrize(
    "text",
    [
        "mit barn har slugt pillr",  # a letter missing
        "min mand trækker ikke vjeret",  # two letters swapped
        "MIT BARN HAR SLUGT PILLER",
        "jeg har tanker om selvmrod",
        "min kaereste slaar mig",  # æ and å written out
        "min kreste slr mig",  # æ and å left out
        "moje dziecko polknelo tabletki",  # Polish without diacritics
        "cocugum hap yuttu",  # Turkish without diacritics
        "ｍｙ ｃｈｉｌｄ ｓｗａｌｌｏｗｅｄ ｐｉｌｌｓ",  # full-width letters
    ],
)
def test_typos_case_and_missing_diacritics_do_not_hide_an_emergency(screen: Screen, text: str) -> None:
    assert screen.check(text) is not None


@pytest.mark.parametrize("text", ABOUT_THE_TOPIC)
def test_questions_about_the_topic_and_ordinary_questions_are_not_emergencies(screen: Screen, text: str) -> None:
    assert screen.check(text) is None


def test_a_question_about_the_topic_still_counts_when_it_tells_of_an_emergency(screen: Screen) -> None:
    finding = screen.check("hvad er nummeret til giftlinjen, mit barn har slugt piller")
    assert finding is not None and finding.category == "poisoning"


def test_the_most_urgent_category_decides() -> None:
    screen = load_screen(embeddings=False)
    both = screen.check("min mand slår mig og jeg vil ikke leve mere")
    assert both is not None and both.category == "suicide"
    child = screen.check("min far slår mig")
    assert child is not None and child.category == "child"


def test_normalisation() -> None:
    assert normalise("Hjææælp!! Mit BARN") == "hjaelp mit barn"
    assert normalise("Straße, Łódź, Øresund, Çocuğum") == "strasse lodz oresund cocugum"
    assert normalise("ｈｊｅｍ") == "hjem"
    assert normalise("حَرِيق") == normalise("حريق")
    assert normalise("б'є") == normalise("бє")
    assert normalise("  ") == ""


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("piller", "pillr", 1, True),
        ("vejret", "vjeret", 1, True),
        ("piller", "pxllxr", 1, False),
        ("abcdefghij", "abdcefghjj", 2, True),
    ],
)
def test_typo_distance(a: str, b: str, limit: int, expected: bool) -> None:
    assert within(a, b, limit) is expected


def test_a_malformed_patterns_file_is_refused_with_a_reason() -> None:
    with pytest.raises(PatternError, match="categories"):
        Matcher.from_data({"categories": []})
    with pytest.raises(PatternError, match="empty"):
        Matcher.from_data({"categories": {"fire": {"da": ["brand |"]}}, "about_the_topic": {}})


def test_the_safety_package_stays_pure() -> None:
    """No web framework, no Rasa, no torch, no database in the screen (it runs inside the conversation core)."""
    import subprocess
    import sys

    probe = (
        "import sys, safety.desk, safety.screen, safety.language, safety.answers, safety.embedding;"
        "print(sorted(m for m in ('aiohttp', 'torch', 'rasa_sdk', 'qdrant_client', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"

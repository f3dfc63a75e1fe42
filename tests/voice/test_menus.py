"""The IVR's menus are data: prompts.yml (and prompts_en.yml for an English call) say which key and word lead where,
and a malformed menu or a missing English prompt stops the start."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from tests.voice.support import CALL_SID, PUBLIC_URL, call_record, gather, spoken, twilio_post, twiml
from tests.web.support import Client
from voice.calls import CallRecord
from voice.ivr import ACTIONS, load_menus, load_scripts
from voice.menus import Choice, Menu, MenuError, Menus
from voice.prompts import PROMPTS_EN_FILE, PROMPTS_FILE, PromptError, Prompts
from voice.twiml import Speaker

SCRIPTS = load_scripts(Speaker("Polly.Naja", "da-DK"), Speaker("Polly.Amy-Neural", "en-GB"))
PROMPTS = SCRIPTS["da"].prompts
MENUS = SCRIPTS["da"].menus
EVERY_MENU = [(language, menu) for language, script in SCRIPTS.items() for menu in vars(script.menus).values()]
EVERY_CHOICE = [
    pytest.param(language, menu, choice, id=f"{language}-{menu.name}-{choice.digit}-{choice.action}")
    for language, menu in EVERY_MENU
    for choice in menu.choices
]
WEBHOOK = {"main": "/voice/menu", "assistant": "/voice/assistant", "sms_consent": "/voice/sms-consent"}
QUERY = {"da": "", "en": "?lang=en"}  # an English call's addresses carry its language
Expectation = Callable[[ET.Element, CallRecord, Prompts, str], bool]
# What each action does, seen from outside: the TwiML and the call's record (in the call's language).
DOES: dict[str, Expectation] = {
    "assistant": lambda root, call, said, query: (
        gather(root).get("action") == f"{PUBLIC_URL}/voice/assistant{query}" and call.choices[-1] == "assistant"
    ),
    "agent": lambda root, call, said, query: (
        root.find("Dial/Number") is not None and call.transferred and call.choices[-1] == "agent"
    ),
    "sms_link": lambda root, call, said, query: said("sms_sent") in spoken(root) and call.choices[-1] == "sms_link",
    "sms_consent": lambda root, call, said, query: gather(root).get("action") == f"{PUBLIC_URL}/voice/sms-consent{query}",
    "sms_consent_yes": lambda root, call, said, query: (
        said("sms_sent") in spoken(root) and call.choices[-1] == "sms_consent_yes"
    ),
    "sms_consent_no": lambda root, call, said, query: (
        said("sms_declined") in spoken(root) and call.choices[-1] == "sms_consent_no"
    ),
    # Without a crisis on (tests/voice/test_crisis.py has one): the menu again, with no crisis keys.
    "crisis_repeat": lambda root, call, said, query: said("menu") in spoken(root) and said("crisis_repeat") not in spoken(root),
    "crisis_hotline": lambda root, call, said, query: root.find("Dial") is None and said("crisis_hotline") not in spoken(root),
    # The language key: the greeting and menu again, in the other language, whose addresses carry it.
    "english": lambda root, call, said, query: (
        said("greeting") not in spoken(root)
        and spoken(root).startswith(SCRIPTS["en"].prompts("greeting"))
        and gather(root).get("action") == f"{PUBLIC_URL}/voice/menu?tries=0&lang=en"
    ),
    "danish": lambda root, call, said, query: (
        spoken(root).startswith(SCRIPTS["da"].prompts("greeting"))
        and gather(root).get("action") == f"{PUBLIC_URL}/voice/menu?tries=0"
    ),
}


async def reach(client: Client, language: str, menu: Menu, call_sid: str) -> None:
    """Bring a call to the point where `menu` is the one being played, in `language`."""
    await twilio_post(client, "/voice/incoming", {"CallSid": call_sid})
    query = QUERY[language]
    if language == "en":
        await twilio_post(client, "/voice/menu", {"CallSid": call_sid, "Digits": "9"})
    if menu.name in ("assistant", "sms_consent"):
        await twilio_post(client, f"/voice/menu{query}", {"CallSid": call_sid, "Digits": "1"})
        await twilio_post(client, f"/voice/assistant{query}", {"CallSid": call_sid, "SpeechResult": "hvad koster et pas"})
    if menu.name == "sms_consent":
        await twilio_post(client, f"/voice/assistant{query}", {"CallSid": call_sid, "Digits": "8"})


def test_every_action_a_menu_names_is_one_the_ivr_has_and_none_is_unused() -> None:
    named = {choice.action for _, menu in EVERY_MENU for choice in menu.choices}
    assert named == set(ACTIONS) == set(DOES)


@pytest.mark.parametrize(("language", "menu", "choice"), EVERY_CHOICE)
async def test_each_key_and_its_first_word_lead_to_the_action_the_menu_names(
    client: Client, language: str, menu: Menu, choice: Choice
) -> None:
    by_key, by_word = CALL_SID, "CA" + "e" * 32
    answers = {}
    webhook, prompts = WEBHOOK[menu.name] + QUERY[language], SCRIPTS[language].prompts
    for call_sid, heard in ((by_key, {"Digits": choice.digit}), (by_word, {"SpeechResult": choice.words[0].rstrip("*")})):
        await reach(client, language, menu, call_sid)
        answers[call_sid] = await twiml(await twilio_post(client, webhook, {"CallSid": call_sid, **heard}))
        record = await call_record(client, call_sid)
        assert record is not None
        expected = DOES[choice.action](answers[call_sid], record, prompts, QUERY[language])
        assert expected, ET.tostring(answers[call_sid], encoding="unicode")
    # The same answer, but for the call's own sid (the whisper URL names the call it puts through).
    as_said = {sid: ET.tostring(root, encoding="unicode").replace(sid, "CALL") for sid, root in answers.items()}
    assert as_said[by_key] == as_said[by_word]


# "Tryk 1, eller sig assistent" in Danish, "Press 1, or say assistant" in English (the language key in the other).
KEY = r"\b(?:[Tt]ryk|[Pp]ress) ([0-9])\b"
KEY_OR_WORD = r"\b(?:[Tt]ryk|[Pp]ress) ([0-9]),? (?:eller sig|or say) (\w+)"


@pytest.mark.parametrize(
    ("language", "menu", "prompt"),
    [
        pytest.param(language, menu, prompt, id=f"{language}-{menu.name}-{prompt}")
        for language, menu in EVERY_MENU
        for prompt in menu.announced_in
    ],
)
def test_a_prompt_offering_a_menu_names_exactly_its_keys_and_words_that_lead_there(
    language: str, menu: Menu, prompt: str
) -> None:
    text = SCRIPTS[language].prompts(prompt)
    named = re.findall(KEY, text)
    assert sorted(named) == sorted(menu.announced_in[prompt]), text
    by_digit = {choice.digit: choice for choice in menu.choices}
    for digit, word in re.findall(KEY_OR_WORD, text):
        assert by_digit[digit].heard_in(word), f"{prompt}: saying {word!r} does not choose {digit}"


def test_together_a_menu_s_prompts_offer_every_key_it_has() -> None:
    for language, menu in EVERY_MENU:
        prompts = SCRIPTS[language].prompts
        offered = {digit for prompt in menu.announced_in for digit in re.findall(KEY, prompts(prompt))}
        assert offered == menu.digits, (language, menu.name)


@pytest.mark.parametrize(
    ("menu", "digits", "speech", "action"),
    [
        ("main", "", "Den digitale assistent tak", "assistant"),
        ("main", "", "assistenten", "assistant"),  # assistent* hears any ending
        ("main", "", "jeg vil gerne chatte med en person", "assistant"),  # the first choice heard wins
        ("main", "", "en rådgiver", "agent"),
        ("main", "5", "assistent", None),  # a key decides alone
        ("main", "", "hvad koster et pas", None),
        ("assistant", "", "medarbejder tak", "agent"),
        ("assistant", "", "jeg vil tale med en medarbejder nu", None),  # a question, for the assistant
        ("assistant", "", "kan I sende mig en sms", "sms_consent"),
        ("assistant", "", "hvordan sender jeg en sms til kommunen", None),
        ("assistant", "1", "", None),  # the answer's first button, not the menu's
        ("sms_consent", "", "ja tak", "sms_consent_yes"),
        ("sms_consent", "", "ja men ikke nu", "sms_consent_no"),  # a no outweighs a yes
        ("sms_consent", "", "jaja", None),  # ja is a whole word
        ("sms_consent", "2", "ja", "sms_consent_no"),
    ],
)
def test_what_a_caller_presses_or_says_chooses(menu: str, digits: str, speech: str, action: str | None) -> None:
    assert chosen(getattr(MENUS, menu), digits, speech) == action


def test_a_changed_menu_file_changes_what_a_key_does(tmp_path: Path) -> None:
    data = _data()
    data["menus"]["main"]["choices"].append({"digit": 5, "action": "agent", "words": ["hjælp*"]})
    data["menus"]["main"]["announced_in"]["menu"].append(5)
    _main_choice(data, 2)["action"] = "agent"  # 3 puts through too, instead of texting a link
    main = Menus.load(ACTIONS, PROMPTS, _write(tmp_path, data)).main
    assert [chosen(main, "5", ""), chosen(main, "", "hjælpen"), chosen(main, "3", "")] == ["agent"] * 3
    assert (chosen(MENUS.main, "5", ""), chosen(MENUS.main, "3", "")) == (None, "sms_link")


def chosen(menu: Menu, digits: str, speech: str) -> str | None:
    """The action a key press or an utterance leads to in `menu`; None when it is none of the menu's."""
    choice = menu.choose(digits, speech)
    return None if choice is None else choice.action


def _data() -> dict[str, Any]:
    data = yaml.safe_load(PROMPTS_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "prompts.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _main_choice(data: dict[str, Any], index: int) -> dict[str, Any]:
    choice: dict[str, Any] = data["menus"]["main"]["choices"][index]
    return choice


@pytest.mark.parametrize(
    ("break_it", "error"),
    [
        (lambda d: d.pop("menus"), "expected a menus: section"),
        (lambda d: d["menus"].pop("sms_consent"), "menus: missing sms_consent"),
        (lambda d: d["menus"].update(survey=d["menus"]["main"]), "unknown menus survey"),
        (lambda d: _main_choice(d, 1).update(action="transfr"), "menu 'main', choice 2 (digit 2): unknown action 'transfr'"),
        (lambda d: _main_choice(d, 1).update(digit=1), "menu 'main': digit 1 leads to two choices"),
        (lambda d: _main_choice(d, 1).update(digit=12), "menu 'main', choice 2: 12 is not a key 0-9"),
        (lambda d: _main_choice(d, 1).update(digit=None), "menu 'main', choice 2: None is not a key 0-9"),
        (lambda d: _main_choice(d, 1).update(words=["assistent*"]), "the word 'assistent*' is in the choices of both 1 and 2"),
        (lambda d: _main_choice(d, 1).update(words=[True]), "(digit 2): words: must be a list of words"),
        (lambda d: _main_choice(d, 1).update(words=["med arbejder"]), "(digit 2): words: must be a list of words"),
        (lambda d: _main_choice(d, 1).update(max_words=0), "(digit 2): max_words: must be a positive whole number"),
        (lambda d: _main_choice(d, 1).update(speak="medarbejder"), "choice 2: expected a mapping of digit, action, words"),
        (lambda d: d["menus"]["main"].update(choices=[]), "menu 'main': choices: must be a non-empty list"),
        (lambda d: d["menus"]["main"]["announced_in"].update(menu_open=[1]), "announced_in: no prompt named 'menu_open'"),
        (
            lambda d: d["menus"]["main"]["announced_in"].update(menu=[1, 5]),
            "prompt 'menu' offers 5, which the menu does not have",
        ),
        (lambda d: d["menus"]["main"].update(announced_in={"menu": [1, 2]}), "menu 'main': no prompt offers 3"),
    ],
)
def test_a_malformed_menu_file_is_refused_with_an_error_naming_what_is_wrong(
    tmp_path: Path, break_it: Callable[[dict[str, Any]], object], error: str
) -> None:
    data = _data()
    break_it(data)
    path = _write(tmp_path, data)
    with pytest.raises(MenuError) as refused:
        Menus.load(ACTIONS, PROMPTS, path)
    assert error in str(refused.value)
    assert str(path) in str(refused.value)


def test_the_assistant_menu_may_not_take_a_key_of_the_answer_s_buttons(tmp_path: Path) -> None:
    data = _data()
    data["menus"]["assistant"]["choices"][0]["digit"] = 7
    data["menus"]["assistant"]["announced_in"]["assistant_next"] = [8, 7]
    with pytest.raises(MenuError, match=r"menu 'assistant': keys 7 are the answer's buttons \(1-7\)"):
        load_menus(PROMPTS, _write(tmp_path, data))


def test_the_prompts_are_read_beside_the_menus_section() -> None:
    assert "menus" not in PROMPTS.texts and PROMPTS("goodbye") == "Tak for opkaldet. Farvel."


def test_the_english_menus_have_the_danish_keys_and_actions_but_english_words() -> None:
    english = SCRIPTS["en"].menus
    for name, menu in vars(MENUS).items():
        other = getattr(english, name)
        assert {(c.digit, c.action) for c in menu.choices if c.action != "english"} == {
            (c.digit, c.action) for c in other.choices if c.action != "danish"
        }
    assert (chosen(english.main, "", "I want the digital assistant"), chosen(english.main, "", "a person please")) == (
        "assistant",
        "agent",
    )
    assert chosen(english.sms_consent, "", "yes but not now") == "sms_consent_no"
    assert chosen(english.sms_consent, "", "yes please") == "sms_consent_yes"
    assert chosen(MENUS.main, "", "English") == "english" and chosen(english.main, "", "dansk") == "danish"


def _english_data() -> dict[str, Any]:
    data = yaml.safe_load(PROMPTS_EN_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _speakers() -> tuple[Speaker, Speaker]:
    return Speaker("Polly.Naja", "da-DK"), Speaker("Polly.Amy-Neural", "en-GB")


@pytest.mark.parametrize(
    ("break_it", "error", "kind"),
    [
        (lambda d: d.pop("sms_sent"), "missing prompts sms_sent", PromptError),
        (lambda d: d.update(goodbye="Goodbye, {name}."), "values the IVR does not give: goodbye (name)", PromptError),
        (lambda d: d["menus"]["main"]["choices"][2].update(action="agent"), "menu 'main': the keys and actions", MenuError),
    ],
)
def test_an_english_file_that_does_not_match_the_danish_one_is_refused(
    tmp_path: Path, break_it: Callable[[dict[str, Any]], object], error: str, kind: type[Exception]
) -> None:
    data = _english_data()
    break_it(data)
    path = tmp_path / "prompts_en.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(kind) as refused:
        load_scripts(*_speakers(), path_en=path)
    assert error in str(refused.value) and str(path) in str(refused.value)

"""The caller's path: greeting and menu, the assistant's turns, SMS consent, the way to a person."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from aiohttp import web
from twilio.twiml.voice_response import VoiceResponse

from conversation.service import Answer
from conversation.state import CLOCK, METRICS
from muni.languages import Language
from sms.sender import SmsError, SmsSender
from voice import assistant as assistant_service
from voice.calls import CallRecord
from voice.crisis import Announcement, active_announcement, announcement_keys, announcement_texts, put_through
from voice.language import call_language, choose_language, language_query, script, script_for
from voice.menus import Menu, MenuError, Menus
from voice.prompts import PROMPTS_EN_FILE, PROMPTS_FILE, Prompts
from voice.speech import for_the_ear, normalise_speech
from voice.state import CALLS, CONFIG, SMS, TASKS, OpeningHours, Script
from voice.twiml import Aside, Speaker, transfer, xml

logger = logging.getLogger("muni.voice.ivr")

# The answer's buttons are keys 1-7; the assistant menu's own keys (prompts.yml) must be others.
MAX_KEYPAD_CHOICES = 7
BUTTON_DIGITS = frozenset(str(digit) for digit in range(1, MAX_KEYPAD_CHOICES + 1))

# What a menu's choice does (a choice's action: in prompts.yml): the call's TwiML from here on.
MenuAction = Callable[[web.Request, CallRecord, Mapping[str, Any]], Awaitable[VoiceResponse]]


def twiml_response(response: VoiceResponse) -> web.Response:
    return web.Response(text=xml(response), content_type="application/xml")


def url(request: web.Request, name: str, **query: str) -> str:
    """An absolute URL under MUNI_PUBLIC_URL: Twilio signs (and we check) exactly this address.

    On an English call it carries the language (voice/language.py), so the next webhook speaks English.
    """
    query = {**query, **language_query(request)}
    path = request.app.router[name].url_for().with_query(query or None)
    return request.config_dict[CONFIG].settings.public_url + str(path)


async def incoming(request: web.Request) -> web.Response:
    """POST /voice/incoming – a call comes in: greet, then the menu."""
    form = await request.post()
    settings = request.config_dict[CONFIG].settings
    municipality = settings.municipality_for(str(form.get("To", "")))
    call_sid, now = _call_sid(form), request.config_dict[CLOCK]()
    await request.app[CALLS].start(call_sid, municipality, now, request.config_dict[CONFIG].centre.status(now).open)
    request.config_dict[METRICS].call_started(call_sid)
    crisis = await active_announcement(request, municipality)
    return twiml_response(_menu(request, greeting=True, crisis=crisis))


async def menu(request: web.Request) -> web.Response:
    """POST /voice/menu – the caller chose (keypad or speech) from the main menu: the assistant, a person, a link."""
    form = await request.post()
    call = await _call(request, form)
    if (chosen := await _dispatch(request, script(request).menus.main, call, form)) is not None:
        return chosen
    crisis = await active_announcement(request, call.municipality)
    return twiml_response(_menu(request, tries=_tries(request) + 1, crisis=crisis))


async def assistant(request: web.Request) -> web.Response:
    """POST /voice/assistant – one of the assistant menu's keys, an answer's button, or a spoken question."""
    form = await request.post()
    call = await _call(request, form)
    current = script(request)
    prompts = current.prompts
    if (chosen := await _dispatch(request, current.menus.assistant, call, form)) is not None:
        return chosen
    digits, speech = _heard(form)
    if digits in call.keypad:
        message = call.keypad[digits]
    elif speech:
        # Redacted by the conversation service, as chat text is (a phone number is sealed for a booking).
        message = normalise_speech(speech).lstrip("/").strip()[:1000]
    else:
        tries = _tries(request) + 1
        if tries > request.config_dict[CONFIG].settings.max_reprompts:
            return twiml_response(await to_person(request, call, assistant_ok=True, intro=prompts("not_understood_again")))
        response = VoiceResponse()
        current.speaker.ask(
            response, url(request, "assistant", tries=str(tries)),
            [prompts("reprompt"), prompts("assistant_next")], hints=prompts("assistant_hints"), num_digits=1,
        )  # fmt: skip
        return twiml_response(response)
    answer = await assistant_service.ask(request, call, message)
    if answer is None:
        return twiml_response(await to_person(request, call, assistant_ok=False, intro=prompts("assistant_unavailable")))
    keypad = _keypad(answer)
    await request.app[CALLS].record_turn(call.call_sid, answer.topic, answer.handoff, keypad)
    messages = answer.messages
    if answer.source == "safety" and current.language != "da":
        # The safety answer is written in the caller's language, then Danish: an English voice reads only the former.
        messages = messages[:1]
    spoken = [for_the_ear(message["text"], current.language) for message in messages]
    if answer.source == "safety":
        return twiml_response(await _safety_answer(request, call, spoken, answer.topic))
    if answer.handoff:
        # A hand-over answer is written for the chat ("ring til kontaktcentret …", the hours):
        # on the phone to_person says what applies, once. Other answers are read first.
        intro = "" if answer.source in ("handoff", "fallback") else " ".join(spoken)
        return twiml_response(await to_person(request, call, assistant_ok=True, intro=intro, topic=answer.topic))
    choices = [prompts("choice", title=title, digit=digit) for digit, title in _titles(answer, current.language).items()]
    if choices:
        choices.insert(0, prompts("choices_intro"))
    response = VoiceResponse()
    current.speaker.ask(
        response, url(request, "assistant"), [*spoken, *choices, prompts("assistant_next")],
        hints=prompts("assistant_hints"), num_digits=1,
    )  # fmt: skip
    return twiml_response(response)


async def sms_consent(request: web.Request) -> web.Response:
    """POST /voice/sms-consent – yes: the link goes by SMS; no: back to the assistant."""
    form = await request.post()
    call = await _call(request, form)
    if (chosen := await _dispatch(request, script(request).menus.sms_consent, call, form)) is not None:
        return chosen
    tries = _tries(request) + 1
    if tries > request.config_dict[CONFIG].settings.max_reprompts:
        # No SMS without a clear yes, and no asking for ever: back to the assistant.
        _ask_next(request, response := VoiceResponse())
        return twiml_response(response)
    return twiml_response(_consent_question(request, tries=tries))


async def _dispatch(request: web.Request, menu: Menu, call: CallRecord, form: Mapping[str, Any]) -> web.Response | None:
    """The TwiML of the action the caller chose from the menu; None when the choice is none of its own."""
    choice = menu.choose(*_heard(form))
    if choice is None:
        return None
    return twiml_response(await ACTIONS[choice.action](request, call, form))


async def _choose_assistant(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    await request.app[CALLS].add_choice(call.call_sid, "assistant")
    return await _start_assistant(request, call)


async def _choose_agent(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    await request.app[CALLS].add_choice(call.call_sid, "agent", request.config_dict[CLOCK]())
    return await to_person(request, call, assistant_ok=True)


async def _choose_sms_link(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    await request.app[CALLS].add_choice(call.call_sid, "sms_link")
    return _send_link(request, call, form, then=_goodbye)


async def _ask_sms_consent(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    return _consent_question(request)


async def _sms_consent_yes(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    await request.app[CALLS].add_choice(call.call_sid, "sms_consent_yes")
    return _send_link(request, call, form, then=_ask_next)


async def _sms_consent_no(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    await request.app[CALLS].add_choice(call.call_sid, "sms_consent_no")
    current = script(request)
    current.speaker.say(response := VoiceResponse(), current.prompts("sms_declined"))
    _ask_next(request, response)
    return response


async def _crisis_repeat(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    """The crisis message again, then the menu (just the menu when the crisis has ended meanwhile)."""
    crisis = await active_announcement(request, call.municipality)
    return _menu(request, crisis=crisis, announce=crisis is not None)


async def _crisis_hotline(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    """Put the caller through to the crisis hotline; without one (or without a crisis), the menu again."""
    crisis = await active_announcement(request, call.municipality)
    if crisis is None or crisis.hotline is None:
        return _menu(request, tries=_tries(request) + 1, crisis=crisis)
    await request.app[CALLS].add_choice(call.call_sid, "crisis_hotline")
    return put_through(script(request), crisis.hotline)


async def _english(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    return await _change_language(request, call, "en")


async def _danish(request: web.Request, call: CallRecord, form: Mapping[str, Any]) -> VoiceResponse:
    return await _change_language(request, call, "da")


async def _change_language(request: web.Request, call: CallRecord, language: Language) -> VoiceResponse:
    """The rest of the call in `language`: the greeting and menu (and any crisis) again, in it."""
    choose_language(request, language)  # the assistant follows at the next question (voice/assistant.py)
    crisis = await active_announcement(request, call.municipality)
    return _menu(request, greeting=True, crisis=crisis)


LANGUAGE_ACTIONS = frozenset({"english", "danish"})

# The actions a menu in prompts.yml may name (its choices' action:), checked when the menus load.
ACTIONS: Mapping[str, MenuAction] = MappingProxyType(
    {
        "assistant": _choose_assistant,
        "agent": _choose_agent,
        "sms_link": _choose_sms_link,
        "sms_consent": _ask_sms_consent,
        "sms_consent_yes": _sms_consent_yes,
        "sms_consent_no": _sms_consent_no,
        "crisis_repeat": _crisis_repeat,
        "crisis_hotline": _crisis_hotline,
        "english": _english,
        "danish": _danish,
    }
)


def load_menus(prompts: Prompts, path: Path = PROMPTS_FILE) -> Menus:
    """The menus from prompts.yml, checked against the actions here; a MenuError stops the start."""
    menus = Menus.load(ACTIONS, prompts, path)
    if taken := sorted(menus.assistant.digits & BUTTON_DIGITS):
        raise MenuError(f"{path}: menu 'assistant': keys {', '.join(taken)} are the answer's buttons (1-{MAX_KEYPAD_CHOICES})")
    return menus


def load_scripts(
    danish: Speaker, english: Speaker, path: Path = PROMPTS_FILE, path_en: Path = PROMPTS_EN_FILE
) -> dict[str, Script]:
    """The Danish and English scripts; a missing translation, or English menus that differ, stop the start."""
    prompts, prompts_en = Prompts.load(path), Prompts.load(path_en)
    prompts.check_translation(prompts_en, path_en)
    menus, menus_en = load_menus(prompts, path), load_menus(prompts_en, path_en)
    for name, menu in vars(menus).items():
        keys = {(choice.digit, choice.action) for choice in menu.choices}
        keys_en = {(choice.digit, choice.action) for choice in getattr(menus_en, name).choices}
        # Only the language key differs: 9 is English on a Danish call and Danish on an English one.
        if {key for key in keys ^ keys_en if key[1] not in LANGUAGE_ACTIONS}:
            raise MenuError(f"{path_en}: menu {name!r}: the keys and actions must be those of {path.name}")
    return {
        "da": Script("da", prompts, menus, danish),
        "en": Script("en", prompts_en, menus_en, english),
    }


async def to_person(
    request: web.Request, call: CallRecord, *, assistant_ok: bool, intro: str = "", topic: str | None = None
) -> VoiceResponse:
    """Open: put through with the call's topic and municipality. Closed: the hours, and what else we offer."""
    config, current = request.config_dict[CONFIG], script(request)
    prompts, speaker = current.prompts, current.speaker
    now = request.config_dict[CLOCK]()
    response = VoiceResponse()
    speaker.say(response, intro)
    if config.centre.status(now).open:
        speaker.say(response, prompts("transfer"))
        await request.app[CALLS].mark_transferred(call.call_sid, now)
        whisper = url(
            request, "whisper", topic=topic or call.last_topic or "", municipality=call.municipality, call=call.call_sid
        )
        transfer(
            response, config.settings.transfer, topic=topic or call.last_topic, municipality=call.municipality,
            whisper_url=whisper, done_url=url(request, "dial-done"),
        )  # fmt: skip
        return response
    _closed_and_hours(current, config.centre, now, response)
    if assistant_ok:
        speaker.ask(response, url(request, "menu"), [prompts("closed_options")], hints=prompts("menu_hints"))
    else:
        speaker.ask(response, url(request, "menu"), [prompts("menu_closed")], hints=prompts("menu_hints"))
    speaker.say(response, prompts("goodbye"))
    response.hangup()
    return response


async def _safety_answer(request: web.Request, call: CallRecord, spoken: list[str], topic: str | None) -> VoiceResponse:
    """An emergency: 112 always, the safety answer, then a person at once while the centre is open."""
    prompts, speaker = script(request).prompts, script(request).speaker
    intro = " ".join([prompts("safety_112"), *spoken])
    if request.config_dict[CONFIG].centre.status(request.config_dict[CLOCK]()).open:
        return await to_person(request, call, assistant_ok=True, intro=intro, topic=topic)
    response = VoiceResponse()
    speaker.ask(response, url(request, "assistant"), [intro, prompts("assistant_next")], hints=prompts("assistant_hints"))
    return response


def safe_exit(request: web.Request) -> VoiceResponse:
    """When anything failed: a person while open, the hours while closed (never silence)."""
    config, current = request.config_dict[CONFIG], script(request)
    prompts, speaker = current.prompts, current.speaker
    now = request.config_dict[CLOCK]()
    response = VoiceResponse()
    if config.centre.status(now).open:
        speaker.say(response, prompts("transfer"))
        transfer(
            response, config.settings.transfer, topic=None, municipality=config.settings.municipality,
            whisper_url=url(request, "whisper"), done_url=url(request, "dial-done"),
        )  # fmt: skip
    else:
        _closed_and_hours(current, config.centre, now, response)
        response.hangup()
    return response


def _closed_and_hours(current: Script, centre: OpeningHours, now: datetime, response: VoiceResponse) -> None:
    """That the centre is closed, and its hours, in the call's language and for the ear."""
    language, prompts = current.language, current.prompts
    current.speaker.say(response, prompts("closed", status=for_the_ear(centre.status_text(now, language), language)))
    current.speaker.say(response, prompts("hours", hours=for_the_ear(centre.hours_text(language=language), language)))


async def _start_assistant(request: web.Request, call: CallRecord) -> VoiceResponse:
    prompts = script(request).prompts
    if call.conversation_id is None and await assistant_service.down_at_once(request, call):
        return await to_person(request, call, assistant_ok=False, intro=prompts("assistant_unavailable"))
    response = VoiceResponse()
    script(request).speaker.ask(
        response, url(request, "assistant"), [prompts("assistant_intro")], hints=prompts("assistant_hints"), num_digits=1
    )
    return response


def _menu(
    request: web.Request, *, greeting: bool = False, tries: int = 0, crisis: Announcement | None = None, announce: bool = False
) -> VoiceResponse:
    """The main menu; while a crisis is on, its message first (at the greeting, or on asking again) and its keys.

    The other language's key is offered in that language's voice, before the menu a caller may not understand.
    """
    current = script(request)
    prompts, speaker = current.prompts, current.speaker
    other = script_for(request, "da" if current.language == "en" else "en")
    response = VoiceResponse()
    if tries > request.config_dict[CONFIG].settings.max_reprompts:
        speaker.say(response, prompts("goodbye"))
        response.hangup()
        return response
    texts: list[str | Aside] = [prompts("greeting")] if greeting else [prompts("reprompt")] if tries else []
    if crisis is not None and (greeting or announce):
        texts += announcement_texts(current, other, crisis.crisis)
    texts.append(Aside(prompts("other_language"), other.speaker))
    options = [] if crisis is None else announcement_keys(prompts, crisis)
    speaker.ask(
        response, url(request, "menu", tries=str(tries)), [*texts, prompts("menu"), *options], hints=prompts("menu_hints")
    )
    speaker.say(response, prompts("goodbye"))
    return response


def _consent_question(request: web.Request, tries: int = 0) -> VoiceResponse:
    prompts = script(request).prompts
    texts = [prompts("reprompt"), prompts("sms_consent")] if tries else [prompts("sms_consent")]
    action = url(request, "sms-consent", **({"tries": str(tries)} if tries else {}))
    response = VoiceResponse()
    script(request).speaker.ask(response, action, texts, hints=prompts("sms_consent_hints"))
    return response


def _send_link(
    request: web.Request, call: CallRecord, form: Mapping[str, Any], *, then: Callable[[web.Request, VoiceResponse], None]
) -> VoiceResponse:
    """Text the caller a link to the chat (the call's topic and language) in the background; once per topic per call."""
    prompts, speaker = script(request).prompts, script(request).speaker
    caller = str(form.get("From", ""))
    response = VoiceResponse()
    settings = request.config_dict[CONFIG].settings
    link = f"{settings.public_url}/start/{quote(call.municipality)}"
    if call.last_topic:
        link += f"/{quote(call.last_topic)}"
    query = "?via=sms" + ("&lang=en" if call_language(request) == "en" else "")  # web/channels/pages.py
    body = prompts("sms_link_body", url=link + query)
    if not re.fullmatch(r"\+[1-9][0-9]{6,14}", caller):
        speaker.say(response, prompts("sms_no_number"))
    else:
        request.app[TASKS].spawn(_text(request.app[SMS], caller, body, f"{call.call_sid}:link:{call.last_topic or '-'}"))
        speaker.say(response, prompts("sms_sent"))
    then(request, response)
    return response


async def _text(sender: SmsSender, to: str, body: str, key: str) -> None:
    try:
        await sender.send(to, body, idempotency_key=key)
    except SmsError as error:
        logger.warning("Could not text the chat link (%s): %s", key, error)


def _goodbye(request: web.Request, response: VoiceResponse) -> None:
    script(request).speaker.say(response, script(request).prompts("goodbye"))
    response.hangup()


def _ask_next(request: web.Request, response: VoiceResponse) -> None:
    current = script(request)
    prompts = current.prompts
    current.speaker.ask(response, url(request, "assistant"), [prompts("assistant_next")], hints=prompts("assistant_hints"))


def _keypad(answer: Answer) -> dict[str, str]:
    buttons = [b for message in answer.messages for b in message.get("buttons", [])][:MAX_KEYPAD_CHOICES]
    return {str(digit): button["payload"] for digit, button in enumerate(buttons, start=1)}


def _titles(answer: Answer, language: str) -> dict[str, str]:
    buttons = [b for message in answer.messages for b in message.get("buttons", [])][:MAX_KEYPAD_CHOICES]
    return {str(digit): for_the_ear(button["title"], language).rstrip(".") for digit, button in enumerate(buttons, start=1)}


def _heard(form: Mapping[str, Any]) -> tuple[str, str]:
    """The key pressed and the words said (Twilio sends one or the other)."""
    return str(form.get("Digits", "")).strip(), str(form.get("SpeechResult", "")).strip()


def _tries(request: web.Request) -> int:
    raw = request.query.get("tries", "0")
    return int(raw) if raw.isdigit() and len(raw) < 3 else 0


def _call_sid(form: Mapping[str, Any]) -> str:
    sid = str(form.get("CallSid", ""))
    if not re.fullmatch(r"CA[0-9a-fA-F]{32}", sid):
        raise web.HTTPBadRequest()
    return sid


async def _call(request: web.Request, form: Mapping[str, Any]) -> CallRecord:
    """The call's record; created now if Twilio's first webhook was lost."""
    sid, calls = _call_sid(form), request.app[CALLS]
    record = await calls.get(sid)
    if record is None:
        settings = request.config_dict[CONFIG].settings
        now = request.config_dict[CLOCK]()
        open_now = request.config_dict[CONFIG].centre.status(now).open
        await calls.start(sid, settings.municipality_for(str(form.get("To", ""))), now, open_now)
        record = await calls.get(sid)
        assert record is not None
    return record

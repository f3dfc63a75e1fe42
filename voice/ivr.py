"""The caller's path: greeting and menu, the assistant's turns, SMS consent, the way to a person."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from aiohttp import web
from twilio.twiml.voice_response import VoiceResponse

from conversation.service import Answer
from conversation.state import CLOCK
from sms.sender import SmsError, SmsSender
from voice import assistant as assistant_service
from voice.calls import CallRecord
from voice.speech import for_the_ear, normalise_speech
from voice.state import CALLS, CONFIG, PROMPTS, SMS, SPEAKER, TASKS
from voice.twiml import transfer, xml

logger = logging.getLogger("muni.voice.ivr")

MAX_KEYPAD_CHOICES = 7  # 0 is a person, 8 is the SMS, 9 is unused
_ASSISTANT = re.compile(r"\b(assistent\w*|robot\w*|digital\w*|chat\w*)\b", re.IGNORECASE)
_PERSON = re.compile(r"\b(medarbejder\w*|menneske\w*|person\w*|rådgiver\w*)\b", re.IGNORECASE)
_SMS = re.compile(r"\b(sms\w*|besked)\b", re.IGNORECASE)
_YES = re.compile(r"\b(ja|jo|gerne|okay|ok)\b", re.IGNORECASE)
_NO = re.compile(r"\b(nej|ikke)\b", re.IGNORECASE)


def twiml_response(response: VoiceResponse) -> web.Response:
    return web.Response(text=xml(response), content_type="application/xml")


def url(request: web.Request, name: str, **query: str) -> str:
    """An absolute URL under MUNI_PUBLIC_URL: Twilio signs (and we check) exactly this address."""
    path = request.app.router[name].url_for().with_query(query or None)
    return request.config_dict[CONFIG].settings.public_url + str(path)


async def incoming(request: web.Request) -> web.Response:
    """POST /voice/incoming – a call comes in: greet, then the menu."""
    form = await request.post()
    settings = request.config_dict[CONFIG].settings
    municipality = settings.municipality_for(str(form.get("To", "")))
    await request.app[CALLS].start(_call_sid(form), municipality, request.config_dict[CLOCK]())
    return twiml_response(_menu(request, greeting=True))


async def menu(request: web.Request) -> web.Response:
    """POST /voice/menu – the caller chose (keypad or speech) between the assistant and a person."""
    form = await request.post()
    call = await _call(request, form)
    digits, speech = str(form.get("Digits", "")).strip(), str(form.get("SpeechResult", "")).strip()
    calls = request.app[CALLS]
    if digits == "1" or (not digits and _ASSISTANT.search(speech)):
        await calls.add_choice(call.call_sid, "assistant")
        return twiml_response(await _start_assistant(request, call))
    if digits == "2" or (not digits and _PERSON.search(speech)):
        await calls.add_choice(call.call_sid, "agent")
        return twiml_response(await to_person(request, call, assistant_ok=True))
    if digits == "3" or (not digits and _SMS.search(speech)):
        await calls.add_choice(call.call_sid, "sms_link")
        return twiml_response(_send_link(request, call, form, then=_goodbye))
    return twiml_response(_menu(request, tries=_tries(request) + 1))


async def assistant(request: web.Request) -> web.Response:
    """POST /voice/assistant – one spoken question (or keypad choice) for the assistant."""
    form = await request.post()
    call = await _call(request, form)
    prompts = request.app[PROMPTS]
    digits, speech = str(form.get("Digits", "")).strip(), str(form.get("SpeechResult", "")).strip()
    if digits == "0" or (not digits and _PERSON.search(speech) and len(speech.split()) <= 3):
        await request.app[CALLS].add_choice(call.call_sid, "agent")
        return twiml_response(await to_person(request, call, assistant_ok=True))
    if digits == "8" or (not digits and _SMS.search(speech) and len(speech.split()) <= 6):
        return twiml_response(_consent_question(request))
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
        request.app[SPEAKER].ask(
            response, url(request, "assistant", tries=str(tries)),
            [prompts("reprompt"), prompts("assistant_next")], hints=prompts("assistant_hints"), num_digits=1,
        )  # fmt: skip
        return twiml_response(response)
    answer = await assistant_service.ask(request, call, message)
    if answer is None:
        return twiml_response(await to_person(request, call, assistant_ok=False, intro=prompts("assistant_unavailable")))
    keypad = _keypad(answer)
    await request.app[CALLS].record_turn(call.call_sid, answer.topic, answer.handoff, keypad)
    spoken = [for_the_ear(message["text"]) for message in answer.messages]
    if answer.source == "safety":
        return twiml_response(await _safety_answer(request, call, spoken, answer.topic))
    if answer.handoff:
        return twiml_response(await to_person(request, call, assistant_ok=True, intro=" ".join(spoken), topic=answer.topic))
    choices = [prompts("choice", title=title, digit=digit) for digit, title in _titles(answer).items()]
    if choices:
        choices.insert(0, prompts("choices_intro"))
    response = VoiceResponse()
    request.app[SPEAKER].ask(
        response, url(request, "assistant"), [*spoken, *choices, prompts("assistant_next")],
        hints=prompts("assistant_hints"), num_digits=1,
    )  # fmt: skip
    return twiml_response(response)


async def sms_consent(request: web.Request) -> web.Response:
    """POST /voice/sms-consent – yes: the link goes by SMS; no: back to the assistant."""
    form = await request.post()
    call = await _call(request, form)
    digits, speech = str(form.get("Digits", "")).strip(), str(form.get("SpeechResult", "")).strip()
    if digits == "1" or (not digits and _YES.search(speech) and not _NO.search(speech)):
        await request.app[CALLS].add_choice(call.call_sid, "sms_consent_yes")
        return twiml_response(_send_link(request, call, form, then=_ask_next))
    if digits == "2" or (not digits and _NO.search(speech)):
        await request.app[CALLS].add_choice(call.call_sid, "sms_consent_no")
        request.app[SPEAKER].say(response := VoiceResponse(), request.app[PROMPTS]("sms_declined"))
        _ask_next(request, response)
        return twiml_response(response)
    return twiml_response(_consent_question(request, reprompt=True))


async def to_person(
    request: web.Request, call: CallRecord, *, assistant_ok: bool, intro: str = "", topic: str | None = None
) -> VoiceResponse:
    """Open: put through with the call's topic and municipality. Closed: the hours, and what else we offer."""
    config, prompts, speaker = request.config_dict[CONFIG], request.app[PROMPTS], request.app[SPEAKER]
    now = request.config_dict[CLOCK]()
    response = VoiceResponse()
    speaker.say(response, intro)
    if config.centre.status(now).open:
        speaker.say(response, prompts("transfer"))
        await request.app[CALLS].mark_transferred(call.call_sid)
        whisper = url(request, "whisper", topic=topic or call.last_topic or "", municipality=call.municipality)
        transfer(
            response, config.settings.transfer, topic=topic or call.last_topic, municipality=call.municipality,
            whisper_url=whisper, done_url=url(request, "dial-done"),
        )  # fmt: skip
        return response
    speaker.say(response, prompts("closed", status=for_the_ear(config.centre.status_text(now))))
    speaker.say(response, prompts("hours", hours=for_the_ear(config.centre.hours_text())))
    if assistant_ok:
        speaker.ask(response, url(request, "menu"), [prompts("closed_options")], hints=prompts("menu_hints"))
    else:
        speaker.ask(response, url(request, "menu"), [prompts("menu_closed")], hints=prompts("menu_hints"))
    speaker.say(response, prompts("goodbye"))
    response.hangup()
    return response


async def _safety_answer(request: web.Request, call: CallRecord, spoken: list[str], topic: str | None) -> VoiceResponse:
    """An emergency: 112 always, the safety answer, then a person at once while the centre is open."""
    prompts, speaker = request.app[PROMPTS], request.app[SPEAKER]
    intro = " ".join([prompts("safety_112"), *spoken])
    if request.config_dict[CONFIG].centre.status(request.config_dict[CLOCK]()).open:
        return await to_person(request, call, assistant_ok=True, intro=intro, topic=topic)
    response = VoiceResponse()
    speaker.ask(response, url(request, "assistant"), [intro, prompts("assistant_next")], hints=prompts("assistant_hints"))
    return response


def safe_exit(request: web.Request) -> VoiceResponse:
    """When anything failed: a person while open, the hours while closed (never silence)."""
    config, prompts, speaker = request.config_dict[CONFIG], request.app[PROMPTS], request.app[SPEAKER]
    now = request.config_dict[CLOCK]()
    response = VoiceResponse()
    if config.centre.status(now).open:
        speaker.say(response, prompts("transfer"))
        transfer(
            response, config.settings.transfer, topic=None, municipality=config.settings.municipality,
            whisper_url=url(request, "whisper"), done_url=url(request, "dial-done"),
        )  # fmt: skip
    else:
        speaker.say(response, prompts("closed", status=for_the_ear(config.centre.status_text(now))))
        speaker.say(response, prompts("hours", hours=for_the_ear(config.centre.hours_text())))
        response.hangup()
    return response


async def _start_assistant(request: web.Request, call: CallRecord) -> VoiceResponse:
    prompts = request.app[PROMPTS]
    if call.conversation_id is None and await assistant_service.down_at_once(request, call):
        return await to_person(request, call, assistant_ok=False, intro=prompts("assistant_unavailable"))
    response = VoiceResponse()
    request.app[SPEAKER].ask(
        response, url(request, "assistant"), [prompts("assistant_intro")], hints=prompts("assistant_hints"), num_digits=1
    )
    return response


def _menu(request: web.Request, *, greeting: bool = False, tries: int = 0) -> VoiceResponse:
    prompts, speaker = request.app[PROMPTS], request.app[SPEAKER]
    response = VoiceResponse()
    if tries > request.config_dict[CONFIG].settings.max_reprompts:
        speaker.say(response, prompts("goodbye"))
        response.hangup()
        return response
    texts = [prompts("greeting")] if greeting else [prompts("reprompt")] if tries else []
    speaker.ask(response, url(request, "menu", tries=str(tries)), [*texts, prompts("menu")], hints=prompts("menu_hints"))
    speaker.say(response, prompts("goodbye"))
    return response


def _consent_question(request: web.Request, reprompt: bool = False) -> VoiceResponse:
    prompts = request.app[PROMPTS]
    texts = [prompts("reprompt"), prompts("sms_consent")] if reprompt else [prompts("sms_consent")]
    response = VoiceResponse()
    request.app[SPEAKER].ask(response, url(request, "sms-consent"), texts, hints=prompts("sms_consent_hints"))
    return response


def _send_link(
    request: web.Request, call: CallRecord, form: Mapping[str, Any], *, then: Callable[[web.Request, VoiceResponse], None]
) -> VoiceResponse:
    """Text the caller a link to the chat (on the call's topic) in the background; once per topic per call."""
    prompts, speaker = request.app[PROMPTS], request.app[SPEAKER]
    caller = str(form.get("From", ""))
    response = VoiceResponse()
    settings = request.config_dict[CONFIG].settings
    link = f"{settings.public_url}/start/{quote(call.municipality)}"
    if call.last_topic:
        link += f"/{quote(call.last_topic)}"
    body = prompts("sms_link_body", url=link + "?via=sms")
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
    request.app[SPEAKER].say(response, request.app[PROMPTS]("goodbye"))
    response.hangup()


def _ask_next(request: web.Request, response: VoiceResponse) -> None:
    prompts = request.app[PROMPTS]
    request.app[SPEAKER].ask(response, url(request, "assistant"), [prompts("assistant_next")], hints=prompts("assistant_hints"))


def _keypad(answer: Answer) -> dict[str, str]:
    buttons = [b for message in answer.messages for b in message.get("buttons", [])][:MAX_KEYPAD_CHOICES]
    return {str(digit): button["payload"] for digit, button in enumerate(buttons, start=1)}


def _titles(answer: Answer) -> dict[str, str]:
    buttons = [b for message in answer.messages for b in message.get("buttons", [])][:MAX_KEYPAD_CHOICES]
    return {str(digit): for_the_ear(button["title"]).rstrip(".") for digit, button in enumerate(buttons, start=1)}


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
        await calls.start(sid, settings.municipality_for(str(form.get("To", ""))), request.config_dict[CLOCK]())
        record = await calls.get(sid)
        assert record is not None
    return record

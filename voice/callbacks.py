"""Twilio's other webhooks: call status (idempotent), the satisfaction survey, the agent's whisper."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from aiohttp import web
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from conversation.state import CLOCK, CONVERSATIONS, METRICS
from muni.phones import is_e164
from sms.sender import SmsError, SmsSender, phone_hash
from voice.ivr import twiml_response
from voice.language import call_language, script, script_for
from voice.state import CALLS, CONFIG, SCRIPTS, SMS, TASKS

logger = logging.getLogger("muni.voice.callbacks")

# A score 1-9, optionally followed by the caller's own words (kept, redacted, as the rating's comment).
_SCORE = re.compile(r"\s*([1-9])(?:\s*[.!,:]?\s*|\s*[.!,:\-]?\s+(\S.*))", re.DOTALL)


async def status(request: web.Request) -> web.Response:
    """POST /voice/status – call progress; repeats and late arrivals change nothing.

    When a call the assistant handled (and nobody took over) ends, the caller is sent the
    satisfaction survey once.
    """
    form = await request.post()
    call_sid, call_status = str(form.get("CallSid", "")), str(form.get("CallStatus", ""))
    if not re.fullmatch(r"CA[0-9a-fA-F]{32}", call_sid) or not re.fullmatch(r"[a-z-]{1,16}", call_status):
        raise web.HTTPBadRequest()
    calls, now = request.app[CALLS], request.config_dict[CLOCK]()
    duration = str(form.get("CallDuration", ""))
    ended = await calls.update_status(call_sid, call_status, now, int(duration) if duration.isdigit() else None)
    if ended:
        request.config_dict[METRICS].call_ended(call_sid)
    caller = str(form.get("From", ""))
    if ended and call_status == "completed" and is_e164(caller):
        key = request.app[CONFIG].phone_hash_key
        if await calls.claim_survey(call_sid, phone_hash(caller, key), now):
            body = script_for(request, await _language_of_call(request, call_sid)).prompts("survey_body")
            request.app[TASKS].spawn(_survey(request.app[SMS], caller, body, f"{call_sid}:survey"))
    return web.Response(status=204)


async def sms_reply(request: web.Request) -> web.Response:
    """POST /voice/sms – a text to the IVR's number: a score 1-9 (and any words after it) answers the caller's latest survey."""
    form = await request.post()
    sender, body = str(form.get("From", "")), str(form.get("Body", ""))[:160]
    response = MessagingResponse()
    match = _SCORE.fullmatch(body)
    if not is_e164(sender):
        return _messaging(response)
    hashed = phone_hash(sender, request.app[CONFIG].phone_hash_key)
    now: datetime = request.config_dict[CLOCK]()
    # Answered in the language of the call the survey asks about (English after "For English, press 9").
    surveyed = await request.app[CALLS].open_survey(hashed, now)
    prompts = script_for(request, "da" if surveyed is None else await _language_of_call(request, surveyed)).prompts
    if match is None:
        response.message(prompts("survey_invalid"))
        return _messaging(response)
    call_sid = await request.app[CALLS].record_survey(hashed, int(match.group(1)), now, comment=match.group(2))
    if call_sid is not None:
        logger.info("Survey answer %s recorded for call %s", match.group(1), call_sid)
        response.message(prompts("survey_thanks"))
    return _messaging(response)


async def whisper(request: web.Request) -> web.Response:
    """POST /voice/whisper – read to the agent before the caller is connected: topic, municipality, language.

    For staff, so always in Danish; that the caller chose English is said too.
    """
    danish = request.app[SCRIPTS]["da"]
    prompts = danish.prompts
    topic = request.query.get("topic", "")[:64] or prompts("whisper_unknown_topic")
    municipality = request.query.get("municipality", "")[:64] or request.app[CONFIG].settings.municipality
    if call_sid := request.query.get("call", "")[:64]:
        # The person's leg asks for the whisper when they pick up: the caller's wait for a human ends now.
        await request.app[CALLS].mark_answered(call_sid, request.config_dict[CLOCK]())
    response = VoiceResponse()
    danish.speaker.say(response, prompts("whisper", topic=topic, municipality=municipality))
    if call_language(request) == "en":
        danish.speaker.say(response, prompts("whisper_english"))
    return twiml_response(response)


async def dial_done(request: web.Request) -> web.Response:
    """POST /voice/dial-done – the agent leg ended: hang up, or apologise when nobody answered."""
    form = await request.post()
    response = VoiceResponse()
    outcome = str(form.get("DialCallStatus", form.get("QueueResult", "")))
    if outcome not in ("completed", "answered", "bridged", "hangup"):
        script(request).speaker.say(response, script(request).prompts("agent_unavailable"))
    response.hangup()
    return twiml_response(response)


async def _language_of_call(request: web.Request, call_sid: str) -> str:
    """The language of the call's conversation (its assistant's answers), Danish without one."""
    record = await request.app[CALLS].get(call_sid)
    if record is None or record.conversation_id is None:
        return "da"
    conversation = await request.config_dict[CONVERSATIONS].find(record.conversation_id)
    return "da" if conversation is None else conversation.language


async def _survey(sender: SmsSender, to: str, body: str, key: str) -> None:
    try:
        await sender.send(to, body, idempotency_key=key)
    except SmsError as error:
        logger.warning("Could not send the survey (%s): %s", key, error)


def _messaging(response: MessagingResponse) -> web.Response:
    return web.Response(text=str(response), content_type="application/xml")

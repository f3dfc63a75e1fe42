"""Twilio's other webhooks: call status (idempotent), the satisfaction survey, the agent's whisper."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from aiohttp import web
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from conversation.state import CLOCK, METRICS
from muni.phones import is_e164
from sms.sender import SmsError, SmsSender, phone_hash
from voice.ivr import twiml_response
from voice.state import CALLS, CONFIG, PROMPTS, SMS, SPEAKER, TASKS

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
            body = request.app[PROMPTS]("survey_body")
            request.app[TASKS].spawn(_survey(request.app[SMS], caller, body, f"{call_sid}:survey"))
    return web.Response(status=204)


async def sms_reply(request: web.Request) -> web.Response:
    """POST /voice/sms – a text to the IVR's number: a score 1-9 (and any words after it) answers the caller's latest survey."""
    form = await request.post()
    sender, body = str(form.get("From", "")), str(form.get("Body", ""))[:160]
    prompts, response = request.app[PROMPTS], MessagingResponse()
    match = _SCORE.fullmatch(body)
    if not is_e164(sender):
        return _messaging(response)
    hashed = phone_hash(sender, request.app[CONFIG].phone_hash_key)
    if match is None:
        response.message(prompts("survey_invalid"))
        return _messaging(response)
    now: datetime = request.config_dict[CLOCK]()
    call_sid = await request.app[CALLS].record_survey(hashed, int(match.group(1)), now, comment=match.group(2))
    if call_sid is not None:
        logger.info("Survey answer %s recorded for call %s", match.group(1), call_sid)
        response.message(prompts("survey_thanks"))
    return _messaging(response)


async def whisper(request: web.Request) -> web.Response:
    """POST /voice/whisper – read to the agent before the caller is connected: topic and municipality."""
    prompts = request.app[PROMPTS]
    topic = request.query.get("topic", "")[:64] or prompts("whisper_unknown_topic")
    municipality = request.query.get("municipality", "")[:64] or request.app[CONFIG].settings.municipality
    if call_sid := request.query.get("call", "")[:64]:
        # The person's leg asks for the whisper when they pick up: the caller's wait for a human ends now.
        await request.app[CALLS].mark_answered(call_sid, request.config_dict[CLOCK]())
    response = VoiceResponse()
    request.app[SPEAKER].say(response, prompts("whisper", topic=topic, municipality=municipality))
    return twiml_response(response)


async def dial_done(request: web.Request) -> web.Response:
    """POST /voice/dial-done – the agent leg ended: hang up, or apologise when nobody answered."""
    form = await request.post()
    response = VoiceResponse()
    outcome = str(form.get("DialCallStatus", form.get("QueueResult", "")))
    if outcome not in ("completed", "answered", "bridged", "hangup"):
        request.app[SPEAKER].say(response, request.app[PROMPTS]("agent_unavailable"))
    response.hangup()
    return twiml_response(response)


async def _survey(sender: SmsSender, to: str, body: str, key: str) -> None:
    try:
        await sender.send(to, body, idempotency_key=key)
    except SmsError as error:
        logger.warning("Could not send the survey (%s): %s", key, error)


def _messaging(response: MessagingResponse) -> web.Response:
    return web.Response(text=str(response), content_type="application/xml")

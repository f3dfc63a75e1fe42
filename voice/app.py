"""The voice sub-application: Twilio's webhooks under /voice/, signed, and never left unanswered."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler
from twilio.request_validator import RequestValidator, get_signature_algorithm

from conversation.state import CLOCK, DIRECTORY, ENGINE
from sms.sender import SmsSender
from voice import callbacks, ivr
from voice.calls import CallLog
from voice.replay import ReplayGuard, ReplayMemory
from voice.settings import ENGLISH_LANGUAGE, VoiceSettings, VoiceSettingsError
from voice.state import (
    CALLS,
    CONFIG,
    OPENINGS,
    REPLAYS,
    SCRIPTS,
    SMS,
    TASKS,
    VOICE_APP,
    Background,
    VoiceConfig,
)
from voice.twiml import Speaker

logger = logging.getLogger("muni.voice")

PREFIX = "/voice/"


def mount_voice(
    gateway: web.Application, config: VoiceConfig, sms: SmsSender, replays: ReplayMemory | None = None
) -> web.Application:
    """Serve the IVR under /voice/ of the gateway (which provides the conversation core and the clock).

    `replays` keeps the answers to webhooks for repeats (this process's memory unless given).
    """
    unknown = {config.settings.municipality, *config.settings.numbers.values()} - set(gateway[DIRECTORY].municipalities)
    if unknown:
        raise VoiceSettingsError(f"MUNI_VOICE_MUNICIPALITY / MUNI_VOICE_NUMBERS name unknown municipalities: {sorted(unknown)}")
    voice_app = create_voice_app(config, sms, replays)

    async def call_log(gateway: web.Application) -> AsyncIterator[None]:
        # On the gateway's one engine, opened by the conversation core's context before this one.
        voice_app[CALLS] = CallLog(gateway[ENGINE])
        yield

    gateway.cleanup_ctx.append(call_log)
    gateway.add_subapp(PREFIX, voice_app)
    gateway[VOICE_APP] = voice_app
    return voice_app


def create_voice_app(config: VoiceConfig, sms: SmsSender, replays: ReplayMemory | None = None) -> web.Application:
    app = web.Application(middlewares=[twilio_signature, replays_answered_once, never_drop_a_call])
    app[CONFIG] = config
    app[SMS] = sms
    settings = config.settings
    # A malformed menu or a missing English prompt stops the gateway here, not a caller later.
    app[SCRIPTS] = ivr.load_scripts(
        Speaker(settings.voice, settings.language), Speaker(settings.voice_en, ENGLISH_LANGUAGE)
    )
    app[TASKS] = Background()
    app[OPENINGS] = {}
    app[REPLAYS] = ReplayGuard(replays)
    # On shutdown, before the gateway closes the conversation log and HTTP session they use.
    app.on_shutdown.append(_finish_background_work)
    router = app.router
    router.add_post("/incoming", ivr.incoming, name="incoming")
    router.add_post("/menu", ivr.menu, name="menu")
    router.add_post("/assistant", ivr.assistant, name="assistant")
    router.add_post("/sms-consent", ivr.sms_consent, name="sms-consent")
    router.add_post("/dial-done", callbacks.dial_done, name="dial-done")
    router.add_post("/whisper", callbacks.whisper, name="whisper")
    router.add_post("/status", callbacks.status, name="status")
    router.add_post("/sms", callbacks.sms_reply, name="sms")
    return app


async def _finish_background_work(app: web.Application) -> None:
    await app[TASKS].drain()


@web.middleware
async def twilio_signature(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 unless X-Twilio-Signature matches MUNI_PUBLIC_URL + path and the form; checked first, always."""
    settings = request.config_dict[CONFIG].settings
    signature = request.headers.get("X-Twilio-Signature", "")
    params = await request.post() if request.method == "POST" else {}
    url = settings.public_url + request.path_qs
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    if not signature or not RequestValidator(settings.auth_token).validate(url, params, signature, algorithm):
        logger.warning("Rejected a voice webhook with a missing or wrong signature: %s", request.path)
        raise web.HTTPForbidden()
    return await handler(request)


@web.middleware
async def replays_answered_once(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A signed request seen before, its call unmoved since, gets the first answer and changes nothing."""
    form = await request.post()
    call_sid = str(form.get("CallSid", ""))

    async def call_state() -> str:
        record = await request.app[CALLS].get(call_sid) if call_sid else None
        return repr(record)

    return await request.app[REPLAYS].answer(
        request.config_dict[CONFIG].settings.public_url + request.path_qs,
        request.headers.get("X-Twilio-Signature", ""),
        request.config_dict[CLOCK](),
        call_state,
        lambda: handler(request),
    )


@web.middleware
async def never_drop_a_call(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unexpected error still gets TwiML: a person if the centre is open, the hours if not."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("Voice webhook %s failed; the caller gets the safe way out", request.path)
        return ivr.twiml_response(ivr.safe_exit(request))


def voice_config(settings: VoiceSettings | None, phone_hash_key: bytes) -> VoiceConfig | None:
    """The IVR's configuration, or None (with a log line) when TWILIO_AUTH_TOKEN is unset."""
    if settings is None:
        logger.info("TWILIO_AUTH_TOKEN is not set: the phone IVR under /voice/ is off")
        return None
    from knowledge import ContactCentre  # the real hours; tests pass their own

    return VoiceConfig(settings=settings, centre=ContactCentre.load(), phone_hash_key=phone_hash_key)

"""Chat API handlers: validate the request, authorise it, and serialise the answer."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from conversation.log import ConversationRecord
from conversation.service import Answer, AssistantUnavailable, Conversations
from conversation.state import CLOCK, CONVERSATIONS, DIRECTORY, METRICS
from muni.languages import DEFAULT_LANGUAGE, LANGUAGES
from muni.replies import CHANNELS
from web.channels.security import require_allowed_origin
from web.errors import REQUEST_LANGUAGE, ApiError
from web.state import LIMITERS, SIGNER
from web.tokens import expired
from web.wire import json_response

MAX_TEXT_CHARS = 1000
MAX_PAYLOAD_JSON_CHARS = 200
_PAYLOAD = re.compile(r"/[a-z_]{1,64}(?P<entities>\{.*\})?", re.DOTALL)
# Payloads every conversation may send without the bot offering them: a fresh greeting, starting
# over (Rasa's own /restart), and the widget's "Tal med en medarbejder" (bot/domain/handoff.yml).
# Any other payload must be one of the buttons the bot offered in this conversation.
ALWAYS_ALLOWED_PAYLOADS = frozenset({"/greeting", "/restart", "/human_agent"})


async def create_conversation(request: web.Request) -> web.Response:
    """POST /api/v1/conversations"""
    body = await json_object(request)
    language = body.get("language", DEFAULT_LANGUAGE)
    if not isinstance(language, str) or language not in LANGUAGES:
        raise ApiError(
            400,
            "invalid_language",
            "Feltet 'language' skal være en af: " + ", ".join(sorted(LANGUAGES)) + ".",
            english="The field 'language' must be one of: " + ", ".join(sorted(LANGUAGES)) + ".",
        )
    request[REQUEST_LANGUAGE] = language  # errors from here on in the conversation's language
    client = request.remote or "unknown"
    if not await request.app[LIMITERS].conversations.acquire(client):
        request.app[METRICS].rate_limited.labels("conversations").inc()
        raise ApiError(
            429,
            "rate_limited",
            "For mange nye samtaler. Vent et øjeblik, og prøv igen.",
            english="Too many new conversations. Please wait a moment and try again.",
        )
    directory = request.app[DIRECTORY]

    municipality = body.get("municipality")
    if not isinstance(municipality, str) or not municipality:
        raise ApiError(
            400,
            "invalid_municipality",
            "Feltet 'municipality' skal være en kommunes id.",
            english="The field 'municipality' must be a municipality's id.",
        )
    if municipality not in directory.municipalities:
        raise ApiError(404, "unknown_municipality", "Kommunen findes ikke i Muni.")
    require_allowed_origin(request, municipality)
    channel = body.get("channel")
    if not isinstance(channel, str) or channel not in CHANNELS:
        channels = ", ".join(sorted(CHANNELS))
        raise ApiError(
            400,
            "invalid_channel",
            f"Feltet 'channel' skal være en af: {channels}.",
            english=f"The field 'channel' must be one of: {channels}.",
        )
    topic = body.get("topic")
    if topic is not None and (not isinstance(topic, str) or topic not in directory.topics):
        raise ApiError(400, "unknown_topic", "Emnet i feltet 'topic' findes ikke.")

    try:
        conversation_id, answer = await request.app[CONVERSATIONS].start(municipality, channel, topic, language)
        messages = answer.messages
    except AssistantUnavailable as error:
        # The conversation exists (recorded) even though the bot could not open it: its token
        # works once the bot is back, and the opening tells the citizen how to reach a person.
        conversation_id, messages = error.conversation_id, error.messages
    return json_response(
        {
            "conversation_id": conversation_id,
            "token": request.app[SIGNER].issue(conversation_id),
            "messages": messages,
        },
        status=201,
    )


async def post_message(request: web.Request) -> web.Response:
    """POST /api/v1/conversations/{id}/messages"""
    conversation = await authorised_conversation(request)
    if not await request.app[LIMITERS].messages.acquire(conversation.id):
        request.app[METRICS].rate_limited.labels("messages").inc()
        raise ApiError(
            429,
            "rate_limited",
            "Du har skrevet mange beskeder på kort tid. Vent lidt, og prøv igen.",
            english="You have written many messages in a short time. Please wait a little and try again.",
        )

    conversations = request.app[CONVERSATIONS]
    body = await json_object(request)
    message = citizen_message(body)
    if "payload" in body and not await _offered(conversations, conversation, message):
        raise ApiError(
            400,
            "payload_not_offered",
            "Den knap hører ikke til samtalen. Vælg en af de knapper, du har fået, eller skriv dit spørgsmål.",
        )
    try:
        answer = await conversations.reply(conversation, message)
    except AssistantUnavailable as error:
        raise unavailable(error) from None
    return json_response(_answer_body(answer))


def unavailable(error: AssistantUnavailable) -> ApiError:
    """503 with the contact centre's phone and hours: what the citizen wrote is kept, they can try again."""
    return ApiError(503, "assistant_unavailable", error.text)


async def _offered(conversations: Conversations, conversation: ConversationRecord, payload: str) -> bool:
    return payload in ALWAYS_ALLOWED_PAYLOADS or await conversations.was_offered(conversation, payload)


async def authorised_conversation(request: web.Request) -> ConversationRecord:
    """The conversation of the path, if the bearer token opens it: 401 (invalid or expired), 404, 403."""
    conversation_id = request.match_info["conversation_id"]
    if not request.app[SIGNER].verify(conversation_id, bearer_token(request)):
        raise ApiError(401, "invalid_token", "Adgangsnøglen passer ikke til samtalen.")
    conversation = await request.app[CONVERSATIONS].find(conversation_id)
    if conversation is None:
        raise ApiError(404, "unknown_conversation", "Samtalen findes ikke.")
    request[REQUEST_LANGUAGE] = conversation.language  # errors from here on in the conversation's language
    if expired(conversation.last_active_at, request.app[CLOCK]()):
        raise ApiError(
            401,
            "token_expired",
            "Adgangsnøglen er udløbet, fordi der ikke er skrevet i samtalen i 24 timer. Start en ny samtale.",
            english="This conversation's key has expired: nothing was written in it for 24 hours. Start a new one.",
        )
    require_allowed_origin(request, conversation.municipality)
    return conversation


def citizen_message(body: dict[str, Any]) -> str:
    """The text or button payload to send on, or ApiError(400) saying what is wrong."""
    has_text, has_payload = "text" in body, "payload" in body
    if has_text and has_payload:
        raise ApiError(400, "text_and_payload", "Send enten 'text' eller 'payload', ikke begge.")
    if has_payload:
        return _payload(body["payload"])
    if not has_text:
        raise ApiError(400, "missing_text", "Beskeden mangler feltet 'text' (eller 'payload').")
    text = body["text"]
    if not isinstance(text, str):
        raise ApiError(400, "invalid_text", "Feltet 'text' skal være en tekst.")
    # Rasa reads a message starting with "/" as an intent command: typed text must never act as
    # a button (which could skip the NLU or set entities), so the leading slashes go.
    text = text.strip().lstrip("/").strip()
    if not text:
        raise ApiError(400, "empty_text", "Beskeden er tom. Skriv dit spørgsmål.")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(
            400,
            "text_too_long",
            f"Beskeden er for lang (højst {MAX_TEXT_CHARS} tegn). Prøv at skrive kortere.",
            english=f"The message is too long (at most {MAX_TEXT_CHARS} characters). Please write it shorter.",
        )
    return text


def _payload(payload: Any) -> str:
    invalid = ApiError(
        400,
        "invalid_payload",
        "Feltet 'payload' skal være '/intent' eventuelt efterfulgt af et JSON-objekt (højst "
        f"{MAX_PAYLOAD_JSON_CHARS} tegn).",
        english="The field 'payload' must be '/intent', optionally followed by a JSON object (at most "
        f"{MAX_PAYLOAD_JSON_CHARS} characters).",
    )
    if not isinstance(payload, str):
        raise invalid
    match = _PAYLOAD.fullmatch(payload)
    if match is None:
        raise invalid
    entities = match.group("entities")
    if entities is not None:
        if len(entities) > MAX_PAYLOAD_JSON_CHARS:
            raise invalid
        try:
            parsed = json.loads(entities)
        except ValueError:
            raise invalid from None
        if not isinstance(parsed, dict):
            raise invalid
    return payload


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing_token", "Adgangsnøgle mangler (Authorization: Bearer <token>).")
    return token.strip()


async def json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()  # raises 413 past client_max_size
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "invalid_json", "Forespørgslen er ikke gyldig JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "Forespørgslen skal være et JSON-objekt.")
    return body


def _answer_body(answer: Answer) -> dict[str, Any]:
    return {
        "messages": answer.messages,
        "topic": answer.topic,
        "source": answer.source,
        "handoff": answer.handoff,
    }

"""The IVR in crisis mode (issue 15): the crisis message before the menu, its keys, and the way to its hotline.

Everything here comes from the gateway's own state (the conversation service's crisis board and the
akutguide's published values), never from Rasa, so the announcement plays however busy the assistant
is. Text is spoken as text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from twilio.twiml.voice_response import VoiceResponse

from conversation.service import Conversations
from conversation.state import CONVERSATIONS
from crisis.model import Crisis
from muni.phones import normalise
from voice.prompts import Prompts
from voice.speech import for_the_ear
from voice.state import Script
from voice.twiml import Aside


@dataclass(frozen=True)
class Announcement:
    """A municipality's active crisis as the phone plays it, and the number (E.164) its hotline key dials, if any."""

    crisis: Crisis
    hotline: str | None


async def active_announcement(request: web.Request, municipality: str) -> Announcement | None:
    """The municipality's crisis while one is on; None otherwise."""
    conversations = request.config_dict[CONVERSATIONS]
    crisis = await conversations.crisis(municipality)
    if crisis is None:
        return None
    return Announcement(crisis, await _hotline(conversations, crisis))


async def _hotline(conversations: Conversations, crisis: Crisis) -> str | None:
    """The number the hotline key dials: the crisis's own, else the municipality's standing crisis hotline.

    The standing one is the akutguide's `crisis_hotline`, published in the console (or the tenant
    file's), read through the same source as the gateway's crisis answer in the chat.
    """
    if crisis.phone is not None and (own := normalise(crisis.phone)) is not None:
        return own
    standing = (await conversations.crisis_local(crisis.municipality)).hotline
    return None if standing is None else normalise(standing)


def announcement_texts(current: Script, other: Script, crisis: Crisis) -> list[str | Aside]:
    """The crisis message for the ear.

    A Danish call: Danish, then the English message in the English voice when there is one. An
    English call: the English message, or (without one) a word that it is Danish, then the Danish.
    """
    danish = current if current.language == "da" else other
    english = other if current.language == "da" else current
    in_danish = danish.prompts("crisis_message", title=for_the_ear(crisis.title), message=for_the_ear(crisis.message_da))
    if current.language == "da":
        if not crisis.message_en:
            return [in_danish]
        in_english = danish.prompts("crisis_message_en", message=for_the_ear(crisis.message_en, "en"))
        return [in_danish, Aside(in_english, english.speaker)]
    if crisis.message_en:
        return [english.prompts("crisis_message", message=for_the_ear(crisis.message_en, "en"))]
    return [english.prompts("crisis_in_danish"), Aside(in_danish, danish.speaker)]


def announcement_keys(prompts: Prompts, announcement: Announcement) -> list[str]:
    """The menu's crisis keys: hear it again, and the hotline only where there is a number to dial."""
    keys = [prompts("crisis_repeat")]
    if announcement.hotline is not None:
        keys.append(prompts("crisis_hotline"))
    return keys


def put_through(current: Script, number: str) -> VoiceResponse:
    """The caller put through to the crisis hotline."""
    response = VoiceResponse()
    current.speaker.say(response, current.prompts("transfer"))
    response.dial(number)
    return response

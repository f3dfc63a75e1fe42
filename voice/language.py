"""The call's language: Danish, or English from the moment the caller presses 9 (and Danish again on 9).

Twilio posts each webhook to the address the previous answer named, signed with that address:
an English call's addresses carry ?lang=en (the signature covers it), so every prompt after the
choice is English, on any replica, without a lookup. The call's conversation keeps the language
too (conversations.language), for the assistant's answers and the survey after the call.
"""

from __future__ import annotations

from aiohttp import web

from muni.languages import Language, answer_language
from voice.state import SCRIPTS, Script

LANGUAGE_PARAMETER = "lang"
_CHOSEN = web.RequestKey("muni_voice_language", str)  # the caller's choice in this request, before any address carries it


def call_language(request: web.Request) -> Language:
    chosen = request.get(_CHOSEN)
    if chosen is not None:
        return answer_language(chosen)
    return answer_language(request.query.get(LANGUAGE_PARAMETER))


def choose_language(request: web.Request, language: Language) -> None:
    """From now on in this request, and in every address it gives Twilio, the call is in `language`."""
    request[_CHOSEN] = language


def language_query(request: web.Request) -> dict[str, str]:
    """What an address of this call carries for its language (nothing for Danish, the default)."""
    language = call_language(request)
    return {} if language == "da" else {LANGUAGE_PARAMETER: language}


def script(request: web.Request) -> Script:
    """The prompts, menus and voice of the call's language."""
    return request.app[SCRIPTS][call_language(request)]


def script_for(request: web.Request, language: str) -> Script:
    return request.app[SCRIPTS][answer_language(language)]

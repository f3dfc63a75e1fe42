"""The assistant as the phone sees it: the chat API's conversation service, bounded in time.

Opening a conversation asks Rasa for its greeting, which a caller never hears: it is
started in the background when the caller picks the assistant, and the first question
waits for it within the same time limit as the answer.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from conversation.service import Answer, AssistantUnavailable, Conversations
from conversation.state import CONVERSATIONS
from muni.languages import Language
from voice.calls import CallLog, CallRecord
from voice.language import call_language
from voice.state import CALLS, CONFIG, OPENINGS, TASKS

logger = logging.getLogger("muni.voice.assistant")

# How long the menu waits to see whether the assistant is down at once (refused, failing).
QUICK_CHECK_S = 0.25


async def open_conversation(
    conversations: Conversations, calls: CallLog, call: CallRecord, language: Language = "da"
) -> str | None:
    """Start the call's conversation (channel voice) in the call's language; None when the assistant could not answer."""
    try:
        conversation_id, opening = await conversations.start(call.municipality, "voice", None, language)
    except AssistantUnavailable as error:
        await calls.set_conversation(call.call_sid, error.conversation_id)
        return None
    await calls.set_conversation(call.call_sid, conversation_id)
    return None if opening.source == "fallback" else conversation_id


def begin(request: web.Request, call: CallRecord) -> asyncio.Task[str | None]:
    """The call's conversation being opened (started now unless it already is)."""
    openings = request.app[OPENINGS]
    if (pending := openings.get(call.call_sid)) is not None:
        return pending
    work = open_conversation(request.config_dict[CONVERSATIONS], request.app[CALLS], call, call_language(request))
    task = request.app[TASKS].spawn(work)
    openings[call.call_sid] = task
    task.add_done_callback(lambda _: openings.pop(call.call_sid, None))
    return task


async def down_at_once(request: web.Request, call: CallRecord) -> bool:
    """Open the conversation; True if it failed within a moment (refused, a fallback, an error)."""
    task = begin(request, call)
    done, _ = await asyncio.wait({task}, timeout=QUICK_CHECK_S)
    return task in done and task.result() is None  # an exception is re-raised for the safe exit


async def ask(request: web.Request, call: CallRecord, message: str) -> Answer | None:
    """The assistant's answer, or None when it is down or misses the time limit."""
    conversations = request.config_dict[CONVERSATIONS]
    limit = request.config_dict[CONFIG].settings.assistant_timeout_s
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    try:
        conversation_id = call.conversation_id
        if conversation_id is None and call.call_sid not in request.app[OPENINGS]:
            # The opening may have finished since this webhook read the record.
            fresh = await request.app[CALLS].get(call.call_sid)
            conversation_id = None if fresh is None else fresh.conversation_id
        if conversation_id is None:
            # Shielded: a caller who gives up on the greeting still gets the conversation next turn.
            conversation_id = await asyncio.wait_for(asyncio.shield(begin(request, call)), limit)
            if conversation_id is None:
                return None
        conversation = await conversations.find(conversation_id)
        if conversation is None:
            return None
        # The caller may have changed the call's language since the conversation opened (9 in the menu).
        conversation = await conversations.set_language(conversation, call_language(request))
        answer = await asyncio.wait_for(conversations.reply(conversation, message), max(deadline - loop.time(), 0.01))
    except AssistantUnavailable:
        return None  # logged by the conversation service
    except TimeoutError:
        logger.warning("The assistant did not answer call %s within %.1f s", call.call_sid, limit)
        return None
    return None if answer.source == "fallback" else answer

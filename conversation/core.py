"""Puts the conversation core on an application: one HTTP session, one engine, the log, the service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from conversation.directory import Directory
from conversation.log import ConversationLog
from conversation.metrics import Metrics
from conversation.rasa import RasaClient
from conversation.recovery import BookingRecovery
from conversation.schema import upgrade_database
from conversation.service import Conversations
from conversation.settings import ConversationSettings
from conversation.state import CLOCK, CONVERSATIONS, CRISES, DIRECTORY, ENGINE, HTTP, LOG, METRICS
from conversation.turns import TurnLocks
from crisis.store import CrisisBoard, CrisisStore
from muni.clock import Clock
from muni.db import open_engine
from muni.keys import rasa_token
from muni.sealed import ContactSealer
from safety.desk import SafetyDesk, default_desk


def add_conversation_core(
    app: web.Application,
    settings: ConversationSettings,
    directory: Directory,
    now: Clock,
    metrics: Metrics,
    safety: SafetyDesk | None = None,
    turns: TurnLocks | None = None,
) -> None:
    """Nothing is opened until the application starts; channels added after this may use ENGINE and LOG.

    The safety desk (the screen before the NLU) is the process's default unless one is given;
    it is loaded at start, off the event loop. `turns` serialises each conversation's turns
    (in this process unless given: conversation/turns.py).
    """
    app[DIRECTORY] = directory
    app[CLOCK] = now
    app[METRICS] = metrics

    async def resources(app: web.Application) -> AsyncIterator[None]:
        engine = open_engine(settings.database_url)
        try:
            async with aiohttp.ClientSession() as session:
                app[HTTP] = session
                app[ENGINE] = engine
                await upgrade_database(engine)  # before any store touches a table
                app[LOG] = log = ConversationLog(engine)
                app[CRISES] = crises = CrisisBoard(CrisisStore(engine), now)
                rasa = RasaClient(session, settings.rasa_url, settings.rasa_timeout_s, rasa_token(settings.secret_key))
                recovery = BookingRecovery(rasa, settings.booking_recovery_s)
                sealer = ContactSealer(settings.secret_key)
                desk = safety if safety is not None else await asyncio.to_thread(default_desk)
                app[CONVERSATIONS] = Conversations(
                    log,
                    rasa,
                    directory,
                    now,
                    sealer=sealer,
                    metrics=metrics,
                    safety=desk,
                    crises=crises,
                    turns=turns,
                    recovery=recovery,
                )
                yield
        finally:
            await engine.dispose()

    app.cleanup_ctx.append(resources)

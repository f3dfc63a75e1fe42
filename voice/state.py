"""Typed state of the voice sub-application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from aiohttp import web

from sms.sender import SmsSender
from voice.calls import CallLog
from voice.menus import Menus
from voice.prompts import Prompts
from voice.replay import ReplayGuard
from voice.settings import VoiceSettings
from voice.twiml import Speaker

logger = logging.getLogger("muni.voice")

T = TypeVar("T")


class OpenNow(Protocol):
    @property
    def open(self) -> bool: ...


class OpeningHours(Protocol):
    """The contact centre as the IVR needs it (knowledge.ContactCentre)."""

    def status(self, at: datetime) -> OpenNow: ...

    def status_text(self, at: datetime, language: str = "da") -> str: ...

    def hours_text(self, at: datetime | None = None, language: str = "da") -> str: ...


@dataclass(frozen=True)
class Script:
    """What the IVR says and hears in one language: its prompts, its menus' words, and the voice that speaks."""

    language: str  # "da" or "en" (muni.languages)
    prompts: Prompts
    menus: Menus
    speaker: Speaker


@dataclass(frozen=True)
class VoiceConfig:
    """What the gateway needs to serve /voice/: settings, the contact centre's hours, the phone-hash key."""

    settings: VoiceSettings
    centre: OpeningHours
    phone_hash_key: bytes = field(repr=False)  # the same key on every channel (muni.keys)


@dataclass
class Background:
    """Work a webhook starts but must not wait for (SMS sends); awaited when the app stops."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Wait for the tasks (and those they start) up to timeout_s; cancel what is left."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                for task in list(self.tasks):
                    task.cancel()
                await asyncio.gather(*self.tasks, return_exceptions=True)
                return
            await asyncio.wait(set(self.tasks), timeout=remaining)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error("Background voice task failed: %s", error, exc_info=error)


CONFIG = web.AppKey("voice_config", VoiceConfig)
SCRIPTS: web.AppKey[Mapping[str, Script]] = web.AppKey("voice_scripts")  # by language: "da" and "en"
TASKS = web.AppKey("voice_tasks", Background)
# Conversations being opened, by CallSid (in this process; a call's webhooks may reach another).
OPENINGS: web.AppKey[dict[str, asyncio.Task[str | None]]] = web.AppKey("voice_openings")
REPLAYS = web.AppKey("voice_replays", ReplayGuard)  # answers to recent webhooks, for repeats
# Opened in cleanup_ctx:
CALLS = web.AppKey("voice_calls", CallLog)
SMS = web.AppKey("voice_sms", SmsSender)
# On the gateway, so tests and the operator can reach the mounted sub-application.
VOICE_APP = web.AppKey("voice_app", web.Application)

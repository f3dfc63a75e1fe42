"""Typed state of the conversation core on the gateway application (every channel reads it)."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from conversation.directory import Directory
from conversation.log import ConversationLog
from conversation.metrics import Metrics
from conversation.service import Conversations
from crisis.store import CrisisBoard
from muni.clock import Clock

DIRECTORY = web.AppKey("directory", Directory)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
METRICS = web.AppKey("metrics", Metrics)  # every channel counts into it; /metrics serves its registry
# Opened in cleanup_ctx, one of each per process:
HTTP = web.AppKey("http", aiohttp.ClientSession)
ENGINE = web.AppKey("engine", AsyncEngine)  # the one database engine every store of the process shares
LOG = web.AppKey("log", ConversationLog)
CONVERSATIONS = web.AppKey("conversations", Conversations)
CRISES = web.AppKey("crises", CrisisBoard)  # the active crisis of each municipality, read through a short cache

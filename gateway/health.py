"""Liveness and readiness: is the process up, and can it answer citizens right now."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp import web

from conversation.log import ConversationLog
from conversation.rasa import rasa_urls
from conversation.state import HTTP, LOG
from gateway.state import SETTINGS
from web.wire import json_response

logger = logging.getLogger("muni.gateway.health")

READINESS_TIMEOUT_S = 2.0
OK = "ok"
# Some of several Rasa servers down: the others answer every conversation meanwhile (conversation/rasa.py).
DEGRADED = "ok, but "


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the process is alive."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: Rasa has a model, the action server answers and reaches its index, the database answers."""
    settings = request.app[SETTINGS]
    session = request.app[HTTP]
    rasa, actions, index, database = await asyncio.gather(
        _check_rasas(session, settings.rasa_url, settings.rasa_token),
        _check_actions(session, settings.actions_url),
        _check_index(session, settings.actions_url),
        _check_database(request.app[LOG]),
    )
    checks = {"rasa": rasa, "actions": actions, "index": index, "database": database}
    if rasa.startswith(DEGRADED):
        logger.warning("Rasa: %s", rasa)
    if all(result == OK or result.startswith(DEGRADED) for result in checks.values()):
        return json_response({"status": "ok", "checks": checks})
    logger.info("Not ready: %s", checks)
    return json_response({"status": "not_ready", "checks": checks}, status=503)


async def _get_json(session: aiohttp.ClientSession, url: str, params: dict[str, str]) -> tuple[int, Any]:
    timeout = aiohttp.ClientTimeout(total=READINESS_TIMEOUT_S)
    async with session.get(url, params=params, timeout=timeout) as response:
        if response.status != 200:
            return response.status, None
        try:
            return 200, await response.json(content_type=None)
        except ValueError:
            return 200, None


async def _probe(session: aiohttp.ClientSession, url: str, params: dict[str, str] | None = None) -> tuple[str, Any]:
    """OK and the JSON body (None if not JSON), or a short reason why url is not answering."""
    try:
        status, body = await _get_json(session, url, params or {})
    except TimeoutError:
        return f"no answer within {READINESS_TIMEOUT_S:g} s", None
    except aiohttp.ClientError as error:
        return f"unreachable ({type(error).__name__})", None
    if status != 200:
        return f"HTTP {status}", None
    return OK, body


async def _check_rasas(session: aiohttp.ClientSession, configured: str, token: str) -> str:
    """OK when every Rasa answers; ready but degraded while one of several is down; otherwise why not."""
    urls = rasa_urls(configured)
    results = await asyncio.gather(*(_check_rasa(session, url, token) for url in urls))
    if len(urls) == 1:
        return results[0]
    if all(result == OK for result in results):
        return OK
    down = "; ".join(f"{url} {result}" for url, result in zip(urls, results, strict=True) if result != OK)
    if any(result == OK for result in results):
        return f"{DEGRADED}{down}"
    return down


async def _check_rasa(session: aiohttp.ClientSession, rasa_url: str, token: str) -> str:
    # Rasa's HTTP API is started with --auth-token (ops/supervisor.py); its channel webhook needs none.
    result, body = await _probe(session, rasa_url + "/status", {"token": token})
    if result != OK:
        return result
    if not isinstance(body, dict) or not body.get("model_file"):
        return "no model loaded"
    return OK


async def _check_actions(session: aiohttp.ClientSession, actions_url: str) -> str:
    result, _ = await _probe(session, actions_url + "/health")
    return result


async def _check_index(session: aiohttp.ClientSession, actions_url: str) -> str:
    """The action server opens the knowledge index. An index not built yet is ready but empty:
    the guides still answer through their intents, and the website search simply finds nothing."""
    result, body = await _probe(session, actions_url + "/knowledge/health")
    if result != OK:
        return result
    if isinstance(body, dict) and body.get("status") == "empty":
        logger.info("The knowledge index is empty: %s", body.get("reason"))
    return OK


async def _check_database(log: ConversationLog) -> str:
    try:
        await asyncio.wait_for(log.ping(), READINESS_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {READINESS_TIMEOUT_S:g} s"
    except Exception as error:  # whatever the driver raises means "not ready"; detail to the log
        logger.warning("Database check failed: %s", error)
        return f"failed ({type(error).__name__})"
    return OK

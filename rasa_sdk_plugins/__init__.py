"""Muni's extensions to the rasa-sdk action server, through rasa-sdk's own plugin hook.

rasa-sdk imports a package named ``rasa_sdk_plugins`` at start and lets it
attach Sanic listeners and routes to the action server in every worker.
Muni uses that to open the knowledge index and load the embedding model in the
background as soon as the server is up (so the first citizen whose question
reaches the website search does not wait for the model), and to report the
index's health at ``GET /knowledge/health`` for the gateway's ``/readyz``; and to
follow the local values municipalities publish in the console (``actions/content.py``);
and to log each action call with the request id of the citizen's turn (``actions/logs.py``),
as JSON lines when ``MUNI_LOG_FORMAT=json``.
"""
from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger("muni.actions.knowledge")
STOP_WAIT_S = 5.0  # for a poll of the published values under way when the server stops


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(sys.modules[__name__])


@hookimpl
def attach_sanic_app_extensions(app: Any) -> None:
    from sanic import response

    from muni.logs import configure_logging, log_format

    if log_format() == "json":
        # rasa-sdk set up coloured text logging before this hook: one JSON handler replaces it.
        configure_logging("actions", replace=True)

    async def request_id(request: Any) -> None:
        from actions.logs import action_call_body, begin_action_call

        if request.method == "POST" and request.path == "/webhook":
            begin_action_call(action_call_body(request.body, request.headers.get("Content-Encoding")))

    # This worker's background tasks: ended before the process exits, so a SIGTERM leaves no task
    # pending on a closed event loop (and no database connection closed by the garbage collector).
    background: list[asyncio.Task[None]] = []
    stopping = asyncio.Event()  # the content follower stops between two polls, never inside a query

    def in_background(job: Coroutine[Any, Any, None], name: str) -> None:
        background.append(asyncio.get_running_loop().create_task(job, name=name))

    async def warm(app: Any) -> None:
        from actions.website import warm_knowledge

        in_background(warm_knowledge(), "muni-warm-knowledge")

    async def follow_content(app: Any) -> None:
        from actions.content import follow_published_values

        # Every worker and every replica polls on its own: a publish in the console reaches all.
        in_background(follow_published_values(stopping), "muni-follow-content")

    async def stop_background(app: Any) -> None:
        stopping.set()
        for task in background:
            if task.get_name() == "muni-warm-knowledge":
                task.cancel()  # the model may still be loading in its thread: nobody waits for it now
        if background:
            _, late = await asyncio.wait(background, timeout=STOP_WAIT_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
        background.clear()

    async def knowledge_health(request: Any) -> Any:
        from actions.website import knowledge_health as check

        status = await check()
        # "empty" is ready: the guides answer through their intents until `muni index` has run.
        return response.json(status, status=200 if status["status"] in ("ok", "empty") else 503)

    app.register_middleware(request_id, "request")
    app.register_listener(warm, "after_server_start")
    app.register_listener(follow_content, "after_server_start")
    app.register_listener(stop_background, "after_server_stop")
    app.add_route(knowledge_health, "/knowledge/health", methods=["GET"])

"""What gateway replicas share: in this process (`make run`), or in Redis with MUNI_REDIS_URL.

Shared through Redis: the rate limits (web/limits.py), the voice webhooks' replay memory
(voice/replay.py) and the per-conversation turn lock (conversation/turns.py). Everything else a
replica needs from another already lives in the SQL database: conversations and their offered
buttons, console sessions and login throttling, crisis state, the local-content version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from conversation.turns import LocalTurnLocks, RedisTurnLocks, TurnLocks
from muni.shared_state import Redis, connect
from voice.replay import LocalReplayMemory, RedisReplayMemory, ReplayMemory
from web.limits import LimiterFactory, RedisLimiters, local_limiters

TURN_MARGIN_S = 5.0


@dataclass(frozen=True)
class SharedState:
    limiters: LimiterFactory
    replays: ReplayMemory
    turns: TurnLocks
    client: Redis | None = None  # closed when the gateway stops


def shared_state(redis_url: str | None, prefix: str, turn_s: float) -> SharedState:
    """In this process without a Redis URL; in Redis otherwise (nothing is connected until first use).

    `turn_s` is the longest a turn may take: the Redis turn lock expires after it.
    """
    if redis_url is None:
        return SharedState(local_limiters, LocalReplayMemory(), LocalTurnLocks())
    client = connect(redis_url)
    return SharedState(
        RedisLimiters(client, prefix),
        RedisReplayMemory(client, prefix),
        RedisTurnLocks(client, prefix, ttl_s=turn_s + TURN_MARGIN_S),
        client,
    )


def close_on_stop(app: web.Application, shared: SharedState) -> None:
    """Close the Redis client (if any) when the application stops."""

    async def redis(app: web.Application) -> AsyncIterator[None]:
        yield
        if shared.client is not None:
            await shared.client.aclose()

    app.cleanup_ctx.append(redis)

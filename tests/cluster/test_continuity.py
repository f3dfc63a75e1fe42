"""`make run-cluster` keeps a conversation whole whichever replica answers each turn.

The real cluster (ops/cluster.py): two gateways, two Rasa servers on one PostgreSQL tracker store
with Rasa's Redis lock store, two action servers, the booking sandbox and HAProxy, on a database
and a Redis prefix of this test's own. Turns sent alternately to the two gateways go to the
conversation's one Rasa (both gateways list both Rasa servers in the same order); when that Rasa is
killed mid-booking, the other Rasa goes on from the shared tracker store, behind both gateways.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
from redis.exceptions import RedisError

from admin.api_keys import CRISIS_SCOPE, ApiKeyStore
from bench.chatclient import ChatClient, Turn
from conversation.log import ConversationLog
from conversation.rasa import home
from muni.db import open_engine
from muni.shared_state import connect
from ops.cluster import ClusterConfig, cluster_stack, drop_databases, haproxy_binary
from ops.supervisor import Stack
from tests.support.ports import free_port
from tests.support.postgres import admin_url
from tests.support.redis import redis_url
from tests.support.services import service_missing
from tests.support.stack import STACK_NEEDS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.cluster,
    pytest.mark.skipif(
        not all(path.exists() for path in STACK_NEEDS),
        reason="needs the Rasa environment and a trained model (make setup builds both)",
    ),
    pytest.mark.skipif(haproxy_binary() is None, reason="needs HAProxy (make test and make run-cluster install it)"),
]

EMAIL = "karen.holm@example.dk"


def _require_servers() -> None:
    """PostgreSQL and Redis must answer: skipped here without them, failed under CI=true."""

    async def check() -> None:
        admin = admin_url()
        try:
            connection = await asyncpg.connect(
                host=admin.host, port=admin.port, user=admin.username, database=admin.database, timeout=5
            )
            await connection.close()
        except (OSError, TimeoutError) as error:
            service_missing(f"no PostgreSQL at {admin.host}:{admin.port}: {error} (the cluster keeps its trackers there)")
        client = connect(redis_url(), timeout_s=2.0)
        try:
            await client.ping()
        except (RedisError, OSError) as error:
            service_missing(f"no Redis at {redis_url()}: {error} (the cluster's limits and locks live there)")
        finally:
            await client.aclose()

    asyncio.run(check())


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ClusterConfig, Stack]]:
    _require_servers()
    var = tmp_path_factory.mktemp("cluster")
    tag = uuid.uuid4().hex[:10]
    admin = admin_url()
    config = ClusterConfig(
        var_dir=var,
        port=free_port(),
        gateway_ports=(free_port(), free_port()),
        rasa_ports=(free_port(), free_port()),
        actions_ports=(free_port(), free_port()),
        booking_sandbox_port=free_port(),
        postgres_url=admin.render_as_string(hide_password=False),
        database=f"muni_cluster_test_{tag}",
        redis_url=redis_url(),
        redis_prefix=f"municlustertest{tag}",
        index_dir=var / "index",  # empty: answers come from the guides and the booking sandbox
        extra_env={"MUNI_SECRET_KEY": "cluster-tests-" + "k" * 40},
    )
    log = io.StringIO()
    stack: Stack | None = None
    try:
        started = time.monotonic()
        stack = cluster_stack(config, log)
        try:
            stack.start(timeout_s=420)
        except (RuntimeError, TimeoutError) as error:
            pytest.fail(f"the cluster did not start: {error}\n{log.getvalue()[-6000:]}")
        print(f"\ncluster ready in {time.monotonic() - started:.1f} s")  # a figure for the report (pytest -s)
        healer = threading.Thread(target=stack.supervise, name="cluster-supervisor", daemon=True)
        healer.start()  # as `make run-cluster` does: restart any part that dies
        yield config, stack
    finally:
        if stack is not None:
            stack.stop()
        asyncio.run(drop_databases(config))


@pytest.fixture
def cluster(running: tuple[ClusterConfig, Stack]) -> ClusterConfig:
    return running[0]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


def said(turn: Turn) -> str:
    return "\n".join(message["text"] for message in turn.body["messages"])


def buttons(turn: Turn) -> list[dict[str, Any]]:
    return [button for message in turn.body["messages"] for button in message.get("buttons", [])]


async def click(chat: ChatClient, conversation: tuple[str, str], payload: str) -> Turn:
    async with chat.session.post(
        f"{chat.base_url}/api/v1/conversations/{conversation[0]}/messages",
        json={"payload": payload},
        headers={"Authorization": f"Bearer {conversation[1]}"},
    ) as response:
        return Turn(response.status, await response.json(), 0.0)


async def book(chats: list[ChatClient], midway: Callable[[tuple[str, str]], None] = lambda _: None) -> list[Turn]:
    """A booking whose every turn goes to the next client in `chats` (round robin); `midway` runs after a time is chosen."""
    conversation = await chats[0].start("aarhus")
    turns = [await chats[1 % len(chats)].say(conversation, "Jeg vil gerne bestille tid til pas i næste uge om formiddagen")]
    times = [b for b in buttons(turns[-1]) if " kl. " in b["title"]]
    assert times, said(turns[-1])
    turns.append(await click(chats[2 % len(chats)], conversation, times[0]["payload"]))
    midway(conversation)
    turns.append(await chats[3 % len(chats)].say(conversation, "Karen Holm"))
    turns.append(await chats[4 % len(chats)].say(conversation, EMAIL))
    return turns


async def test_a_booking_keeps_its_context_across_both_gateways(
    cluster: ClusterConfig, session: aiohttp.ClientSession
) -> None:
    one, two = (ChatClient(session, url) for url in cluster.gateway_urls)
    turns = await book([one, two])
    for turn in turns:
        assert turn.status == 200 and (turn.topic, turn.source) == ("appointment_booking", "booking"), turn.body
    assert any(word.startswith("SB-") for word in said(turns[-1]).split()), said(turns[-1])


async def test_a_booking_goes_on_with_the_other_rasa_when_its_own_is_killed_midway(
    running: tuple[ClusterConfig, Stack], session: aiohttp.ClientSession
) -> None:
    """kill -9 of the conversation's Rasa after the time is chosen: the other Rasa asks for the name and books."""
    cluster, stack = running
    killed: dict[str, Any] = {}

    def kill_its_rasa(conversation: tuple[str, str]) -> None:
        name = f"rasa{home(conversation[0], len(cluster.rasa_ports)) + 1}"
        killed[name] = stack.processes[name]
        killed[name].kill()
        killed[name].wait(timeout=10)

    one, two = (ChatClient(session, url) for url in cluster.gateway_urls)
    turns = await book([one, two], midway=kill_its_rasa)
    for turn in turns:
        assert turn.status == 200 and (turn.topic, turn.source) == ("appointment_booking", "booking"), turn.body
    assert any(word.startswith("SB-") for word in said(turns[-1]).split()), said(turns[-1])
    ((name, process),) = killed.items()
    deadline = time.monotonic() + 180  # the supervisor restarts it; Rasa then loads its model
    while stack.processes[name] is process or not await every_rasa_answers(session, cluster):
        assert time.monotonic() < deadline, f"the supervisor restarted {name} and it is ready again"
        await asyncio.sleep(1)


async def every_rasa_answers(session: aiohttp.ClientSession, cluster: ClusterConfig) -> bool:
    """Whether a gateway sees every Rasa answer (its readyz says "ok" for Rasa, not "ok, but …")."""
    with contextlib.suppress(aiohttp.ClientError, ValueError):
        async with session.get(f"{cluster.gateway_urls[0]}/readyz") as response:
            return response.status == 200 and (await response.json())["checks"]["rasa"] == "ok"
    return False


async def test_a_booking_through_haproxy(cluster: ClusterConfig, session: aiohttp.ClientSession) -> None:
    turns = await book([ChatClient(session, cluster.url)])
    for turn in turns:
        assert turn.status == 200 and (turn.topic, turn.source) == ("appointment_booking", "booking"), turn.body
    assert any(word.startswith("SB-") for word in said(turns[-1]).split()), said(turns[-1])


def haproxy_said(stack: Stack) -> str:
    """HAProxy's own lines in the cluster's log (a server taken out of rotation, and why)."""
    log = stack.sink.stream
    text = log.getvalue() if isinstance(log, io.StringIO) else ""
    return "\n".join(line for line in text.splitlines() if "haproxy" in line.lower())[-4000:]


async def test_haproxy_spreads_the_turns_over_both_gateways(
    running: tuple[ClusterConfig, Stack], session: aiohttp.ClientSession
) -> None:
    """Each gateway counts the turns it answered in /metrics: through HAProxy, both answered some."""
    cluster, stack = running

    async def answered(url: str) -> float:
        async with session.get(f"{url}/metrics") as response:
            text = await response.text()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("muni_turn_seconds_count{") and 'channel="api"' in line
        )

    before = [await answered(url) for url in cluster.gateway_urls]
    chat = ChatClient(session, cluster.url)
    conversation = await chat.start("aarhus")
    for question in ("Hvad koster et pas?", "Hvordan melder jeg flytning?", "Hvad koster et pas?", "Tak"):
        assert (await chat.say(conversation, question)).status == 200
    after = [await answered(url) for url in cluster.gateway_urls]
    if not all(a > b for a, b in zip(after, before, strict=True)):
        pytest.fail(f"turns answered by each gateway before {before}, after {after}; HAProxy said:\n{haproxy_said(stack)}")
    async with session.get(f"{cluster.url}/metrics") as response:
        assert response.status == 403, "metrics are not served through the public entrance"


async def test_two_turns_sent_at_once_to_both_gateways_are_processed_in_order(
    cluster: ClusterConfig, session: aiohttp.ClientSession
) -> None:
    one, two = (ChatClient(session, url) for url in cluster.gateway_urls)
    conversation = await one.start("aarhus")
    first, second = await asyncio.gather(
        one.say(conversation, "Hvad koster et pas?"), two.say(conversation, "Hvordan melder jeg flytning?")
    )
    assert first.status == second.status == 200
    assert {first.topic, second.topic} == {"passport", "moving"}, "each got the answer to its own question"
    engine = open_engine(cluster.database_url)
    try:
        roles = [turn.role for turn in await ConversationLog(engine).turns(conversation[0])]
    finally:
        await engine.dispose()
    asked = [i for i, role in enumerate(roles) if role == "citizen"]
    assert len(asked) == 2 and roles[asked[0] + 1] == "bot", f"the second question waited for the first answer: {roles}"


async def test_a_crisis_switched_on_through_one_gateway_shows_through_the_other(
    cluster: ClusterConfig, session: aiohttp.ClientSession
) -> None:
    engine = open_engine(cluster.database_url)
    try:
        _, key = await ApiKeyStore(engine).issue("cluster-test", CRISIS_SCOPE, datetime.now(UTC), created_by=None)
    finally:
        await engine.dispose()
    one, two = cluster.gateway_urls
    headers = {"Authorization": f"Bearer {key}"}
    crisis = {"title": "Vandforsyning", "message": "Kog vandet før brug i hele kommunen.", "expires_in": "2h"}
    async with session.put(f"{one}/api/v1/crisis/skive", json=crisis, headers=headers) as response:
        assert response.status in (200, 201), await response.text()
    try:
        deadline = time.monotonic() + 15  # each replica reads crises through a 5 s cache
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            async with session.get(f"{two}/api/v1/crisis/skive") as response:
                body = await response.json()
            if body.get("active"):
                break
            await asyncio.sleep(0.5)
        assert body.get("active") and body.get("title") == "Vandforsyning", body
        async with session.post(f"{two}/api/v1/conversations", json={"municipality": "skive", "channel": "web"}) as response:
            opened = await response.json()
        assert response.status == 201 and "Kog vandet" in opened["messages"][0]["text"], opened
    finally:
        async with session.delete(f"{one}/api/v1/crisis/skive", headers=headers) as response:
            assert response.status in (200, 204)



async def test_a_killed_gateway_is_healed_while_haproxy_keeps_answering(
    running: tuple[ClusterConfig, Stack], session: aiohttp.ClientSession
) -> None:
    """Last: kill -9 of gateway 1; citizens through HAProxy still get answers, and the supervisor restarts it."""
    cluster, stack = running
    chat = ChatClient(session, cluster.url)
    conversation = await chat.start("aarhus")
    killed = stack.processes["gateway1"]
    killed.kill()
    killed.wait(timeout=10)
    for question in ("Hvad koster et pas?", "Hvordan melder jeg flytning?", "Tak"):
        assert (await chat.say(conversation, question)).status == 200, "HAProxy sends the turn to gateway 2"
    deadline = time.monotonic() + 120
    healed = False
    while time.monotonic() < deadline and not healed:
        await asyncio.sleep(1)
        if stack.processes["gateway1"] is not killed:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{cluster.gateway_urls[0]}/readyz") as response:
                    healed = response.status == 200
    assert healed, "the supervisor restarted gateway 1 and it is ready again"

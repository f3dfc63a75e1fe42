"""Several Rasa servers behind one gateway: each conversation keeps to its own, and moves on only
when that one refuses the connection (the message never reached it)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from conversation.rasa import RasaClient, RasaUnavailable, home, rasa_urls
from gateway.settings import GatewaySettings
from muni.env import SettingsError, http_urls
from muni.keys import rasa_token
from tests.web.support import SECRET, ClientFactory, FakeRasa

METADATA = {"municipality": "aarhus", "channel": "web"}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def senders_at(index: int, servers: int, count: int) -> list[str]:
    """Conversation ids whose own Rasa is number `index` of `servers`."""
    found: list[str] = []
    n = 0
    while len(found) < count:
        if home(f"conversation-{n}", servers) == index:
            found.append(f"conversation-{n}")
        n += 1
    return found


async def test_each_conversation_keeps_to_one_rasa_and_the_conversations_spread_over_them(
    session: aiohttp.ClientSession, fake_rasa: tuple[FakeRasa, str], second_rasa: tuple[FakeRasa, str]
) -> None:
    (first, first_url), (second, second_url) = fake_rasa, second_rasa
    client = RasaClient(session, f"{first_url},{second_url}", 2.0, rasa_token(SECRET))
    senders = [f"conversation-{n}" for n in range(60)]
    for _ in range(2):
        for sender in senders:
            await client.send(sender, "hvad koster et pas", METADATA)  # type: ignore[arg-type]
    by_first = [message["sender"] for message in first.received]
    by_second = [message["sender"] for message in second.received]
    assert not set(by_first) & set(by_second)  # never the same conversation on both
    assert sorted(by_first + by_second) == sorted(senders * 2)
    assert 15 <= len(set(by_first)) <= 45  # crc32 of the id spreads them
    assert all(home(sender, 2) == 0 for sender in by_first)


async def test_the_tracker_and_execute_calls_go_to_the_conversations_own_rasa(
    session: aiohttp.ClientSession, fake_rasa: tuple[FakeRasa, str], second_rasa: tuple[FakeRasa, str]
) -> None:
    (first, first_url), (second, second_url) = fake_rasa, second_rasa
    for fake in (first, second):
        fake.tracker_state = {"sender_id": "x", "slots": {}}
    client = RasaClient(session, f"{first_url},{second_url}", 2.0, rasa_token(SECRET))
    (sender,) = senders_at(1, 2, 1)
    await client.tracker(sender, timeout_s=1.0)
    await client.execute(sender, "action_finish_booking", timeout_s=1.0)
    assert (first.tracker_queries, first.executed) == ([], [])
    assert second.tracker_queries == ["NONE"] and [call[:2] for call in second.executed] == [(sender, "action_finish_booking")]


async def test_a_rasa_that_refuses_the_connection_passes_its_conversations_to_the_next(
    session: aiohttp.ClientSession, second_rasa: tuple[FakeRasa, str], closed_port_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    second, second_url = second_rasa
    client = RasaClient(session, f"{closed_port_url},{second_url}", 2.0)
    senders = senders_at(0, 2, 3)  # their own Rasa is the one that is down
    with caplog.at_level(logging.WARNING, logger="muni.conversation.rasa"):
        replies = [await client.send(sender, "hvad koster et pas", METADATA) for sender in senders]  # type: ignore[arg-type]
    assert all(reply.messages for reply in replies)
    assert [message["sender"] for message in second.received] == senders
    assert f"Rasa at {closed_port_url} refused the connection" in caplog.text


async def test_every_rasa_refusing_is_rasa_unavailable(session: aiohttp.ClientSession, closed_port_url: str) -> None:
    client = RasaClient(session, f"{closed_port_url},{closed_port_url}", 2.0)
    with pytest.raises(RasaUnavailable, match="ClientConnectorError"):
        await client.send("conversation-1", "hej", METADATA)  # type: ignore[arg-type]


@pytest.mark.parametrize("trouble", ["hangs", "answers 500"])
async def test_a_message_that_reached_its_rasa_is_never_sent_to_another(
    session: aiohttp.ClientSession, fake_rasa: tuple[FakeRasa, str], second_rasa: tuple[FakeRasa, str], trouble: str
) -> None:
    (first, first_url), (second, second_url) = fake_rasa, second_rasa
    if trouble == "hangs":
        first.hang = True
    else:
        first.webhook_status = 500
    client = RasaClient(session, f"{first_url},{second_url}", 0.3)
    (sender,) = senders_at(0, 2, 1)
    with pytest.raises(RasaUnavailable):
        await client.send(sender, "book en tid", METADATA)  # type: ignore[arg-type]
    assert [message["sender"] for message in first.received] == [sender]
    assert second.received == []  # it may have been processed: a second Rasa could book twice


async def test_ready_but_degraded_while_one_of_two_rasas_is_down_and_not_ready_when_both_are(
    make_client: ClientFactory, settings: GatewaySettings, fake_rasa: tuple[FakeRasa, str], closed_port_url: str
) -> None:
    live = fake_rasa[1]
    client = await make_client(settings=dataclasses.replace(settings, rasa_url=f"{live},{closed_port_url}"))
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200
    assert body["checks"]["rasa"] == f"ok, but {closed_port_url} unreachable (ClientConnectorError)"

    client = await make_client(settings=dataclasses.replace(settings, rasa_url=f"{closed_port_url},{closed_port_url}"))
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["checks"]["rasa"].count("unreachable (ClientConnectorError)") == 2


def test_muni_rasa_url_takes_several_urls_separated_by_commas() -> None:
    configured = http_urls({"MUNI_RASA_URL": " http://127.0.0.1:5005/ , http://127.0.0.1:5006"}, "MUNI_RASA_URL", "x")
    assert configured == "http://127.0.0.1:5005,http://127.0.0.1:5006"
    assert rasa_urls(configured) == ["http://127.0.0.1:5005", "http://127.0.0.1:5006"]
    for bad in ("http://127.0.0.1:5005,", "http://127.0.0.1:5005,127.0.0.1:5006"):
        with pytest.raises(SettingsError, match="MUNI_RASA_URL"):
            http_urls({"MUNI_RASA_URL": bad}, "MUNI_RASA_URL", "x")
    settings = GatewaySettings.from_env(
        {"MUNI_SECRET_KEY": SECRET, "MUNI_RASA_URL": "http://127.0.0.1:5005,http://127.0.0.1:5006"}
    )
    assert settings.rasa_url == "http://127.0.0.1:5005,http://127.0.0.1:5006"

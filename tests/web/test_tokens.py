"""Conversation tokens: bound to one conversation and one secret."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse
from hypothesis import given
from hypothesis import strategies as st

from conversation.directory import Directory
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.web.support import NOW, Client, FakeRasa, conversation_log, error_of, say, start
from web.tokens import TOKEN_IDLE_LIFETIME, TokenSigner, expired

SIGNER = TokenSigner("a-secret-key-of-at-least-32-characters")


@given(st.uuids().map(str))
def test_a_token_verifies_for_its_own_conversation(conversation_id: str) -> None:
    token = SIGNER.issue(conversation_id)
    assert SIGNER.verify(conversation_id, token)
    assert "=" not in token
    assert len(base64.urlsafe_b64decode(token + "=")) == 32


@given(st.uuids().map(str), st.uuids().map(str))
def test_a_token_does_not_open_another_conversation(mine: str, other: str) -> None:
    if mine != other:
        assert not SIGNER.verify(other, SIGNER.issue(mine))


def test_another_secret_gives_another_token() -> None:
    conversation_id = str(uuid.uuid4())
    other = TokenSigner("another-secret-key-of-32-characters!")
    assert not other.verify(conversation_id, SIGNER.issue(conversation_id))


MANGLES: list[Callable[[str], str]] = [
    lambda t: t[:-1],
    lambda t: t + "A",
    lambda t: t.swapcase(),
    lambda t: "",
    lambda t: "æ" + t,
]


@pytest.mark.parametrize("mangle", MANGLES)
def test_tampered_tokens_are_refused(mangle: Callable[[str], str]) -> None:
    conversation_id = str(uuid.uuid4())
    token = SIGNER.issue(conversation_id)
    assert not SIGNER.verify(conversation_id, mangle(token))


def test_the_secret_is_not_in_the_repr() -> None:
    assert "secret" not in repr(TokenSigner("hemmelig-nøgle-" * 3)).replace("<secret>", "")


# --- Expiry: 24 hours after the conversation's last turn, on the app's injectable clock -------------------


@dataclass
class MovableClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def clocked(
    aiohttp_client: Callable[..., Awaitable[Client]], settings: GatewaySettings, directory: Directory
) -> tuple[Client, MovableClock]:
    clock = MovableClock(NOW)
    return await aiohttp_client(create_app(settings, directory, now=clock)), clock


async def rate(client: Client, conversation: dict[str, Any], score: int = 7) -> ClientResponse:
    return await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/rating",
        json={"score": score},
        headers={"Authorization": f"Bearer {conversation['token']}"},
    )


async def test_a_token_expires_24_hours_after_the_last_turn_not_the_first(
    clocked: tuple[Client, MovableClock], rasa: FakeRasa
) -> None:
    client, clock = clocked
    conversation = await start(client)
    clock.now = NOW + timedelta(hours=20)
    assert (await say(client, conversation, text="hvad koster et pas")).status == 200
    clock.now = NOW + timedelta(hours=20 + 23, minutes=59)
    assert (await say(client, conversation, text="og et kørekort")).status == 200, "the last turn moved the limit"
    clock.now += timedelta(hours=24)
    sent = len(rasa.received)

    response = await say(client, conversation, text="er I der endnu")

    assert response.status == 401
    error = await error_of(response)
    assert error["code"] == "token_expired"
    assert "24 timer" in error["message"] and "ny samtale" in error["message"]
    assert len(rasa.received) == sent, "nothing reaches Rasa with an expired token"
    assert [turn.text for turn in await conversation_log(client).turns(conversation["conversation_id"])][-1] != (
        "er I der endnu"), "nothing is recorded either"


async def test_a_conversation_never_written_in_expires_24_hours_after_it_started(
    clocked: tuple[Client, MovableClock]
) -> None:
    client, clock = clocked
    conversation = await start(client)
    # The greeting is a turn of its own: the clock stood still while it was recorded.
    clock.now = NOW + timedelta(hours=23, minutes=59, seconds=59)
    assert (await rate(client, conversation)).status == 200
    clock.now = NOW + timedelta(hours=24)
    response = await rate(client, conversation)
    assert response.status == 401
    assert (await error_of(response))["code"] == "token_expired"
    assert (await error_of(await say(client, conversation, text="hej")))["code"] == "token_expired"


async def test_a_forged_token_is_invalid_not_expired(clocked: tuple[Client, MovableClock]) -> None:
    client, clock = clocked
    conversation = await start(client)
    clock.now = NOW + timedelta(days=3)
    response = await say(client, {**conversation, "token": SIGNER.issue(conversation["conversation_id"])}, text="hej")
    assert (response.status, (await error_of(response))["code"]) == (401, "invalid_token")


def test_expiry_is_measured_from_the_last_activity() -> None:
    assert not expired(NOW, NOW + TOKEN_IDLE_LIFETIME - timedelta(microseconds=1))
    assert expired(NOW, NOW + TOKEN_IDLE_LIFETIME)

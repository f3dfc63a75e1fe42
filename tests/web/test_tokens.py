"""Conversation tokens: bound to one conversation and one secret."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from web.tokens import TokenSigner

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

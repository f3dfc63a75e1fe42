"""Every rejection path of the chat API answers with the contract's JSON error shape."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.web.support import SECRET, Client, ClientFactory, FakeRasa, error_of, say, start
from web.tokens import TokenSigner

# --- opening a conversation ---------------------------------------------------------------


async def test_unknown_municipality_is_404(client: Client, rasa: FakeRasa) -> None:
    response = await client.post("/api/v1/conversations", json={"municipality": "gotham", "channel": "web"})
    assert response.status == 404
    assert (await error_of(response))["code"] == "unknown_municipality"
    assert rasa.received == []


@pytest.mark.parametrize("body", [{"channel": "web"}, {"municipality": 7, "channel": "web"}])
async def test_missing_or_non_text_municipality_is_400(client: Client, body: dict[str, object]) -> None:
    response = await client.post("/api/v1/conversations", json=body)
    assert response.status == 400
    assert (await error_of(response))["code"] == "invalid_municipality"


@pytest.mark.parametrize("channel", ["fax", "", None, 3, "WEB"])
async def test_bad_channel_is_400(client: Client, channel: object) -> None:
    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": channel})
    assert response.status == 400
    assert (await error_of(response))["code"] == "invalid_channel"


async def test_missing_channel_is_400(client: Client) -> None:
    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus"})
    assert response.status == 400
    assert (await error_of(response))["code"] == "invalid_channel"


@pytest.mark.parametrize("topic", ["dragons", "", 12, ["passport"]])
async def test_unknown_topic_is_400(client: Client, rasa: FakeRasa, topic: object) -> None:
    response = await client.post(
        "/api/v1/conversations", json={"municipality": "aarhus", "channel": "qr", "topic": topic}
    )
    assert response.status == 400
    assert (await error_of(response))["code"] == "unknown_topic"
    assert rasa.received == []


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"{not json", "invalid_json"), (b"", "invalid_json"), (b"\xff\xfe", "invalid_json"), (b"[1, 2]", "invalid_body")],
)
async def test_malformed_body_when_opening_is_400(client: Client, raw: bytes, code: str) -> None:
    response = await client.post("/api/v1/conversations", data=raw, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert (await error_of(response))["code"] == code


# --- authorisation --------------------------------------------------------------------------


async def test_message_without_token_is_401(client: Client, rasa: FakeRasa) -> None:
    conversation = await start(client)
    response = await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages", json={"text": "hej"}
    )
    assert response.status == 401
    assert (await error_of(response))["code"] == "missing_token"
    assert rasa.messages == ["/greeting"]


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    ", "token-without-scheme"])
async def test_malformed_authorization_is_401(client: Client, header: str) -> None:
    conversation = await start(client)
    response = await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages",
        json={"text": "hej"},
        headers={"Authorization": header},
    )
    assert response.status == 401
    assert (await error_of(response))["code"] == "missing_token"


@pytest.mark.parametrize("token", ["wrong", "æøå-not-ascii", ""])
async def test_wrong_token_is_401(client: Client, rasa: FakeRasa, token: str) -> None:
    conversation = await start(client)
    response = await say(client, {**conversation, "token": token or conversation["token"][:-1]}, text="hej")
    assert response.status == 401
    assert (await error_of(response))["code"] == "invalid_token"
    assert rasa.messages == ["/greeting"]


async def test_token_of_another_conversation_is_401(client: Client) -> None:
    mine, other = await start(client), await start(client, municipality="skive")
    response = await say(client, {**mine, "token": other["token"]}, text="hej")
    assert response.status == 401
    assert (await error_of(response))["code"] == "invalid_token"


async def test_unknown_conversation_with_valid_token_is_404(client: Client) -> None:
    ghost = str(uuid.uuid4())
    response = await say(client, {"conversation_id": ghost, "token": TokenSigner(SECRET).issue(ghost)}, text="hej")
    assert response.status == 404
    assert (await error_of(response))["code"] == "unknown_conversation"


# --- the message body -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "missing_text"),
        ({"message": "hej"}, "missing_text"),
        ({"text": "hej", "payload": "/passport"}, "text_and_payload"),
        ({"text": 42}, "invalid_text"),
        ({"text": None}, "invalid_text"),
        ({"text": ""}, "empty_text"),
        ({"text": " \n\t "}, "empty_text"),
        ({"text": " / "}, "empty_text"),
        ({"text": "a" * 1001}, "text_too_long"),
        ({"payload": "passport"}, "invalid_payload"),
        ({"payload": "/Passport"}, "invalid_payload"),
        ({"payload": "/pass port"}, "invalid_payload"),
        ({"payload": "/"}, "invalid_payload"),
        ({"payload": "/" + "a" * 65}, "invalid_payload"),
        ({"payload": "/passport{not json}"}, "invalid_payload"),
        ({"payload": '/passport["a"]'}, "invalid_payload"),
        ({"payload": '/inform{"x": "' + "y" * 200 + '"}'}, "invalid_payload"),
        ({"payload": 5}, "invalid_payload"),
        ({"payload": "/passport\nhej"}, "invalid_payload"),
    ],
)
async def test_bad_message_body_is_400(client: Client, rasa: FakeRasa, body: dict[str, object], code: str) -> None:
    conversation = await start(client)
    response = await say(client, conversation, **body)
    assert response.status == 400
    assert (await error_of(response))["code"] == code
    assert rasa.messages == ["/greeting"], "a rejected message must not reach Rasa"


@pytest.mark.parametrize("raw", [b"{oops", b'"just a string"', b"\xff"])
async def test_message_that_is_not_a_json_object_is_400(client: Client, raw: bytes) -> None:
    conversation = await start(client)
    response = await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/messages",
        data=raw,
        headers={"Authorization": f"Bearer {conversation['token']}", "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await error_of(response))["code"] in {"invalid_json", "invalid_body"}


async def test_text_of_exactly_1000_characters_is_accepted(client: Client, rasa: FakeRasa) -> None:
    conversation = await start(client)
    response = await say(client, conversation, text="å" * 1000)
    assert response.status == 200
    assert rasa.messages[-1] == "å" * 1000


async def test_body_over_16_kb_is_413_json(client: Client, rasa: FakeRasa) -> None:
    conversation = await start(client)
    response = await say(client, conversation, text="a" * 17 * 1024)
    assert response.status == 413
    assert (await error_of(response))["code"] == "body_too_large"
    assert rasa.messages == ["/greeting"]


async def test_body_over_16_kb_when_opening_is_413_json(client: Client) -> None:
    body = json.dumps({"municipality": "aarhus", "channel": "web", "pad": "x" * 17 * 1024})
    response = await client.post("/api/v1/conversations", data=body)
    assert response.status == 413
    assert (await error_of(response))["code"] == "body_too_large"


# --- rate limits ----------------------------------------------------------------------------


async def test_flood_of_messages_is_429(client: Client) -> None:
    conversation = await start(client)
    statuses = [(await say(client, conversation, text=f"spørgsmål {i}")).status for i in range(20)]
    assert statuses == [200] * 20
    response = await say(client, conversation, text="en til")
    assert response.status == 429
    assert (await error_of(response))["code"] == "rate_limited"
    other = await start(client)
    assert (await say(client, other, text="hej")).status == 200, "the limit is per conversation"


async def test_flood_of_new_conversations_from_one_address_is_429(client: Client) -> None:
    for _ in range(30):
        await start(client)
    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})
    assert response.status == 429
    assert (await error_of(response))["code"] == "rate_limited"


class DenyAll:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def acquire(self, key: str) -> bool:
        self.keys.append(key)
        return False


async def test_limiter_is_pluggable_and_keyed_by_client_address(make_client: ClientFactory) -> None:
    limiter = DenyAll()
    client = await make_client(conversation_limiter=limiter)
    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})
    assert response.status == 429
    assert limiter.keys == ["127.0.0.1"]


# --- aiohttp's own errors and the unexpected ----------------------------------------------------


async def test_unknown_path_is_404_json(client: Client) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status == 404
    assert (await error_of(response))["code"] == "not_found"


async def test_wrong_method_is_405_json_with_allow(client: Client) -> None:
    response = await client.get("/api/v1/conversations")
    assert response.status == 405
    assert (await error_of(response))["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


class BrokenLimiter:
    async def acquire(self, key: str) -> bool:
        raise RuntimeError("limiter backend exploded")


async def test_unexpected_error_is_500_json_and_logged(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(conversation_limiter=BrokenLimiter())
    response = await client.post("/api/v1/conversations", json={"municipality": "aarhus", "channel": "web"})
    assert response.status == 500
    assert (await error_of(response))["code"] == "internal_error"
    assert "exploded" not in await response.text()
    assert any(r.name == "muni.web.errors" and r.exc_info for r in caplog.records)

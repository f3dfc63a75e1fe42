"""Ratings of a conversation (1-9, with its token) and QR codes for letters."""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET

import pytest
import segno
from sqlalchemy import select

from conversation.log import MAX_COMMENT_CHARS, ratings
from conversation.state import ENGINE
from tests.web.support import SECRET, Client, conversation_log, error_of, start
from web.tokens import TokenSigner


async def rate(client: Client, conversation: dict, score: object, token: str | None = None):  # type: ignore[type-arg]
    return await client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/rating",
        json={"score": score},
        headers={"Authorization": f"Bearer {token or conversation['token']}"},
    )


async def test_a_rating_is_recorded_in_the_conversation_log_and_may_be_changed(client: Client) -> None:
    conversation = await start(client)
    response = await rate(client, conversation, 8)
    assert response.status == 200
    assert await response.json() == {"conversation_id": conversation["conversation_id"], "score": 8}
    assert await conversation_log(client).rating(conversation["conversation_id"]) == 8
    assert (await rate(client, conversation, 3)).status == 200
    assert await conversation_log(client).rating(conversation["conversation_id"]) == 3


async def test_a_rating_may_carry_a_comment_stored_redacted_and_limited(client: Client) -> None:
    conversation = await start(client)
    headers = {"Authorization": f"Bearer {conversation['token']}"}
    url = f"/api/v1/conversations/{conversation['conversation_id']}/rating"
    said = "Hurtigt svar. Ring gerne på 20 30 40 50, mit CPR er 010203-1234"
    assert (await client.post(url, json={"score": 7, "comment": said}, headers=headers)).status == 200
    async with client.app[ENGINE].connect() as connection:
        [(score, stored)] = (await connection.execute(select(ratings.c.score, ratings.c.comment))).all()
    assert score == 7 and stored.startswith("Hurtigt svar.") and "20 30 40 50" not in stored and "010203" not in stored
    for refused in ("x" * (MAX_COMMENT_CHARS + 1), 42, ["tekst"]):
        response = await client.post(url, json={"score": 2, "comment": refused}, headers=headers)
        assert response.status == 400 and (await error_of(response))["code"] == "invalid_comment"
    assert (await client.post(url, json={"score": 9, "comment": "   "}, headers=headers)).status == 200
    async with client.app[ENGINE].connect() as connection:
        assert (await connection.execute(select(ratings.c.score, ratings.c.comment))).all() == [(9, None)]


@pytest.mark.parametrize("score", [0, 10, -1, "5", 5.0, True, None, [5]])
async def test_a_rating_outside_1_to_9_is_refused(client: Client, score: object) -> None:
    conversation = await start(client)
    response = await rate(client, conversation, score)
    assert response.status == 400
    assert (await error_of(response))["code"] == "invalid_score"
    assert await conversation_log(client).rating(conversation["conversation_id"]) is None


async def test_a_rating_needs_the_conversations_token(client: Client) -> None:
    conversation = await start(client)
    other = await start(client)
    response = await rate(client, conversation, 9, token=other["token"])
    assert response.status == 401
    missing = await client.post(f"/api/v1/conversations/{conversation['conversation_id']}/rating", json={"score": 9})
    assert missing.status == 401
    ghost = str(uuid.uuid4())
    unknown = await rate(client, {"conversation_id": ghost, "token": TokenSigner(SECRET).issue(ghost)}, 9)
    assert unknown.status == 404
    assert await conversation_log(client).rating(conversation["conversation_id"]) is None


def _expected(url: str, kind: str) -> bytes:
    buffer = io.BytesIO()
    code = segno.make(url, error="m", micro=False)
    if kind == "svg":
        code.save(buffer, kind="svg", scale=10, border=4, title=f"QR-kode: {url}", xmldecl=True)
    else:
        code.save(buffer, kind="png", scale=12, border=4, dpi=300)
    return buffer.getvalue()


async def test_qr_codes_encode_the_deep_link_as_svg_and_png(client: Client) -> None:
    url = "https://muni.example/start/aarhus/appointment_booking?via=qr"
    svg = await client.get("/qr/aarhus/appointment_booking.svg")
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    body = await svg.read()
    assert ET.fromstring(body).tag == "{http://www.w3.org/2000/svg}svg"
    assert body == _expected(url, "svg")
    png = await client.get("/qr/aarhus/appointment_booking.png")
    assert png.status == 200 and png.content_type == "image/png"
    data = await png.read()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data == _expected(url, "png")


@pytest.mark.parametrize("path", ["/qr/aarhus/nope.svg", "/qr/nowhere/passport.png", "/qr/aarhus/passport.gif"])
async def test_qr_codes_only_for_known_municipalities_topics_and_formats(client: Client, path: str) -> None:
    assert (await client.get(path)).status == 404

"""Converting Rasa's REST-style reply into the API's messages and meta."""

from __future__ import annotations

from typing import Any

import pytest

from conversation.rasa import InvalidReply, MissingVariable, parse_reply
from tests.web.support import bot_text, muni_meta

LINK = {"title": "Læs mere", "url": "https://aarhus.dk/pas"}


def test_links_attach_to_the_last_text_before_their_meta_item() -> None:
    reply = parse_reply(
        [
            bot_text("Et"),
            bot_text("To"),
            muni_meta("passport", "guide", links=[LINK]),
            bot_text("Tre"),
            muni_meta("passport", "guide", links=[{"title": "Book", "url": "http://booking.local/x"}]),
        ]
    )
    assert reply.messages == [
        {"text": "Et"},
        {"text": "To", "links": [LINK]},
        {"text": "Tre", "links": [{"title": "Book", "url": "http://booking.local/x"}]},
    ]


def test_an_item_with_text_and_meta_carries_both() -> None:
    item = {
        **bot_text("Svar"),
        "custom": {"muni": {"topic": "moving", "source": "web", "handoff": False, "links": [LINK]}},
    }
    reply = parse_reply([item])
    assert reply.messages == [{"text": "Svar", "links": [LINK]}]
    assert (reply.topic, reply.source) == ("moving", "web")


def test_the_last_meta_item_decides_topic_source_and_handoff() -> None:
    reply = parse_reply([muni_meta("passport", "guide"), bot_text("x"), muni_meta(None, "handoff", True)])
    assert (reply.topic, reply.source, reply.handoff) == (None, "handoff", True)


def test_defaults_without_meta() -> None:
    reply = parse_reply([bot_text("Hej"), {"recipient_id": "x", "custom": {"other": 1}}])
    assert (reply.messages, reply.topic, reply.source, reply.handoff, reply.missing) == (
        [{"text": "Hej"}],
        None,
        "conversation",
        False,
        [],
    )


def test_only_title_and_payload_of_buttons_pass() -> None:
    reply = parse_reply([bot_text("?", buttons=[{"title": "Ja", "payload": "/affirm", "type": "postback"}])])
    assert reply.messages == [{"text": "?", "buttons": [{"title": "Ja", "payload": "/affirm"}]}]


def test_links_that_are_not_web_addresses_are_dropped() -> None:
    bad = [{"title": "klik", "url": "javascript:alert(1)"}, {"title": "data", "url": "data:text/html,x"}]
    reply = parse_reply([bot_text("Svar"), muni_meta("passport", "web", links=[*bad, LINK])])
    assert reply.messages == [{"text": "Svar", "links": [LINK]}]


def test_missing_variables_are_collected_from_every_meta_item() -> None:
    reply = parse_reply(
        [
            bot_text("a"),
            muni_meta("passport", "guide", missing=[{"variable": "pasfoto_pris", "topic": "passport"}]),
            muni_meta("moving", "guide", missing=[{"variable": "adresse"}]),
        ]
    )
    assert reply.missing == [MissingVariable("pasfoto_pris", "passport"), MissingVariable("adresse", None)]


@pytest.mark.parametrize(
    "items",
    [
        {"text": "not a list"},
        ["a string item"],
        [{"text": 5}],
        [bot_text("x", buttons="nope")],
        [bot_text("x", buttons=[{"title": "no payload"}])],
        [{"custom": {"muni": "not an object"}}],
        [muni_meta(source="made_up")],
        [muni_meta(topic=7)],
        [muni_meta(handoff="yes")],
        [muni_meta(links="x")],
        [muni_meta(links=[{"title": "no url"}])],
        [muni_meta(missing=[{"topic": "passport"}])],
    ],
)
def test_malformed_replies_are_refused(items: Any) -> None:
    with pytest.raises(InvalidReply):
        parse_reply(items)

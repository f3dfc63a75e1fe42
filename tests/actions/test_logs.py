"""The action server logs each call with the request id the gateway put in the message metadata."""

from __future__ import annotations

import json
import zlib

import pytest

from actions.logs import action_call_body, begin_action_call, request_id_of
from muni.logs import REQUEST_ID


def call(metadata: dict[str, object]) -> dict[str, object]:
    return {"next_action": "action_finish_booking",
            "tracker": {"sender_id": "c-1", "latest_message": {"text": "[EMAIL]", "metadata": metadata}}}


def test_the_id_comes_from_the_latest_messages_metadata() -> None:
    assert request_id_of(call({"municipality": "aarhus", "request_id": "req-0123456789"})) == "req-0123456789"
    assert request_id_of(call({"request_id": "bad id\n"})) is None
    assert request_id_of(call({})) is None and request_id_of(None) is None and request_id_of({"tracker": []}) is None


def test_a_deflated_call_is_read_like_a_plain_one() -> None:
    raw = json.dumps(call({"request_id": "req-0123456789"})).encode()
    assert action_call_body(zlib.compress(raw), "deflate") == action_call_body(raw, None) == json.loads(raw)
    assert action_call_body(b"not json", None) is None and action_call_body(b"x", "deflate") is None


def test_each_call_sets_the_id_for_its_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="muni.actions.calls")
    assert begin_action_call(call({"request_id": "req-0123456789"})) == "req-0123456789"
    assert REQUEST_ID.get() == "req-0123456789"
    assert "action_finish_booking" in caplog.records[-1].getMessage()
    begin_action_call(call({}))
    assert REQUEST_ID.get() is None, "a kept-alive connection's next call does not inherit the id"

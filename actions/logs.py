"""The action server's side of the request id: each action call logs with the id of the citizen's turn."""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping
from typing import Any

from muni.logs import METADATA_KEY, REQUEST_ID, valid_request_id

logger = logging.getLogger("muni.actions.calls")


def action_call_body(raw: bytes, encoding: str | None) -> Any:
    """The action call Rasa sent (deflated when Rasa compresses it, as rasa-sdk's webhook reads it); None if unreadable."""
    try:
        return json.loads(zlib.decompress(raw) if encoding == "deflate" else raw)
    except (ValueError, zlib.error):
        return None


def request_id_of(body: Any) -> str | None:
    """The gateway's request id from the metadata of the tracker's latest message (Rasa passes it on)."""
    tracker = body.get("tracker") if isinstance(body, Mapping) else None
    latest = tracker.get("latest_message") if isinstance(tracker, Mapping) else None
    metadata = latest.get("metadata") if isinstance(latest, Mapping) else None
    return valid_request_id(metadata.get(METADATA_KEY)) if isinstance(metadata, Mapping) else None


def begin_action_call(body: Any) -> str | None:
    """Set the turn's request id for this call's log lines (None when the gateway sent none), and log the call."""
    request_id = request_id_of(body)
    # Always set: a kept-alive connection serves the next call in the same context.
    REQUEST_ID.set(request_id)
    if isinstance(body, Mapping):
        tracker = body.get("tracker")
        sender = tracker.get("sender_id") if isinstance(tracker, Mapping) else None
        logger.info("Running %s for conversation %s", body.get("next_action"), sender)
    return request_id

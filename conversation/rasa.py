"""Client for the Rasa servers' REST channel (loopback only), and the pure conversion of their reply.

A stack may run several Rasa processes beside one gateway (MUNI_RASA_URL lists them): Rasa answers one
message at a time on one event-loop thread, so a second process halves the queue a turn waits in.
Each conversation always goes to the same one (a stable hash of its id), which keeps its tracker in
memory (bot/cached_tracker_store.py). Only when that one refuses the connection (it is down, and the
message never reached it) does the turn go to the next, which rebuilds the tracker from the shared
database. A message that reached one Rasa is never sent to another: it may have been processed.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import quote

import aiohttp

from muni.logs import REQUEST_ID, REQUEST_ID_HEADER
from muni.replies import META_KEY, SOURCES, Button, Link, Message, Source

logger = logging.getLogger("muni.conversation.rasa")

WEBHOOK_PATH = "/webhooks/rest/webhook"
MAX_ERROR_SNIPPET = 200


class RasaMetadata(TypedDict, total=False):
    municipality: str
    channel: str
    # The conversation's language ("da", "en", ...; muni/languages.py): the actions answer in
    # English for "en" and in Danish otherwise. "da" where nothing set it.
    language: str
    # A phone number or e-mail address the citizen wrote, sealed (muni/sealed.py):
    # the text itself reaches Rasa redacted.
    sealed_contact: str
    # The turn's request id (muni/logs.py): the action server logs its lines for this turn with it.
    request_id: str


@dataclass(frozen=True)
class MissingVariable:
    variable: str
    topic: str | None


@dataclass(frozen=True)
class BotReply:
    """What the bot said, and what the last muni meta item said about it."""

    messages: list[Message]
    topic: str | None = None
    source: Source = "conversation"
    handoff: bool = False
    missing: list[MissingVariable] = field(default_factory=list)


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) failed to give a usable reply."""


class InvalidReply(RasaUnavailable):
    """Rasa answered, but not with the list of bot messages the channel promises."""


def home(sender: str, servers: int) -> int:
    """Which of `servers` Rasa servers a conversation goes to while it is up: the same in every gateway."""
    return zlib.crc32(sender.encode("utf-8")) % servers


def rasa_urls(configured: str) -> list[str]:
    """The Rasa servers of MUNI_RASA_URL: one URL, or several separated by commas."""
    urls = [url.strip().rstrip("/") for url in configured.split(",") if url.strip()]
    if not urls:
        raise ValueError("no Rasa URL configured")
    return urls


class RasaClient:
    """Sends one citizen message to the conversation's Rasa server and returns the bot's reply."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout_s: float, token: str | None = None) -> None:
        self._session = session
        self._bases = rasa_urls(base_url)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._token = token  # Rasa's HTTP API (tracker, execute) wants it; the REST channel does not

    def servers(self, sender: str) -> list[str]:
        """The Rasa servers in the order a conversation tries them: its own (a stable hash of its id) first."""
        first = home(sender, len(self._bases))
        return self._bases[first:] + self._bases[:first]

    async def tracker(self, sender: str, *, timeout_s: float, events: bool = False) -> dict[str, Any]:
        """The conversation's tracker state (slots, active loop), with the events since its last restart if asked."""
        path = f"/conversations/{quote(sender, safe='')}/tracker"
        return await self._api("GET", sender, path, None, timeout_s, events="AFTER_RESTART" if events else "NONE")

    async def execute(self, sender: str, action: str, *, timeout_s: float) -> BotReply:
        """Run one action on the conversation, as if the bot had predicted it, and return what it said."""
        path = f"/conversations/{quote(sender, safe='')}/execute"
        body = await self._api("POST", sender, path, {"name": action}, timeout_s)
        return parse_reply(body.get("messages"))

    async def _request(
        self, method: str, sender: str, path: str, timeout: aiohttp.ClientTimeout, **kwargs: Any
    ) -> tuple[str, int, bytes]:
        """The URL that answered, its status and body. Another server is tried only when one refuses the
        connection: the request never reached it. Raises what aiohttp raises for the last one."""
        servers = self.servers(sender)
        for index, base in enumerate(servers):
            url = base + path
            try:
                async with self._session.request(method, url, timeout=timeout, **kwargs) as response:
                    return url, response.status, await response.read()
            except aiohttp.ClientConnectorError:
                if index == len(servers) - 1:
                    raise
                logger.warning("Rasa at %s refused the connection; conversation %s goes to %s", base, sender, servers[index + 1])
        raise AssertionError("unreachable: the last server's error is raised")

    async def _api(
        self, method: str, sender: str, path: str, payload: dict[str, str] | None, timeout_s: float, events: str = "NONE"
    ) -> dict[str, Any]:
        params = {"include_events": events, **({"token": self._token} if self._token else {})}
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        url = self.servers(sender)[0] + path
        try:
            url, status, raw = await self._request(method, sender, path, timeout, params=params, json=payload)
        except TimeoutError:
            raise RasaUnavailable(f"no reply from {url} within {timeout_s} s") from None
        except aiohttp.ClientError as error:
            raise RasaUnavailable(f"{type(error).__name__} calling {url}: {error}") from error
        if status != 200:
            raise RasaUnavailable(f"HTTP {status} from {url}")
        try:
            body = json.loads(raw)
        except ValueError:
            raise InvalidReply(f"reply from {url} is not JSON") from None
        if not isinstance(body, dict):
            raise InvalidReply(f"reply from {url} is not an object")
        return body

    async def send(self, sender: str, message: str, metadata: RasaMetadata, *, timeout_s: float | None = None) -> BotReply:
        """Raise RasaUnavailable on connection errors, timeouts, non-200 and malformed replies.

        `timeout_s` shortens the wait (crisis mode has an answer of its own to give instead).
        """
        body = {"sender": sender, "message": message, "metadata": metadata}
        timeout = self._timeout
        if timeout_s is not None:
            timeout = aiohttp.ClientTimeout(total=min(timeout_s, self._timeout.total or timeout_s))
        headers = {REQUEST_ID_HEADER: request_id} if (request_id := REQUEST_ID.get()) else None
        url = self.servers(sender)[0] + WEBHOOK_PATH
        try:
            url, status, raw = await self._request("POST", sender, WEBHOOK_PATH, timeout, json=body, headers=headers)
        except TimeoutError:
            raise RasaUnavailable(f"no reply from {url} within {timeout.total} s") from None
        except aiohttp.ClientError as error:
            raise RasaUnavailable(f"{type(error).__name__} calling {url}: {error}") from error
        if status != 200:
            snippet = raw[:MAX_ERROR_SNIPPET].decode("utf-8", "replace")
            raise RasaUnavailable(f"HTTP {status} from {url}: {snippet!r}")
        try:
            items = json.loads(raw)
        except ValueError:
            raise InvalidReply(f"reply from {url} is not JSON") from None
        return parse_reply(items)


def last_reply(tracker: dict[str, Any]) -> BotReply:
    """What the bot said after the citizen's latest message, from the tracker's events (REST items rebuilt)."""
    events = tracker.get("events")
    if not isinstance(events, list):
        raise InvalidReply("the tracker has no events")
    items: list[dict[str, Any]] = []
    for event in reversed(events):
        if not isinstance(event, dict) or event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data")
            item = {k: v for k, v in (data if isinstance(data, dict) else {}).items() if k in ("buttons", "custom") and v}
            if isinstance(event.get("text"), str):
                item["text"] = event["text"]
            items.append(item)
    return parse_reply(list(reversed(items)))


def parse_reply(items: Any) -> BotReply:
    """Convert Rasa's REST-style list of bot messages into the API's messages and meta."""
    if not isinstance(items, list):
        raise InvalidReply(f"expected a list of bot messages, got {type(items).__name__}")
    messages: list[Message] = []
    topic: str | None = None
    source: Source = "conversation"
    handoff = False
    missing: list[MissingVariable] = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidReply(f"bot message is not an object: {type(item).__name__}")
        if "text" in item:
            messages.append(_message(item))
        custom = item.get("custom")
        if not isinstance(custom, dict) or META_KEY not in custom:
            continue
        meta = custom[META_KEY]
        if not isinstance(meta, dict):
            raise InvalidReply("custom.muni is not an object")
        topic, source, handoff = _meta(meta)
        links = _links(meta.get("links", []))
        if links and messages:
            messages[-1].setdefault("links", []).extend(links)
        elif links:
            logger.warning("Dropped %d links from a muni meta item with no text before it", len(links))
        missing.extend(_missing(meta.get("missing", [])))
    return BotReply(messages=messages, topic=topic, source=source, handoff=handoff, missing=missing)


def _message(item: dict[str, Any]) -> Message:
    text = item["text"]
    if not isinstance(text, str):
        raise InvalidReply("a bot message's text is not a string")
    message: Message = {"text": text}
    buttons = item.get("buttons")
    if buttons:
        message["buttons"] = _buttons(buttons)
    return message


def _buttons(raw: Any) -> list[Button]:
    if not isinstance(raw, list):
        raise InvalidReply("buttons is not a list")
    buttons: list[Button] = []
    for button in raw:
        if not (isinstance(button, dict) and isinstance(button.get("title"), str) and isinstance(button.get("payload"), str)):
            raise InvalidReply("a button needs a string title and payload")
        buttons.append({"title": button["title"], "payload": button["payload"]})
    return buttons


def _meta(meta: dict[str, Any]) -> tuple[str | None, Source, bool]:
    topic = meta.get("topic")
    source = meta.get("source", "conversation")
    handoff = meta.get("handoff", False)
    if topic is not None and not isinstance(topic, str):
        raise InvalidReply("muni.topic must be a string or null")
    if source not in SOURCES:
        raise InvalidReply(f"muni.source {source!r} is not one of {sorted(SOURCES)}")
    if not isinstance(handoff, bool):
        raise InvalidReply("muni.handoff must be a boolean")
    return topic, source, handoff


def _links(raw: Any) -> list[Link]:
    if not isinstance(raw, list):
        raise InvalidReply("muni.links is not a list")
    links: list[Link] = []
    for link in raw:
        if not (isinstance(link, dict) and isinstance(link.get("title"), str) and isinstance(link.get("url"), str)):
            raise InvalidReply("a link needs a string title and url")
        # Links may come from crawled pages: only web addresses reach the citizen's browser.
        if not link["url"].lower().startswith(("https://", "http://")):
            logger.warning("Dropped a link that is not http(s): %r", link["url"][:100])
            continue
        links.append({"title": link["title"], "url": link["url"]})
    return links


def _missing(raw: Any) -> list[MissingVariable]:
    if not isinstance(raw, list):
        raise InvalidReply("muni.missing is not a list")
    found: list[MissingVariable] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("variable"), str):
            raise InvalidReply("a missing entry needs a string variable")
        topic = entry.get("topic")
        found.append(MissingVariable(variable=entry["variable"], topic=topic if isinstance(topic, str) else None))
    return found

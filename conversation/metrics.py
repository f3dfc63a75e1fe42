"""The gateway's Prometheus metrics, in one place, on a registry the application is given.

Every channel counts into the same `Metrics` (web: rate limits; voice: active calls; the
conversation core: turns, conversations, hand-overs, fallbacks, Rasa errors). A registry per
application, never prometheus-client's global one, keeps tests independent of each other.
"""

from __future__ import annotations

from collections import OrderedDict

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Chat turns take tens of milliseconds when the bot answers from a guide, seconds when it books
# or searches a website, and MUNI_RASA_TIMEOUT_S (8 s) when Rasa is down.
TURN_BUCKETS_S = (0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
MAX_TRACKED_CALLS = 10_000  # a call whose end never arrives (lost callback) is forgotten eventually


class Metrics:
    """The counters; `source` is the answer's source, or "unavailable" when the bot could not answer."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.turn_seconds = Histogram(
            "muni_turn_seconds",
            "Time to answer a citizen's turn, by channel and answer source",
            ["channel", "source"],
            buckets=TURN_BUCKETS_S,
            registry=registry,
        )
        self.conversations = Counter(
            "muni_conversations_started", "Conversations started, by channel", ["channel"], registry=registry
        )
        self.handoffs = Counter(
            "muni_handoffs", "Answers that offered the citizen a person, by channel", ["channel"], registry=registry
        )
        self.fallbacks = Counter(
            "muni_fallbacks",
            "Answers the bot could not give: reason bot (it did not understand) or unavailable (Rasa or actions down)",
            ["channel", "reason"],
            registry=registry,
        )
        self.rasa_errors = Counter(
            "muni_rasa_errors", "Calls to Rasa that failed, timed out or gave an unusable reply", registry=registry
        )
        self.rate_limited = Counter(
            "muni_rate_limited_requests", "Requests refused with 429, by limit", ["limit"], registry=registry
        )
        self.crisis_answers = Counter(
            "muni_crisis_answers",
            "Answers from crisis mode's own state: kind akutguide (a crisis question) or degraded (Rasa was unavailable)",
            ["channel", "kind"],
            registry=registry,
        )
        self.active_calls = Gauge("muni_voice_calls_active", "Phone calls in progress", registry=registry)
        self._calls: OrderedDict[str, None] = OrderedDict()
        self.active_calls.set_function(lambda: len(self._calls))

    def turn(self, channel: str, source: str, handoff: bool, seconds: float) -> None:
        """One answered turn (or opening) of a conversation."""
        self.turn_seconds.labels(channel, source).observe(seconds)
        if handoff:
            self.handoffs.labels(channel).inc()
        if source == "fallback":
            self.fallbacks.labels(channel, "bot").inc()

    def unavailable(self, channel: str, seconds: float) -> None:
        """A turn the bot could not answer: the citizen got the contact centre instead."""
        self.rasa_errors.inc()
        self.fallbacks.labels(channel, "unavailable").inc()
        self.turn_seconds.labels(channel, "unavailable").observe(seconds)

    def call_started(self, call_sid: str) -> None:
        self._calls[call_sid] = None
        while len(self._calls) > MAX_TRACKED_CALLS:
            self._calls.popitem(last=False)

    def call_ended(self, call_sid: str) -> None:
        self._calls.pop(call_sid, None)

"""GET /metrics: Prometheus text with the gateway's counts, for loopback clients or with the metrics token."""

from __future__ import annotations

import dataclasses

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.settings import GatewaySettings, SettingsError
from tests.web.support import SECRET, Client, ClientFactory, FakeRasa, bot_text, muni_meta, say, start

METRICS_TOKEN = "metrics-" + "t" * 40


class Refuses:
    async def acquire(self, key: str) -> bool:
        return False


async def scrape(client: Client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"].startswith("text/plain; version=")  # 0.0.4, or 1.0.0 from prometheus-client 0.26
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_the_counts_after_a_few_turns(client: Client, rasa: FakeRasa) -> None:
    first = await start(client)
    await start(client, channel="qr")
    assert (await say(client, first, text="hvad koster et pas")).status == 200  # a guide answer
    rasa.reply = lambda _: [bot_text("Det forstod jeg ikke."), muni_meta(source="fallback", handoff=True)]
    assert (await say(client, first, text="blabla")).status == 200
    rasa.webhook_status = 500
    assert (await say(client, first, text="hallo?")).status == 503

    samples = await scrape(client)

    assert samples[("muni_conversations_started_total", (("channel", "web"),))] == 1
    assert samples[("muni_conversations_started_total", (("channel", "qr"),))] == 1
    # Two openings (greetings) and two answered turns; the 503 is counted as unavailable.
    assert samples[("muni_turn_seconds_count", (("channel", "web"), ("source", "conversation")))] == 1
    assert samples[("muni_turn_seconds_count", (("channel", "web"), ("source", "guide")))] == 1
    assert samples[("muni_turn_seconds_count", (("channel", "web"), ("source", "fallback")))] == 1
    assert samples[("muni_turn_seconds_count", (("channel", "web"), ("source", "unavailable")))] == 1
    assert samples[("muni_fallbacks_total", (("channel", "web"), ("reason", "bot")))] == 1
    assert samples[("muni_fallbacks_total", (("channel", "web"), ("reason", "unavailable")))] == 1
    assert samples[("muni_handoffs_total", (("channel", "web"),))] == 1
    assert samples[("muni_rasa_errors_total", ())] == 1
    assert samples[("muni_voice_calls_active", ())] == 0


async def test_rate_limited_requests_are_counted(make_client: ClientFactory) -> None:
    client = await make_client(message_limiter=Refuses(), conversation_limiter=None)
    conversation = await start(client)
    assert (await say(client, conversation, text="hej")).status == 429
    assert (await say(client, conversation, text="hej")).status == 429
    samples = await scrape(client)
    assert samples[("muni_rate_limited_requests_total", (("limit", "messages"),))] == 2


async def test_each_gateway_has_its_own_registry(make_client: ClientFactory) -> None:
    one, other = await make_client(), await make_client()
    await start(one)
    assert (await scrape(one))[("muni_conversations_started_total", (("channel", "web"),))] == 1
    assert ("muni_conversations_started_total", (("channel", "web"),)) not in await scrape(other)


async def test_a_forwarded_request_needs_the_token(make_client: ClientFactory, settings: GatewaySettings) -> None:
    locked = await make_client()
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    response = await locked.get("/metrics", headers=forwarded)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"

    client = await make_client(settings=dataclasses.replace(settings, metrics_token=METRICS_TOKEN))
    assert (await client.get("/metrics", headers=forwarded)).status == 403
    wrong = {**forwarded, "Authorization": "Bearer " + "x" * 48}
    assert (await client.get("/metrics", headers=wrong)).status == 403
    assert await scrape(client, **forwarded, Authorization=f"Bearer {METRICS_TOKEN}")


def test_the_metrics_token_is_read_and_checked() -> None:
    base = {"MUNI_SECRET_KEY": SECRET}
    assert GatewaySettings.from_env(base).metrics_token is None
    assert GatewaySettings.from_env({**base, "MUNI_METRICS_TOKEN": METRICS_TOKEN}).metrics_token == METRICS_TOKEN
    assert METRICS_TOKEN not in repr(GatewaySettings.from_env({**base, "MUNI_METRICS_TOKEN": METRICS_TOKEN}))
    for bad in ("short", "a" * 20 + " " + "b" * 20):
        with pytest.raises(SettingsError, match="MUNI_METRICS_TOKEN"):
            GatewaySettings.from_env({**base, "MUNI_METRICS_TOKEN": bad})

"""Every webhook is signed by Twilio over MUNI_PUBLIC_URL + path; anything else gets 403 and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from conversation.directory import Directory
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.voice.support import CALL_SID, CALLER, call_record, signature, twilio_post
from tests.web.support import Client, FakeRasa

WEBHOOKS = ["/voice/incoming", "/voice/menu", "/voice/assistant", "/voice/sms-consent", "/voice/status", "/voice/sms"]


@pytest.mark.parametrize("path", WEBHOOKS)
async def test_unsigned_requests_are_refused(client: Client, path: str, rasa: FakeRasa) -> None:
    response = await client.post(path, data={"CallSid": CALL_SID, "Digits": "1", "From": CALLER})
    assert response.status == 403
    assert await call_record(client) is None
    assert rasa.received == []


async def test_a_tampered_parameter_breaks_the_signature(client: Client, rasa: FakeRasa) -> None:
    signed_for = {"CallSid": CALL_SID, "From": CALLER, "To": "+4570101010", "Digits": "2"}
    response = await twilio_post(client, "/voice/menu", {"Digits": "1"}, sign=signed_for)
    assert response.status == 403
    assert await call_record(client) is None and rasa.received == []


@pytest.mark.parametrize(
    "how",
    [{"token": "another-accounts-token"}, {"base": "https://attacker.example"}, {"base": "http://muni.example.dk"}],
    ids=["wrong token", "other host", "other scheme"],
)
async def test_signatures_for_another_token_or_url_are_refused(client: Client, how: dict[str, str]) -> None:
    response = await twilio_post(client, "/voice/incoming", **how)
    assert response.status == 403
    assert await call_record(client) is None


async def test_a_signature_for_another_path_is_refused(client: Client) -> None:
    form = {"CallSid": CALL_SID, "From": CALLER, "To": "+4570101010"}
    response = await client.post(
        "/voice/incoming?tries=1", data=form, headers={"X-Twilio-Signature": signature("/voice/incoming", form)}
    )
    assert response.status == 403
    assert await call_record(client) is None


async def test_a_signed_request_is_served(client: Client) -> None:
    assert (await twilio_post(client, "/voice/incoming")).status == 200
    assert await call_record(client) is not None


async def test_without_voice_configuration_nothing_is_served_under_voice(
    aiohttp_client: Callable[..., Awaitable[Client]], settings: GatewaySettings, directory: Directory
) -> None:
    gateway = await aiohttp_client(create_app(settings, directory))
    response = await twilio_post(gateway, "/voice/incoming")
    assert response.status == 404

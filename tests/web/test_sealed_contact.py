"""A phone number or e-mail address reaches Rasa only redacted in the text and sealed in the metadata."""

from __future__ import annotations

from pathlib import Path

from muni.sealed import METADATA_KEY, ContactSealer
from tests.web.support import SECRET, Client, FakeRasa, say, start
from tests.web.test_redaction import everything_stored


async def test_a_contact_detail_travels_sealed(client: Client, rasa: FakeRasa, database_path: Path) -> None:
    conversation = await start(client, municipality="aarhus")
    response = await say(client, conversation, text="send den til anna.hansen@example.dk")
    assert response.status == 200
    sent = rasa.received[-1]
    assert sent["message"] == "send den til [EMAIL]"
    sealed = sent["metadata"][METADATA_KEY]
    assert "anna" not in sealed and ContactSealer(SECRET).unseal(sealed) == "anna.hansen@example.dk"
    assert "anna.hansen" not in everything_stored(database_path)


async def test_a_message_without_contact_detail_has_no_sealed_field(client: Client, rasa: FakeRasa) -> None:
    conversation = await start(client, municipality="aarhus")
    await say(client, conversation, text="hvad koster et pas")
    assert METADATA_KEY not in rasa.received[-1]["metadata"]


def test_a_forged_or_foreign_token_does_not_open() -> None:
    sealer = ContactSealer(SECRET)
    assert ContactSealer("another-secret-" + "x" * 40).unseal(sealer.seal("21 34 56 78")) is None
    assert sealer.unseal("not-a-token") is None

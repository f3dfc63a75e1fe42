"""The web channels' settings from the environment: every bad value is named at start."""

from __future__ import annotations

import hashlib

import pytest

from gateway.settings import GatewaySettings, SettingsError
from web.channels.settings import (
    DEFAULT_LINK_DOMAINS,
    WebChannelSettings,
    parse_agent_keys,
)

SECRET = {"MUNI_SECRET_KEY": "s" * 40}
DIGEST = hashlib.sha256(b"a-long-random-key").hexdigest()


def test_defaults_allow_no_extra_origin_and_no_agent() -> None:
    channels = GatewaySettings.from_env(SECRET).channels
    assert channels == WebChannelSettings()
    assert channels.extra_origins == () and channels.agent_keys == ()
    assert "borger.dk" in channels.link_domains


def test_every_variable_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    keys_file = tmp_path / "agent-keys"
    keys_file.write_text(f"# the contact centre\nhotline:*:{DIGEST}\n\nskive-bs:skive+viborg:{DIGEST.upper()}\n")
    channels = GatewaySettings.from_env(
        {
            **SECRET,
            "MUNI_EMBED_EXTRA_ORIGINS": "http://127.0.0.1:8000, https://staging.aarhus.dk/",
            "MUNI_LINK_DOMAINS": "borger.dk sundhed.dk",
            "MUNI_AGENT_KEYS_FILE": str(keys_file),
            "MUNI_SMS_PER_KEY_PER_HOUR": "50",
            "MUNI_SMS_PER_RECIPIENT_PER_HOUR": "1",
        }
    ).channels
    assert channels.extra_origins == ("http://127.0.0.1:8000", "https://staging.aarhus.dk")
    assert channels.link_domains == ("borger.dk", "sundhed.dk")
    hotline, skive = channels.agent_keys
    assert (hotline.name, hotline.municipalities, hotline.sha256) == ("hotline", None, DIGEST)
    assert skive.municipalities == frozenset({"skive", "viborg"}) and skive.sha256 == DIGEST
    assert hotline.covers("aarhus") and skive.covers("viborg") and not skive.covers("aarhus")
    assert (channels.sms_per_key_per_hour, channels.sms_per_recipient_per_hour) == (50, 1)
    assert DIGEST not in repr(channels)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"MUNI_EMBED_EXTRA_ORIGINS": "127.0.0.1:8000"}, "MUNI_EMBED_EXTRA_ORIGINS"),
        ({"MUNI_EMBED_EXTRA_ORIGINS": "https://x.dk/path"}, "MUNI_EMBED_EXTRA_ORIGINS"),
        ({"MUNI_LINK_DOMAINS": "https://borger.dk"}, "MUNI_LINK_DOMAINS"),
        ({"MUNI_AGENT_KEYS": "hotline:*:not-a-hash"}, "MUNI_AGENT_KEYS"),
        ({"MUNI_AGENT_KEYS": f"hotline:{DIGEST}"}, "MUNI_AGENT_KEYS"),
        ({"MUNI_AGENT_KEYS": f"a:*:{DIGEST};a:aarhus:{DIGEST}"}, "share a name"),
        ({"MUNI_AGENT_KEYS_FILE": "/no/such/file"}, "MUNI_AGENT_KEYS_FILE"),
        ({"MUNI_SMS_PER_KEY_PER_HOUR": "0"}, "MUNI_SMS_PER_KEY_PER_HOUR"),
        ({"MUNI_SMS_PER_RECIPIENT_PER_HOUR": "many"}, "MUNI_SMS_PER_RECIPIENT_PER_HOUR"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        GatewaySettings.from_env({**SECRET, **environ})


def test_a_bad_key_entry_never_echoes_the_hash() -> None:
    with pytest.raises(ValueError) as raised:
        parse_agent_keys(f"hotline:nowhere!:{DIGEST}")
    assert DIGEST not in str(raised.value) and "hotline" in str(raised.value)


def test_default_link_domains_are_host_names() -> None:
    assert all("/" not in domain and "." in domain for domain in DEFAULT_LINK_DOMAINS)

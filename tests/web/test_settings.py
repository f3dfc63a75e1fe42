"""GatewaySettings.from_env: defaults, and an error that names the bad variable."""

from __future__ import annotations

import pytest

from gateway.settings import GatewaySettings, SettingsError
from muni.keys import KeyPurpose, derive_key
from muni.paths import ROOT
from sms.sender import SmsSettings

SECRET = "k" * 32


def test_defaults_need_only_the_secret() -> None:
    settings = GatewaySettings.from_env({"MUNI_SECRET_KEY": SECRET})
    assert settings == GatewaySettings(
        secret_key=SECRET,
        host="127.0.0.1",
        port=8080,
        rasa_url="http://127.0.0.1:5005",
        actions_url="http://127.0.0.1:5055",
        database_url=f"sqlite+aiosqlite:///{ROOT / 'var' / 'muni.db'}",
        public_url="http://127.0.0.1:8080",
        rasa_timeout_s=8.0,
        conversations_per_minute=30,
        messages_per_minute=20,
        sms=SmsSettings(
            hash_key=derive_key(SECRET, KeyPurpose.PHONE_HASH), outbox_path=ROOT / "var" / "sms_outbox.jsonl"
        ),
        voice=None,
    )


def test_var_resolves_against_the_repository_not_the_working_directory() -> None:
    settings = GatewaySettings.from_env({"MUNI_SECRET_KEY": SECRET, "MUNI_VAR_DIR": "elsewhere/var"})
    assert settings.database_url == f"sqlite+aiosqlite:///{ROOT / 'elsewhere' / 'var' / 'muni.db'}"
    assert settings.sms_settings.outbox_path == ROOT / "elsewhere" / "var" / "sms_outbox.jsonl"


def test_a_booking_that_could_outlast_the_wait_for_an_answer_stops_the_start() -> None:
    # 3 attempts of 3 s plus back-off outlast the gateway's default 8 s wait for the whole turn.
    with pytest.raises(SettingsError, match="MUNI_BOOKING_TIMEOUT_S=3 .* MUNI_RASA_TIMEOUT_S=8"):
        GatewaySettings.from_env({"MUNI_SECRET_KEY": SECRET, "MUNI_BOOKING_TIMEOUT_S": "3"})
    GatewaySettings.from_env({"MUNI_SECRET_KEY": SECRET, "MUNI_BOOKING_TIMEOUT_S": "2"})  # 6.6 s + 1 s fits


def test_every_variable_is_read() -> None:
    settings = GatewaySettings.from_env(
        {
            "MUNI_SECRET_KEY": SECRET,
            "MUNI_HOST": "0.0.0.0",
            "MUNI_PORT": "9000",
            "MUNI_RASA_URL": "http://rasa:5005/",
            "MUNI_ACTIONS_URL": "https://actions.internal",
            "MUNI_DATABASE_URL": "postgresql+asyncpg://muni:pw@db/muni",
            "MUNI_PUBLIC_URL": "https://muni.example.dk",
            "MUNI_RASA_TIMEOUT_S": "2.5",
            "MUNI_BOOKING_TIMEOUT_S": "0.2",
            "MUNI_BOOKING_RECOVERY_S": "45",
            "MUNI_CONVERSATIONS_PER_MINUTE": "500",
            "MUNI_MESSAGES_PER_MINUTE": "40",
            "MUNI_REDIS_URL": "redis://redis.internal:6379/2",
            "MUNI_REDIS_PREFIX": "muni-prod:",
            "MUNI_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1,fd00::/8",
        }
    )
    assert (settings.redis_url, settings.redis_prefix) == ("redis://redis.internal:6379/2", "muni-prod:")
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"]
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.actions_url == "https://actions.internal"
    assert settings.database_url == "postgresql+asyncpg://muni:pw@db/muni"
    assert settings.public_url == "https://muni.example.dk"
    assert settings.rasa_timeout_s == 2.5
    assert settings.booking_recovery_s == settings.conversation.booking_recovery_s == 45
    assert (settings.conversations_per_minute, settings.messages_per_minute) == (500, 40)


def test_blank_values_mean_the_default() -> None:
    settings = GatewaySettings.from_env({"MUNI_SECRET_KEY": SECRET, "MUNI_PORT": "  ", "MUNI_RASA_URL": ""})
    assert (settings.port, settings.rasa_url) == (8080, "http://127.0.0.1:5005")


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"MUNI_SECRET_KEY": ""}, "MUNI_SECRET_KEY"),
        ({"MUNI_SECRET_KEY": "   "}, "MUNI_SECRET_KEY"),
        ({"MUNI_SECRET_KEY": "k" * 31}, "MUNI_SECRET_KEY"),
        ({"MUNI_PORT": "eighty"}, "MUNI_PORT"),
        ({"MUNI_PORT": "0"}, "MUNI_PORT"),
        ({"MUNI_PORT": "70000"}, "MUNI_PORT"),
        ({"MUNI_HOST": "local host"}, "MUNI_HOST"),
        ({"MUNI_RASA_URL": "127.0.0.1:5005"}, "MUNI_RASA_URL"),
        ({"MUNI_ACTIONS_URL": "ftp://x"}, "MUNI_ACTIONS_URL"),
        ({"MUNI_PUBLIC_URL": "https://muni.dk/?a=1"}, "MUNI_PUBLIC_URL"),
        ({"MUNI_DATABASE_URL": "postgresql://u@h/db"}, "MUNI_DATABASE_URL"),
        ({"MUNI_DATABASE_URL": "sqlite:///var/muni.db"}, "MUNI_DATABASE_URL"),
        ({"MUNI_DATABASE_URL": "not a url"}, "MUNI_DATABASE_URL"),
        ({"MUNI_RASA_TIMEOUT_S": "soon"}, "MUNI_RASA_TIMEOUT_S"),
        ({"MUNI_RASA_TIMEOUT_S": "0"}, "MUNI_RASA_TIMEOUT_S"),
        ({"MUNI_RASA_TIMEOUT_S": "nan"}, "MUNI_RASA_TIMEOUT_S"),
        ({"MUNI_CONVERSATIONS_PER_MINUTE": "0"}, "MUNI_CONVERSATIONS_PER_MINUTE"),
        ({"MUNI_MESSAGES_PER_MINUTE": "1.5"}, "MUNI_MESSAGES_PER_MINUTE"),
        ({"MUNI_BOOKING_RECOVERY_S": "121"}, "MUNI_BOOKING_RECOVERY_S"),
        ({"MUNI_BOOKING_RECOVERY_S": "0"}, "MUNI_BOOKING_RECOVERY_S"),
        ({"MUNI_BOOKING_TIMEOUT_S": "0"}, "MUNI_BOOKING_TIMEOUT_S"),
        ({"MUNI_BOOKING_TIMEOUT_S": "soon"}, "MUNI_BOOKING_TIMEOUT_S"),
        ({"TWILIO_ACCOUNT_SID": "AC1"}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_AUTH_TOKEN": "t"}, "MUNI_VOICE_TRANSFER"),
        ({"MUNI_EMBED_EXTRA_ORIGINS": "not an origin"}, "MUNI_EMBED_EXTRA_ORIGINS"),
        ({"MUNI_REDIS_URL": "127.0.0.1:6379"}, "MUNI_REDIS_URL"),
        ({"MUNI_REDIS_URL": "http://127.0.0.1:6379"}, "MUNI_REDIS_URL"),
        ({"MUNI_REDIS_PREFIX": "a b"}, "MUNI_REDIS_PREFIX"),
        ({"MUNI_TRUSTED_PROXIES": "10.0.0.0/8, haproxy"}, "MUNI_TRUSTED_PROXIES"),
        ({"MUNI_TRUSTED_PROXIES": "10.0.0.0/33"}, "MUNI_TRUSTED_PROXIES"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        GatewaySettings.from_env({"MUNI_SECRET_KEY": SECRET, **environ})


def test_the_secret_is_required() -> None:
    with pytest.raises(SettingsError, match="MUNI_SECRET_KEY is required"):
        GatewaySettings.from_env({"MUNI_PORT": "8080"})


def test_secrets_are_never_echoed() -> None:
    settings = GatewaySettings.from_env({"MUNI_SECRET_KEY": "s3cr3t-" * 6})
    assert "s3cr3t" not in repr(settings)
    with pytest.raises(SettingsError) as error:
        GatewaySettings.from_env({"MUNI_SECRET_KEY": "short-s3cr3t"})
    assert "s3cr3t" not in str(error.value)
    with pytest.raises(SettingsError) as error:
        GatewaySettings.from_env({"MUNI_SECRET_KEY": SECRET, "MUNI_DATABASE_URL": "mysql://u:hunter2@db/x"})
    assert "hunter2" not in str(error.value)

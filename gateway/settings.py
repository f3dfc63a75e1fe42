"""The gateway process's configuration: one frozen value built from the environment and checked at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from admin.settings import AdminSettings
from booking.settings import BookingSettings
from conversation.recovery import DEFAULT_RECOVERY_WAIT_S
from conversation.settings import ConversationSettings
from muni import env
from muni.db import database_url_from_env
from muni.env import SettingsError
from muni.keys import KeyPurpose, derive_key, rasa_token
from muni.paths import var_dir
from muni.proxies import Network, parse_trusted_proxies
from muni.replies import DEFAULT_ANSWER_WAIT_S
from muni.shared_state import redis_url_from_env
from sms.sender import SmsSettings
from voice.settings import VoiceSettings
from web.channels.settings import WebChannelSettings
from web.settings import WebSettings

__all__ = ["GatewaySettings", "SettingsError"]


MAX_RECOVERY_S = 120.0


@dataclass(frozen=True)
class GatewaySettings:
    secret_key: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    actions_url: str = "http://127.0.0.1:5055"
    database_url: str = f"sqlite+aiosqlite:///{var_dir() / 'muni.db'}"
    public_url: str = "http://127.0.0.1:8080"
    rasa_timeout_s: float = DEFAULT_ANSWER_WAIT_S
    booking_recovery_s: float = DEFAULT_RECOVERY_WAIT_S  # a lost booking outcome is checked this long
    conversations_per_minute: int = 30  # new conversations per client IP
    messages_per_minute: int = 20  # messages per conversation
    channels: WebChannelSettings = field(default_factory=WebChannelSettings)  # embed, links, agents' keys
    sms: SmsSettings | None = None  # None: the SANDBOX outbox in var/
    voice: VoiceSettings | None = None  # None: no TWILIO_AUTH_TOKEN, /voice/ is not served
    metrics_token: str | None = field(default=None, repr=False)  # None: /metrics only for loopback clients
    redis_url: str | None = field(default=None, repr=False)  # None: limits, replays, turn locks in this process
    redis_prefix: str = "muni:"  # the keys' prefix in Redis (several deployments may share one server)
    trusted_proxies: tuple[Network, ...] = ()  # X-Forwarded-For is believed only from these (muni/proxies.py)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> GatewaySettings:
        """Read and validate every variable the gateway uses; raise SettingsError naming the bad one."""
        defaults = cls(secret_key="")
        secret = env.secret_key(environ)
        public_url = env.http_url(environ, "MUNI_PUBLIC_URL", defaults.public_url)
        rasa_timeout_s = env.seconds(environ, "MUNI_RASA_TIMEOUT_S", defaults.rasa_timeout_s)
        BookingSettings.from_env(environ).check_fits(rasa_timeout_s)
        return cls(
            secret_key=secret,
            host=env.host(environ, "MUNI_HOST", defaults.host),
            port=env.port(environ, "MUNI_PORT", defaults.port),
            rasa_url=env.http_urls(environ, "MUNI_RASA_URL", defaults.rasa_url),
            actions_url=env.http_url(environ, "MUNI_ACTIONS_URL", defaults.actions_url),
            database_url=database_url_from_env(environ),
            public_url=public_url,
            rasa_timeout_s=rasa_timeout_s,
            booking_recovery_s=env.seconds(
                environ, "MUNI_BOOKING_RECOVERY_S", defaults.booking_recovery_s, maximum=MAX_RECOVERY_S
            ),
            conversations_per_minute=env.positive_int(
                environ, "MUNI_CONVERSATIONS_PER_MINUTE", defaults.conversations_per_minute
            ),
            messages_per_minute=env.positive_int(environ, "MUNI_MESSAGES_PER_MINUTE", defaults.messages_per_minute),
            channels=WebChannelSettings.from_env(environ),
            sms=SmsSettings.from_env(derive_key(secret, KeyPurpose.PHONE_HASH), environ),
            voice=VoiceSettings.from_env(public_url, environ),
            metrics_token=_metrics_token(environ),
            redis_url=redis_url_from_env(environ),
            redis_prefix=_redis_prefix(environ, defaults.redis_prefix),
            trusted_proxies=parse_trusted_proxies(env.value(environ, "MUNI_TRUSTED_PROXIES")),
        )

    @property
    def conversation(self) -> ConversationSettings:
        return ConversationSettings(
            secret_key=self.secret_key,
            database_url=self.database_url,
            rasa_url=self.rasa_url,
            rasa_timeout_s=self.rasa_timeout_s,
            booking_recovery_s=self.booking_recovery_s,
        )

    @property
    def admin(self) -> AdminSettings:
        return AdminSettings.from_gateway(self.secret_key, self.public_url)

    @property
    def rasa_token(self) -> str:
        """The token Rasa's HTTP API (`/status`, `/model`, `/conversations/…`) requires, derived from the secret."""
        return rasa_token(self.secret_key)

    @property
    def web(self) -> WebSettings:
        return WebSettings(
            secret_key=self.secret_key,
            public_url=self.public_url,
            conversations_per_minute=self.conversations_per_minute,
            messages_per_minute=self.messages_per_minute,
            channels=self.channels,
        )

    @property
    def sms_settings(self) -> SmsSettings:
        """The SMS settings, or the SANDBOX outbox in var/ with the phone-hash key derived from the secret."""
        if self.sms is not None:
            return self.sms
        return SmsSettings(
            hash_key=derive_key(self.secret_key, KeyPurpose.PHONE_HASH), outbox_path=var_dir() / "sms_outbox.jsonl"
        )


MIN_METRICS_TOKEN_LENGTH = 32


def _metrics_token(environ: Mapping[str, str]) -> str | None:
    """MUNI_METRICS_TOKEN: lets a scraper that is not on this machine read /metrics (Bearer)."""
    token = env.value(environ, "MUNI_METRICS_TOKEN")
    if token is None:
        return None
    if len(token) < MIN_METRICS_TOKEN_LENGTH or not token.isprintable() or any(c.isspace() for c in token):
        raise SettingsError(f"MUNI_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} printable characters without spaces")
    return token


def _redis_prefix(environ: Mapping[str, str], default: str) -> str:
    """MUNI_REDIS_PREFIX: what every key Muni writes in Redis starts with."""
    prefix = env.value(environ, "MUNI_REDIS_PREFIX")
    if prefix is None:
        return default
    if len(prefix) > 64 or not prefix.isprintable() or any(c.isspace() for c in prefix):
        raise SettingsError("MUNI_REDIS_PREFIX must be at most 64 printable characters without spaces")
    return prefix

"""The action server's configuration: one frozen value, built and checked before it serves (`python -m actions`)."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from booking.settings import BookingSettings, real_api_configured
from knowledge.embeddings import EmbeddingError, EmbeddingSettings
from knowledge.index.errors import IndexSettingsError
from knowledge.index.settings import IndexSettings
from muni import env
from muni.db import database_url_from_env
from muni.env import SettingsError
from muni.replies import DEFAULT_ANSWER_WAIT_S

DEFAULT_CONTENT_POLL_S = 15.0
MAX_CONTENT_POLL_S = 50.0  # the console promises a publish reaches the assistant within 60 s


@dataclass(frozen=True)
class ActionServerSettings:
    secret_key: str = field(repr=False)  # unseals booking contacts (muni.sealed)
    booking: BookingSettings
    index: IndexSettings
    embedding: EmbeddingSettings | None  # None: no model built, so no website search
    real_booking_apis: bool = False  # False: every municipality books in the SANDBOX
    # The gateway's database, where the console publishes local values (knowledge.local_values).
    database_url: str = field(default="sqlite+aiosqlite:///var/muni.db", repr=False)
    # How often the published values' version is read; a publish reaches every replica within it.
    content_poll_s: float = DEFAULT_CONTENT_POLL_S

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ActionServerSettings:
        """Every variable the actions read; SettingsError naming the first bad one."""
        booking = BookingSettings.from_env(environ)
        # The gateway waits this long for the whole turn: a booking must fit inside it.
        booking.check_fits(env.seconds(environ, "MUNI_RASA_TIMEOUT_S", DEFAULT_ANSWER_WAIT_S))
        try:
            index = IndexSettings.from_env(environ)
        except IndexSettingsError as error:
            raise SettingsError(str(error)) from None
        return cls(
            secret_key=env.secret_key(environ),
            booking=booking,
            index=index,
            embedding=_embedding(environ),
            real_booking_apis=real_api_configured(environ),
            database_url=database_url_from_env(environ),
            content_poll_s=env.seconds(
                environ, "MUNI_CONTENT_POLL_S", DEFAULT_CONTENT_POLL_S, maximum=MAX_CONTENT_POLL_S
            ),
        )


def _embedding(environ: Mapping[str, str]) -> EmbeddingSettings | None:
    try:
        return EmbeddingSettings.from_env(environ)
    except EmbeddingError as error:
        if environ.get("MUNI_EMBEDDING_MODEL", "").strip():
            raise SettingsError(str(error)) from None
        return None  # the default model is not built: the guides still answer


@functools.cache
def action_settings() -> ActionServerSettings:
    """The process's settings; `python -m actions` builds them first, so a bad value stops the start."""
    return ActionServerSettings.from_env()

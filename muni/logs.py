"""How every process logs: text (the default) or one JSON object per line (`MUNI_LOG_FORMAT=json`).

Each line carries the request id of the turn it belongs to: the gateway takes a valid incoming
`X-Request-ID` or makes one, sends it to Rasa in the message metadata (and a header), and the action
server reads it from the tracker's latest message, so one citizen's turn can be followed across
processes. Every record is redacted (`muni.privacy.RedactingFilter`) before it is formatted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from muni.env import SettingsError
from muni.privacy import RedactingFilter

REQUEST_ID: ContextVar[str | None] = ContextVar("muni_request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
METADATA_KEY = "request_id"  # in the metadata of the message the gateway sends to Rasa
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Letters, digits and . _ - only: it is echoed in a header and written in logs, so nothing that
# could split a line, inject a header or carry personal data in a long free-form string.
_VALID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_request_id() -> str:
    return secrets.token_hex(8)


def valid_request_id(value: object) -> str | None:
    """The id when it is a usable one (8-64 of letters, digits, '.', '_', '-'), else None."""
    return value if isinstance(value, str) and _VALID.fullmatch(value) else None


def log_format(environ: Mapping[str, str] = os.environ) -> str:
    value = (environ.get("MUNI_LOG_FORMAT") or "text").strip().lower()
    if value not in FORMATS:
        raise SettingsError(f"MUNI_LOG_FORMAT must be one of {', '.join(FORMATS)}, got {value!r}")
    return value


class RequestIdFilter(logging.Filter):
    """Puts the current turn's request id (or None) on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, request_id (and the traceback)."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": self.process,
            "pid": record.process,
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def log_handler(process: str, fmt: str = "text", stream: TextIO | None = None) -> logging.Handler:
    """A handler that redacts every record and writes it as text or JSON (to stderr unless `stream`)."""
    handler: logging.Handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    # On the handler, so records from every library (aiohttp's access log included) are redacted.
    handler.addFilter(RedactingFilter())
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter(process) if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(process: str, environ: Mapping[str, str] = os.environ, *, replace: bool = False) -> str:
    """Log INFO and above from every logger through one redacting handler; return the format used.

    `replace` drops handlers a framework installed first (rasa-sdk's coloured console handler).
    """
    fmt = log_format(environ)
    root = logging.getLogger()
    if replace:
        for old in list(root.handlers):
            root.removeHandler(old)
    logging.basicConfig(level=logging.INFO, handlers=[log_handler(process, fmt)], force=replace)
    return fmt

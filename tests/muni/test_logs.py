"""JSON log lines: one object per line, the turn's request id, and never personal data."""

from __future__ import annotations

import io
import json
import logging

import pytest

from muni.env import SettingsError
from muni.logs import REQUEST_ID, configure_logging, log_format, log_handler, valid_request_id

CPR, PHONE, EMAIL = "010190-1234", "20 30 40 50", "anna.jensen@example.dk"


def lines_of(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_time_level_logger_message_process_and_request_id() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("muni.test.logs")
    logger.addHandler(handler := log_handler("gateway", "json", stream))
    logger.setLevel(logging.INFO)
    token = REQUEST_ID.set("req-0123456789")
    try:
        logger.info("Answered conversation %s", "c-1")
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    [line] = lines_of(stream)
    assert {"time", "level", "logger", "message", "process", "request_id"} <= line.keys()
    assert (line["level"], line["logger"], line["process"]) == ("INFO", "muni.test.logs", "gateway")
    assert (line["message"], line["request_id"]) == ("Answered conversation c-1", "req-0123456789")


def test_no_personal_data_reaches_a_line_not_even_in_a_traceback() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("muni.test.logs.pii")
    logger.addHandler(handler := log_handler("actions", "json", stream))
    try:
        logger.warning("citizen wrote %s and %s", CPR, PHONE)
        try:
            raise ValueError(f"bad contact {EMAIL}")
        except ValueError:
            logger.exception("failed for %s", EMAIL)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert len(lines_of(stream)) == 2, "one object per line, the traceback inside it"
    for secret in (CPR, "0101901234", PHONE, "20304050", EMAIL):
        assert secret not in text
    assert lines_of(stream)[0]["request_id"] is None, "outside a request there is no id"


@pytest.mark.parametrize("good", ["0123456789abcdef", "req-1.2_3-abcdef", "A" * 64])
def test_a_request_id_of_letters_digits_and_dots_is_taken(good: str) -> None:
    assert valid_request_id(good) == good


@pytest.mark.parametrize("bad", ["short", "A" * 65, "id with spaces", "id\nInjected: 1", "0101901234\u00e6", None, 42])
def test_any_other_request_id_is_refused(bad: object) -> None:
    assert valid_request_id(bad) is None


def test_the_format_is_text_by_default_and_a_bad_one_is_named() -> None:
    assert log_format({}) == "text" and log_format({"MUNI_LOG_FORMAT": " JSON "}) == "json"
    with pytest.raises(SettingsError, match="MUNI_LOG_FORMAT"):
        log_format({"MUNI_LOG_FORMAT": "xml"})
    with pytest.raises(SettingsError, match="MUNI_LOG_FORMAT"):
        configure_logging("gateway", {"MUNI_LOG_FORMAT": "yaml"})

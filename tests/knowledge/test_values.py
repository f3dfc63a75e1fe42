"""Values: verified or demo, written the Danish way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge import KnowledgeDataError, Value
from knowledge.values import format_value, parse_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (75, "75"),
        (1234, "1.234"),
        (1234567, "1.234.567"),
        (559.4, "559,40"),
        (1234.5, "1.234,50"),
        (225.0, "225"),
        ("Kredsløb", "Kredsløb"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


@given(st.integers(min_value=0, max_value=10**12))
def test_integers_keep_their_digits_in_groups_of_three(number):
    text = format_value(number)

    assert text.replace(".", "") == str(number)
    assert all(len(group) == 3 for group in text.split(".")[1:])


def test_parse_value_plain_and_demo():
    assert parse_value(75, "x") == Value(75, demo=False)
    assert parse_value({"value": "00 00 07 51", "demo": True}, "x") == Value("00 00 07 51", demo=True)
    assert parse_value({"value": 75}, "x") == Value(75, demo=False)


@pytest.mark.parametrize("raw", [None, True, [], "", "  ", {"demo": True}, {"value": 1, "source": "?"}])
def test_parse_value_rejects(raw):
    with pytest.raises(KnowledgeDataError):
        parse_value(raw, "x")

"""Redaction of CPR numbers, phone numbers and e-mail addresses in citizens' text."""
from __future__ import annotations

import datetime
import io
import logging
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterator

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from muni.privacy import (
    ACCOUNT_PLACEHOLDER,
    CPR_PLACEHOLDER,
    EMAIL_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    RedactingFilter,
    contact_details,
    contains_pii,
    redact,
)

DANISH_LETTERS = "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ"
LEADS = [
    "Mit cpr-nummer er",
    "Hej, jeg hedder Søren Sørensen og mit personnummer er",
    "CPR",
    "Min søns cpr er",
    "Ring til mig på",
    "Du kan fange mig på mobil",
    "Skriv til mig på",
    "Svar gerne til",
]
TRAILS = ["tak", "Hvornår bliver mit affald hentet?", "og jeg bor i Aarhus", "mvh. Jens", "på forhånd tak!"]
CPR_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
CPR_FORMATS: list[Callable[[str, str, str, str], str]] = [
    lambda d, m, y, s: f"{d}{m}{y}-{s}",
    lambda d, m, y, s: f"{d}{m}{y}{s}",
    lambda d, m, y, s: f"{d}{m}{y} {s}",
    lambda d, m, y, s: f"{d} {m} {y}-{s}",
    lambda d, m, y, s: f"{d} {m} {y} {s}",
    lambda d, m, y, s: f"{d} {m} {y} {s[:2]} {s[2:]}",
    lambda d, m, y, s: f"{d}{m}{y}\u2013{s}",
    lambda d, m, y, s: f"{d}{m}{y}\xa0{s}",
]
DK_LOCAL_FORMATS: list[Callable[[str], str]] = [
    lambda n: n,
    lambda n: f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
    lambda n: f"{n[:4]} {n[4:]}",
    lambda n: f"{n[:2]} {n[2:4]} {n[4:]}",
    lambda n: f"{n[:2]}\xa0{n[2:4]}\xa0{n[4:6]}\xa0{n[6:]}",
]
DK_PREFIXES = ["", "+45 ", "+45", "0045 ", "0045", "(+45) ", "45 "]
MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december"]
TOWNS = ["Aarhus C", "Odense SV", "Vejle", "København K", "Nørre Snede", "Ærøskøbing"]
STREETS = ["Vestergade", "Søndergade", "Åboulevarden", "Nørregade"]


def is_mod11(digits: str) -> bool:
    return sum(w * int(d) for w, d in zip(CPR_WEIGHTS, digits, strict=True)) % 11 == 0


def is_calendar_date(day: int, month: int, yy: int) -> bool:
    """The oracle for DDMMYY: a real date in 19YY or 20YY."""
    for century in (1900, 2000):
        try:
            datetime.date(century + yy, month, day)
        except ValueError:
            continue
        return True
    return False


def thousands(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


words = st.lists(st.text(DANISH_LETTERS, min_size=1, max_size=12), min_size=1, max_size=5).map(" ".join)


@st.composite
def sentence_around(draw: st.DrawFn) -> tuple[str, str]:
    """Danish text to put before and after a piece of PII; no digits, so the exact result is known."""
    lead = draw(st.sampled_from(LEADS) | words)
    trail = draw(st.sampled_from(TRAILS) | words)
    punct = draw(st.sampled_from(["", ".", ",", "!", "?", ":", ";"]))
    prefix = draw(st.sampled_from(["", f"{lead} ", f"{lead}: ", f"{lead} ("]))
    suffix = draw(st.sampled_from(["", punct, f"{punct} {trail}", ")"]))
    return prefix, suffix


@st.composite
def cpr_numbers(draw: st.DrawFn, mod11: bool) -> str:
    """A CPR number for any day in 1900-2099, its serial valid or invalid under modulus 11."""
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)))
    date_digits = born.strftime("%d%m%y")
    serial = f"{draw(st.integers(0, 9999)):04}"
    if mod11:
        first = int(serial[:3])
        while True:
            check = -sum(w * int(d) for w, d in zip(CPR_WEIGHTS, date_digits + f"{first:03}", strict=False)) % 11
            if check < 10:
                break
            first = (first + 1) % 1000
        serial = f"{first:03}{check}"
    elif is_mod11(date_digits + serial):
        serial = serial[:3] + str((int(serial[3]) + 1) % 10)
    assert is_mod11(date_digits + serial) is mod11
    form = draw(st.sampled_from(CPR_FORMATS))
    return form(date_digits[:2], date_digits[2:4], date_digits[4:], serial)


@st.composite
def danish_phones(draw: st.DrawFn) -> str:
    local = draw(st.text("0123456789", min_size=8, max_size=8))
    return draw(st.sampled_from(DK_PREFIXES)) + draw(st.sampled_from(DK_LOCAL_FORMATS))(local)


@st.composite
def international_phones(draw: st.DrawFn) -> str:
    country = str(draw(st.integers(1, 999)))
    subscriber = draw(st.text("0123456789", min_size=max(1, 7 - len(country)), max_size=15 - len(country)))
    groups = []
    while subscriber:
        size = draw(st.integers(1, 4))
        groups.append(subscriber[:size])
        subscriber = subscriber[size:]
    number = f"+{country}{draw(st.sampled_from(['', ' ', '-']))}"
    for group in groups:
        number += group + draw(st.sampled_from(["", " ", "-"]))
    return number.rstrip(" -")


label = st.from_regex(r"[a-zæøå0-9](?:[a-zæøå0-9-]{0,10}[a-zæøå0-9])?", fullmatch=True)
realistic_emails = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9._+-]{0,20}[a-zA-Z0-9])?", fullmatch=True),
    label,
    st.sampled_from(["dk", "com", "org", "eu", "co.uk", "aarhus.dk"]),
)

prices = st.integers(0, 9_999_999).flatmap(lambda n: st.sampled_from([
    f"{n} kr.", f"kr. {n}", f"{thousands(n)} kr", f"{thousands(n)},50 kr", f"{thousands(n * 100)},00 kr."]))
dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)).flatmap(lambda d: st.sampled_from([
    f"{d.day}. {MONTHS[d.month - 1]}", f"{d.day}. {MONTHS[d.month - 1]} {d.year}", d.strftime("%d-%m-%Y"),
    f"{d.day}/{d.month}", f"{d.day}/{d.month}-{d.year}", d.strftime("%d.%m.%Y"), d.isoformat(), str(d.year)]))
times = st.times().flatmap(lambda t: st.sampled_from([f"kl. {t.hour}.{t.minute:02}", f"{t.hour:02}:{t.minute:02}",
                                                      f"kl. {t.hour}"]))
postal_addresses = st.builds("{} {}, {} {}".format, st.sampled_from(STREETS), st.integers(1, 250),
                             st.integers(1000, 9990), st.sampled_from(TOWNS))
municipality_codes = st.integers(101, 860).map("kommunekode {}".format)
booking_references = st.from_regex(r"BK-[A-Z0-9]{5}", fullmatch=True)
non_date_ten_digits = st.text("0123456789", min_size=10, max_size=10).filter(
    lambda s: not is_calendar_date(int(s[:2]), int(s[2:4]), int(s[4:6])))
harmless = st.lists(prices | dates | times | postal_addresses | municipality_codes | booking_references
                    | non_date_ten_digits | words, min_size=1, max_size=6)


@pytest.mark.parametrize("mod11", [True, False], ids=["mod11-valid", "mod11-invalid"])
@given(data=st.data())
def test_cpr_numbers_are_redacted_whatever_their_check_digit(mod11: bool, data: st.DataObject) -> None:
    cpr = data.draw(cpr_numbers(mod11))
    prefix, suffix = data.draw(sentence_around())
    assert redact(prefix + cpr + suffix) == prefix + CPR_PLACEHOLDER + suffix


@given(data=st.data())
def test_danish_phone_numbers_are_redacted_in_every_common_form(data: st.DataObject) -> None:
    phone = data.draw(danish_phones())
    prefix, suffix = data.draw(sentence_around())
    assert redact(prefix + phone + suffix) == prefix + PHONE_PLACEHOLDER + suffix


@given(data=st.data())
def test_international_numbers_with_plus_are_redacted(data: st.DataObject) -> None:
    phone = data.draw(international_phones())
    prefix, suffix = data.draw(sentence_around())
    assert redact(prefix + phone + suffix) == prefix + PHONE_PLACEHOLDER + suffix


@given(data=st.data())
def test_email_addresses_are_redacted(data: st.DataObject) -> None:
    email = data.draw(realistic_emails)
    prefix, suffix = data.draw(sentence_around())
    assert redact(prefix + email + suffix) == prefix + EMAIL_PLACEHOLDER + suffix


@given(st.emails(), words, words)
def test_any_rfc_address_between_words_is_redacted(email: str, before: str, after: str) -> None:
    assert redact(f"{before} {email} {after}") == f"{before} {EMAIL_PLACEHOLDER} {after}"


# Never a bare space between fragments: "2500 2026" has the shape of "1234 5678", a phone number.
# Nor four digits, a dash and seven to ten digits: "2025 – 1234567890" is a registration and an
# account number whatever the four digits meant, unless one of them is an amount ("kr. 1000").
REGISTRATION_AND_ACCOUNT = re.compile(r"(?<![\w.,/])(?<!kr\. )[0-9]{4} – [0-9]{7,10}(?![0-9])(?! kr)")
# A cue word right before a number says what the number is: "reg. 2025" is a registration number and
# "tlf. 1234 5678" a phone number, by design (muni/privacy.py). Random words may spell a cue.
CUE_BEFORE_NUMBER = re.compile(r"(?<!\w)(?:reg|konto|tlf|tel|telefon|mobil|mob)\w*\W{0,4}[0-9]", re.IGNORECASE)
# Six digits, a dash or slash, four digits: a CPR number whatever the date, by decision (muni/privacy.py).
# "SB-000000 – 1000 Aarhus C", a case number of digits then a postcode, has that shape too.
CPR_SHAPE = re.compile(r"(?<![0-9])[0-9]{6} *[-\u2013\u2014/] *[0-9]{4}(?![0-9])")


@given(harmless, st.sampled_from([", ", " og ", " – ", "; ", ". "]))
@example(["kr. 1000", "0000000000"], " – ")
@example(["kr. 4000", "1234567890"], " – ")
def test_text_without_personal_data_is_unchanged(fragments: list[str], separator: str) -> None:
    text = separator.join(fragments)
    assume(not REGISTRATION_AND_ACCOUNT.search(text) and not CUE_BEFORE_NUMBER.search(text))
    assert redact(text) == text
    assert not contains_pii(text)


@given(st.lists(cpr_numbers(True) | cpr_numbers(False) | danish_phones() | international_phones()
                | realistic_emails | prices | dates | words, max_size=6).map(" og ".join))
def test_redaction_is_idempotent_on_mixed_text(text: str) -> None:
    assert redact(redact(text)) == redact(text)


@given(st.text(st.sampled_from("0123456789 +-.,/@()[]aæ_\xa0\u2013") | st.characters(), max_size=80))
def test_redaction_is_idempotent_on_any_text(text: str) -> None:
    assert redact(redact(text)) == redact(text)


def test_only_real_calendar_dates_make_ten_bare_digits_a_cpr_number() -> None:
    """Every DDMMYY with day 00-39, month 00-15 and any year, against the calendar."""
    wrong = [
        f"{day:02}{month:02}{yy:02}"
        for day in range(40) for month in range(16) for yy in range(100)
        if (redact(f"{day:02}{month:02}{yy:02}1234") == CPR_PLACEHOLDER) != is_calendar_date(day, month, yy)
    ]
    assert wrong == []


@pytest.mark.parametrize("separator", ["-", "/", " - ", "\u2013"])
def test_six_and_four_digits_with_a_separator_are_a_cpr_number_whatever_the_date(separator: str) -> None:
    """A typo in the date still leaves someone's CPR number: the shape decides (muni/privacy.py)."""
    kept = [
        f"{day:02}{month:02}{yy:02}"
        for day in range(0, 40, 3) for month in range(16) for yy in range(0, 100, 7)
        if redact(f"{day:02}{month:02}{yy:02}{separator}1234") != CPR_PLACEHOLDER
    ]
    assert kept == []


@pytest.mark.parametrize("text", [
    "668 kr.", "1.234,50 kr", "kr. 2500", "Prisen er 12.500.000 kr.", "2026", "i 1999", "3. december",
    "01-12-2026", "1/12", "01.12.2026", "kl. 16.30", "16:30", "8000 Aarhus C", "Vestergade 12, 2. tv.",
    "kommunekode 751", "BK-4F7Q2", "BK-12345678", "9999991234", "3201901234", "1234567", "123456789",
    "12345678,50 kr", "4512345678", "0,12345678", "sag 2024/12345678", "01019012345", "+123456",
    "1990-2025", "2026-12-01", "8.00-16.00", "1.1.2025", "SB-C3CNQ2", "kl. 10.30-12.00",
])
def test_these_are_not_personal_data(text: str) -> None:
    assert redact(text) == text
    assert not contains_pii(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Mit cpr er 010190-1234 og ring på 12 34 56 78 eller skriv til a@b.dk",
     "Mit cpr er [CPR] og ring på [TELEFON] eller skriv til [EMAIL]"),
    ("CPR: 0101901234, tlf. +45 12345678.", "CPR: [CPR], tlf. [TELEFON]."),
    ("Min datter (290200-1234) bor på Vestergade 12, 8000 Aarhus C", "Min datter ([CPR]) bor på Vestergade 12, 8000 Aarhus C"),
    ("01 01 90-1234 og 0045 12 34 56 78", "[CPR] og [TELEFON]"),
    ("Ring +4512345678 eller +44 20 7946 0958 kl. 16.30", "Ring [TELEFON] eller [TELEFON] kl. 16.30"),
    ("tlf:12345678 / 1234 5678", "tlf:[TELEFON] / [TELEFON]"),
    ("+45 12345678 010190 1234", "[TELEFON] [CPR]"),
    ("+45 1234 5678 90", "[TELEFON]"),
    ("søren@sønderborg.dk.", "[EMAIL]."),
    ("12345678@kommune.dk", "[EMAIL]"),
    ("Booking BK-4F7Q2 koster 668 kr., ring 87 65 43 21", "Booking BK-4F7Q2 koster 668 kr., ring [TELEFON]"),
])
def test_mixed_sentences(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert contains_pii(text)


def test_redaction_time_grows_linearly_with_hostile_input() -> None:
    """About 0.1 s in all when linear; a quadratic scan of these takes minutes."""
    hostile = ["a" * 100_000, "a" * 50_000 + "@" + "b" * 50_000, "1" * 100_000, "1 " * 50_000,
               "+1" * 50_000, "a." * 50_000 + "@"]
    started = time.perf_counter()
    for text in hostile:
        redact(text)
    assert time.perf_counter() - started < 5.0


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose handler redacts and writes to a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.muni.privacy")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


@pytest.mark.parametrize(("message", "args", "expected"), [
    ("Borger %s ringede fra %s", ("010190-1234", "12 34 56 78"), "Borger [CPR] ringede fra [TELEFON]"),
    ("cpr 010190-1234 i beskeden", (), "cpr [CPR] i beskeden"),
    ("tlf %d", (12345678,), "tlf [TELEFON]"),
    ("cpr 010190-%s", ("1234",), "cpr [CPR]"),
    ("%(mail)s skrev", ({"mail": "a@b.dk"},), "[EMAIL] skrev"),
    ("100%% %s, 668 kr.", ("sikker",), "100% sikker, 668 kr."),
])
def test_log_records_are_redacted(log: tuple[logging.Logger, io.StringIO], message: str,
                                  args: tuple[object, ...], expected: str) -> None:
    logger, stream = log
    logger.info(message, *args)
    assert stream.getvalue() == expected + "\n"


def test_tracebacks_in_log_records_are_redacted(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    try:
        raise ValueError("ugyldigt cpr 010190-1234")
    except ValueError:
        logger.exception("opslag fejlede for %s", "a@b.dk")
    assert stream.getvalue().startswith("opslag fejlede for [EMAIL]\nTraceback")
    assert "ValueError: ugyldigt cpr [CPR]" in stream.getvalue()
    assert "1234" not in stream.getvalue()


def test_a_message_that_does_not_fit_its_arguments_is_logged_redacted(
        log: tuple[logging.Logger, io.StringIO], capsys: pytest.CaptureFixture[str]) -> None:
    logger, stream = log
    logger.info("cpr %s og %s", "010190-1234")
    assert "[CPR]" in stream.getvalue()
    assert "010190" not in stream.getvalue()
    assert capsys.readouterr().err == ""


def test_a_record_passing_two_redacting_handlers_stays_redacted() -> None:
    streams = [io.StringIO(), io.StringIO()]
    handlers = [logging.StreamHandler(stream) for stream in streams]
    record = logging.LogRecord("muni", logging.INFO, __file__, 1, "ring %s", ("12345678",), None)
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.handle(record)
    assert [stream.getvalue() for stream in streams] == ["ring [TELEFON]\n", "ring [TELEFON]\n"]


# --- Everyday spellings (issue 17): thousands of them, checked by their digits ----------------------------

# The zero of decimal digit scripts a citizen's keyboard or a copied document may hold.
DIGIT_ZEROS = [0x30, 0x30, 0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1D7CE]
DASHES = ["-", "-", "-", "\u2010", "\u2011", "\u2013", "\u2014", "\uff0d", "\u2212"]
SPACES = [" ", " ", " ", "\xa0", "\u202f", "\u2009", "\u3000"]
PHONE_CUES = ["tlf", "tlf.", "tlf. ", "Tlf: ", "tlf.nr: ", "tlf.nr. ", "tlf nr. ", "telefon ", "telefonnummer ",
              "mobil ", "mobil: ", "mobilnr. ", "mob. ", "TLF", "tel. "]
DK_PREFIXES_EVERYDAY = ["", "", "+45 ", "+45", "0045 ", "0045", "0045-", "+45-", "(+45) "]
ACCOUNT_CUES = ["reg.nr. ", "reg. nr. ", "Reg.nr.: ", "registreringsnummer ", "reg ", "regnr "]
IBAN_COUNTRIES = ["DK", "DE", "SE", "NO", "GB", "NL", "PL", "FR", "dk", "Dk"]


def digits_of(text: str) -> str:
    """The secret as the scan sees it: its digits in ASCII, separators gone."""
    return "".join(str(unicodedata.decimal(char)) for char in text if unicodedata.decimal(char, None) is not None)


def digit_runs(text: str) -> str:
    """The text with separators between digits removed and every digit in ASCII: what a leak scan searches."""
    folded = "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in text)
    return re.sub(r"(?<=[0-9])[\s.,/\-\u2010-\u2015\u2212\uff0d:]+(?=[0-9])", "", folded)


@st.composite
def respelled(draw: st.DrawFn, ascii_text: str) -> str:
    """The same number in another digit script, with other dashes and spaces."""
    zero = draw(st.sampled_from(DIGIT_ZEROS))
    dash, space = draw(st.sampled_from(DASHES)), draw(st.sampled_from(SPACES))
    mapped = {"-": dash, " ": space, **{str(d): chr(zero + d) for d in range(10)}}
    return "".join(mapped.get(char, char) for char in ascii_text)


@st.composite
def cpr_spellings(draw: st.DrawFn) -> str:
    """Every shape of the issue, a real date or (with a separator) any six digits."""
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)))
    d, m, y = born.strftime("%d"), born.strftime("%m"), born.strftime("%y")
    serial = f"{draw(st.integers(0, 9999)):04}"
    shapes = [
        f"{d}{m}{y}-{serial}", f"{d}{m}{y}{serial}", f"{d}-{m}-{y}-{serial}", f"{d}.{m}.{y}-{serial}",
        f"{d}{m}{y}/{serial}", f"{d}{m}{y} - {serial}", f"{d}{m}{y} / {serial}", f"{d} {m} {y}-{serial}",
        f"{d}{m}{y} {serial}", f"{d}{m}{y}-{serial[:2]} {serial[2:]}",
    ]
    if draw(st.booleans()):  # an impossible date still looks like a CPR number when the shape says so
        six = f"{draw(st.integers(0, 999999)):06}"
        shapes = [f"{six}-{serial}", f"{six}/{serial}", f"{six} - {serial}"]
    return draw(respelled(draw(st.sampled_from(shapes))))


@st.composite
def phone_spellings(draw: st.DrawFn) -> str:
    n = draw(st.text("0123456789", min_size=8, max_size=8))
    if re.fullmatch(r"(?:19|20)[0-9]{2}(?:19|20)[0-9]{2}", n):
        n = "3" + n[1:]  # "2024-2025" without a cue is a period (muni/privacy.py)
    local = draw(st.sampled_from([
        n, f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}", f"{n[:4]} {n[4:]}", f"{n[:4]}-{n[4:]}",
        f"{n[:2]}-{n[2:4]}-{n[4:6]}-{n[6:]}", f"{n[:2]}.{n[2:4]}.{n[4:6]}.{n[6:]}", f"{n[:3]} {n[3:5]} {n[5:]}",
        f"{n[:2]} {n[2:5]} {n[5:]}", f"{n[:2]} {n[2:4]} {n[4:]}",
    ]))
    number = draw(st.sampled_from(DK_PREFIXES_EVERYDAY)) + local
    return draw(st.sampled_from(["", "", *PHONE_CUES])) + draw(respelled(number))


@st.composite
def account_spellings(draw: st.DrawFn) -> str:
    reg = f"{draw(st.integers(0, 9999)):04}"
    account = draw(st.text("0123456789", min_size=7, max_size=10))
    shape = draw(st.sampled_from([
        f"{reg}-{account}", f"{reg} {account}", f"{reg} - {account}",
        f"{draw(st.sampled_from(ACCOUNT_CUES))}{reg} konto {account}",
        f"{draw(st.sampled_from(ACCOUNT_CUES))}{reg}, kontonr. {account}",
        f"{draw(st.sampled_from(ACCOUNT_CUES))}{reg} og kontonummer {account}",
        f"kontonr. {account}", f"konto {account}", f"kontonummer: {account}",
    ]))
    return draw(respelled(shape))


@st.composite
def iban_spellings(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(IBAN_COUNTRIES))
    bank = draw(st.sampled_from(["", "WEST", "ABNA", "NDEA"]))
    bban = bank + draw(st.text("0123456789", min_size=max(8, 11 - len(bank)), max_size=30 - len(bank)))
    compact = f"{country}{draw(st.integers(0, 99)):02}{bban}"
    if draw(st.booleans()):
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))
    return compact


secrets = cpr_spellings() | phone_spellings() | account_spellings() | iban_spellings()
PLACEHOLDERS = (CPR_PLACEHOLDER, PHONE_PLACEHOLDER, EMAIL_PLACEHOLDER, ACCOUNT_PLACEHOLDER)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(secrets, sentence_around()), min_size=1, max_size=5))
def test_no_digit_of_any_everyday_spelling_survives(sentences: list[tuple[str, tuple[str, str]]]) -> None:
    """About 1,200 spellings a run, each inside a Danish sentence without digits of its own."""
    for secret, (prefix, suffix) in sentences:
        redacted = redact(prefix + secret + suffix)
        assert not any(unicodedata.decimal(char, None) is not None for char in redacted), redacted
        assert any(placeholder in redacted for placeholder in PLACEHOLDERS)
        assert redacted.startswith(prefix.rstrip("(: ")) and redacted.endswith(suffix)


@settings(max_examples=300, deadline=None)
@given(st.lists(secrets | realistic_emails, min_size=1, max_size=4), harmless, st.randoms(use_true_random=False))
def test_secrets_among_ordinary_text_are_gone_and_the_text_stays(
        found: list[str], ordinary: list[str], order: random.Random) -> None:
    fragments = found + ordinary
    order.shuffle(fragments)
    redacted = redact(" og ".join(fragments))
    rest = redacted
    for fragment in sorted(ordinary, key=len, reverse=True):
        assert fragment in rest, (fragment, redacted)
        rest = rest.replace(fragment, "…", 1)  # its digits are the text's, not a leak
    scanned = digit_runs(rest)
    for secret in found:
        assert "@" in secret or digits_of(secret) not in scanned, (secret, redacted)


house_numbers = st.builds("{} {}{}".format, st.sampled_from(STREETS), st.integers(1, 399),
                          st.sampled_from(["", "B", ", 1. th.", ", st. tv."]))
case_numbers = st.from_regex(r"SB-[A-Z0-9]{6}", fullmatch=True) | st.builds(
    "sag {}/{}".format, st.integers(1990, 2030), st.integers(1, 99_999_999))
opening_hours = st.builds("{}.{:02}-{}.{:02}".format, st.integers(6, 12), st.sampled_from([0, 15, 30]),
                          st.integers(13, 22), st.sampled_from([0, 15, 30]))
periods = st.integers(1900, 2098).flatmap(lambda y: st.integers(y + 1, 2099).map(lambda z: f"{y}-{z}"))
short_dates = st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)).map(
    lambda d: f"{d.day}.{d.month}.{d.year}")
everyday_prices = st.integers(0, 999_999).map(lambda n: f"{thousands(n)},{n % 100:02} kr.")
postcodes = st.builds("{} {}".format, st.integers(1000, 9990), st.sampled_from(TOWNS))
ordinary_text = st.lists(house_numbers | case_numbers | opening_hours | periods | short_dates | everyday_prices
                         | postcodes | prices | dates | times | words, min_size=1, max_size=6)


@settings(max_examples=500, deadline=None)
@given(ordinary_text, st.sampled_from([", ", " og ", "; ", ". ", " – ", "\n"]))
def test_dates_prices_postcodes_times_and_case_numbers_keep_their_meaning(fragments: list[str], separator: str) -> None:
    text = separator.join(fragments)
    assume(not CUE_BEFORE_NUMBER.search(text))
    assume(not CPR_SHAPE.search(text))
    assert redact(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("cpr 070381/4417, ring på tlf29476183", "cpr [CPR], ring på tlf[TELEFON]"),
    ("CPR ０１０１９０－１２３４", "CPR [CPR]"),
    ("tlf.nr: 12345678", "tlf.nr: [TELEFON]"),
    ("ring 0045-12345678 eller 20-30-40-50", "ring [TELEFON] eller [TELEFON]"),
    ("reg.nr. 1234 konto 1234567890", "reg.nr. [KONTO]"),
    ("Overfør til 1234-1234567890 eller DK50 0040 0440 1162 43.", "Overfør til [KONTO] eller [KONTO]."),
    ("BE68 5390 0754 7034 ring på 12 345 678", "[KONTO] ring på [TELEFON]"),
    ("kr. 1000 – 0000000000", "kr. 1000 – 0000000000"),
    ("2025 – 1234567 kr.", "2025 – 1234567 kr."),
    ("2025 – 1234567890", "[KONTO]"),
    ("REG. 1900-1901", "REG. 1900-1901"),
    ("Reg. 2025", "Reg. [KONTO]"),
    ("Åbent 8.00-16.00, kl. 10.30 koster 1.234,50 kr. i 8000 Aarhus, sag SB-C3CNQ2 fra 01-01-2025",
     "Åbent 8.00-16.00, kl. 10.30 koster 1.234,50 kr. i 8000 Aarhus, sag SB-C3CNQ2 fra 01-01-2025"),
])
def test_the_issues_examples(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_contact_details_come_back_in_ascii_digits_without_their_cue() -> None:
    assert contact_details("ring tlf.nr: ２９４７６１８３ eller a@b.dk, cpr 010190-1234") == ["29476183", "a@b.dk"]


@settings(max_examples=500, deadline=None)
@given(st.uuids())
def test_a_uuid_is_kept_whole_so_a_conversation_id_reads_the_same_in_every_log_line(identifier: object) -> None:
    line = f"Conversation {identifier}: a booking's outcome was lost"
    assert redact(line) == line


def test_uuids_with_digit_runs_of_a_cpr_or_phone_shape_are_kept_and_personal_data_beside_them_is_not() -> None:
    # One uuid4 in 80 has such a run; these three were found so (CPR, CPR, phone).
    for identifier in ("5a283392-5705-4368-9cd2-7fca72686ec6", "6220410a-d44b-41d6-afff-a2806416786a",
                       "07383161-ee76-466f-83dc-1efe2e514d59"):
        assert redact(f"samtale {identifier}") == f"samtale {identifier}"
        assert redact(f"{identifier} cpr 010190-1234 tlf 12345678") == f"{identifier} cpr [CPR] tlf [TELEFON]"
    # Glued to other text it is no UUID, and its digits are judged as before.
    assert redact("x5a283392-5705-4368-9cd2-7fca72686ec6") == "x5a[CPR]-4368-9cd2-7fca72686ec6"

"""URL normalisation and the site's scope: equivalent URLs become one."""

from __future__ import annotations

import pytest

from crawler.urls import SiteScope, looks_like_trap, normalise, numeric_key, query_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://Testby.DK:443/Borger/../Affald/./Sortering#top", "https://testby.dk/Affald/Sortering"),
        ("http://testby.dk", "http://testby.dk/"),
        ("http://testby.dk:8080/a?b=2&a=1", "http://testby.dk:8080/a?a=1&b=2"),
        ("https://testby.dk/a?utm_source=nyhedsbrev&fbclid=x&id=3", "https://testby.dk/a?id=3"),
        ("https://testby.dk/%7Euser/%c3%a6ble", "https://testby.dk/~user/%C3%A6ble"),
        ("https://testby.dk/æble", "https://testby.dk/%C3%A6ble"),
        ("https://bøger.dk/", "https://xn--bger-gra.dk/"),
        ("https://testby.dk./a", "https://testby.dk/a"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "raw", ["mailto:borger@testby.dk", "javascript:alert(1)", "ftp://testby.dk/", "https://user:pw@testby.dk/", "http://:80/", "http://testby.dk:99999/"]
)
def test_not_fetchable(raw: str) -> None:
    assert normalise(raw) is None


def test_relative_links_resolve_against_the_page() -> None:
    assert normalise("../skat?b=1&a=2", base="https://testby.dk/borger/affald/") == "https://testby.dk/borger/skat?a=2&b=1"


def test_scope_is_the_site_with_or_without_www_on_either_scheme() -> None:
    scope = SiteScope("https://testby.dk/")
    assert scope.contains("https://www.testby.dk/borger")
    assert scope.contains("http://testby.dk/")
    assert not scope.contains("https://nabo.dk/")
    assert not scope.contains("https://testby.dk.evil.example/")
    assert not SiteScope("http://127.0.0.1:8001/").contains("http://127.0.0.1:8002/")


def test_trap_shapes() -> None:
    assert query_key("https://testby.dk/kalender?m=3") == "https://testby.dk/kalender"
    assert query_key("https://testby.dk/kalender") is None
    assert numeric_key("https://testby.dk/kalender/2026/11") == numeric_key("https://testby.dk/kalender/2031/2")
    assert looks_like_trap("https://testby.dk/a/b/a/b/a/b/a/b/a", 2000)
    assert looks_like_trap("https://testby.dk/" + "x" * 3000, 2000)
    assert not looks_like_trap("https://testby.dk/borger/affald", 2000)

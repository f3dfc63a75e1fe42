"""robots.txt as RFC 9309 reads it (examples from the RFC and its edge cases)."""

from __future__ import annotations

import pytest

from crawler.robots import RobotsPolicy, parse_robots

RFC_EXAMPLE = """
User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot
"""


@pytest.mark.parametrize(
    ("agent", "path", "allowed"),
    [
        ("foobot", "/example/page.html", True),
        ("foobot", "/example/allowed.gif", True),
        ("foobot", "/other", False),
        ("barbot", "/example/page.html", False),
        ("bazbot", "/example/page.html", False),
        ("bazbot", "/example/other.html", True),
        ("quxbot", "/anything", True),  # an empty group allows all
        ("otherbot", "/example/x", False),  # the * group
        ("otherbot", "/images/a.gif", False),
        ("otherbot", "/images/a.gif?x=1", True),  # $ anchors the end
        ("otherbot", "/publications/x", True),
        ("FooBot", "/example/page.html", True),  # product tokens match case-insensitively
    ],
)
def test_rfc_9309_example_groups(agent: str, path: str, allowed: bool) -> None:
    assert parse_robots(RFC_EXAMPLE, agent).allows(path) is allowed


def test_longest_match_wins_and_allow_wins_a_tie() -> None:
    policy = parse_robots("User-agent: *\nDisallow: /borger\nAllow: /borger/affald\nAllow: /page\nDisallow: /page\n", "MuniBot")
    assert not policy.allows("/borger/skat")
    assert policy.allows("/borger/affald/storskrald")
    assert policy.allows("/page")


def test_wildcards_and_percent_encoding() -> None:
    policy = parse_robots("User-agent: *\nDisallow: /*?sort=\nDisallow: /søg\n", "MuniBot")
    assert not policy.allows("/nyheder?sort=dato")
    assert policy.allows("/nyheder?page=2")
    assert not policy.allows("/s%C3%B8g/resultater")
    assert not policy.allows("/søg")


def test_group_for_the_crawler_replaces_the_star_group() -> None:
    policy = parse_robots("User-agent: *\nDisallow: /\n\nUser-agent: MuniBot\nDisallow: /privat\n", "MuniBot")
    assert policy.allows("/borger")
    assert not policy.allows("/privat/x")


def test_crawl_delay_sitemaps_comments_and_junk() -> None:
    text = (
        "# comment\nSitemap: https://testby.dk/sitemap.xml\n\x00garbage line\n"
        "User-agent: munibot # us\nCrawl-delay: 2.5\nDisallow: /tmp # temp\nCrawl-delay: nonsense\n"
    )
    policy = parse_robots(text, "MuniBot")
    assert policy.crawl_delay == 2.5
    assert policy.sitemaps == ("https://testby.dk/sitemap.xml",)
    assert not policy.allows("/tmp/x")
    assert policy.allows("/borger")


def test_robots_txt_itself_is_always_allowed_and_empty_disallow_allows() -> None:
    assert RobotsPolicy.disallow_all("robots.txt answered 500").allows("/robots.txt")
    assert not RobotsPolicy.disallow_all("robots.txt answered 500").allows("/")
    assert parse_robots("User-agent: *\nDisallow:\n", "MuniBot").allows("/anything")
    assert parse_robots("", "MuniBot").allows("/anything")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "byte-order mark"])
def test_a_robots_txt_starting_with_a_byte_order_mark_is_obeyed(bom: bytes) -> None:
    body = bom + b"User-agent: *\r\nDisallow: /privat/\r\nCrawl-delay: 3\r\n"
    policy = parse_robots(body.decode("utf-8", errors="replace"), "MuniBot")  # as crawler/politeness.py decodes it
    assert not policy.allows("/privat/side.html")
    assert policy.allows("/borger/")
    assert policy.crawl_delay == 3.0

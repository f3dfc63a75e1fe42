"""Links and robots meta directives from a page's HTML: pure, tolerant of broken markup."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree, html

from crawler.urls import normalise

MAX_LINKS_PER_PAGE = 1000


@dataclass(frozen=True)
class PageLinks:
    links: tuple[str, ...]  # normalised, de-duplicated, in document order
    noindex: bool = False
    nofollow: bool = False


def page_links(body: bytes, url: str) -> PageLinks:
    """The normalised http(s) links of a page; none when the page says nofollow or cannot be parsed."""
    try:
        document = html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return PageLinks(links=())
    directives: set[str] = set()
    for meta in document.iter("meta"):
        if (meta.get("name") or "").strip().lower() in ("robots", "munibot"):
            directives.update(part.strip().lower() for part in (meta.get("content") or "").split(","))
    noindex = "noindex" in directives or "none" in directives
    nofollow = "nofollow" in directives or "none" in directives
    if nofollow:
        return PageLinks(links=(), noindex=noindex, nofollow=True)
    base = url
    for element in document.iter("base"):
        href = element.get("href")
        if href:
            base = normalise(href, base=url) or url
        break
    seen: dict[str, None] = {}
    for element in document.iter("a", "area"):
        href = element.get("href")
        if not href or "nofollow" in (element.get("rel") or "").lower():
            continue
        link = normalise(href, base=base)
        if link is not None:
            seen.setdefault(link)
            if len(seen) >= MAX_LINKS_PER_PAGE:
                break
    return PageLinks(links=tuple(seen), noindex=noindex, nofollow=False)

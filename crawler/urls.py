"""URL normalisation, the site's scope and the trap shapes: pure functions on strings."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "_gl", "yclid"})
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_DIGITS = re.compile(r"\d+")


def normalise(url: str, base: str | None = None) -> str | None:
    """The canonical form of an http(s) URL, or None if it is not one the crawler can fetch.

    Lower-case scheme and host, IDNA host, no default port, no fragment, no credentials,
    dot segments resolved, percent-encoding normalised, tracking parameters dropped, query sorted.
    """
    url = url.strip()
    if base is not None:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or parts.username is not None or parts.password is not None:
        return None
    host = _host(parts.hostname or "")
    if host is None:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _normalise_percent(_remove_dot_segments(parts.path or "/"), _PATH_SAFE)
    return urlunsplit((scheme, netloc, path, _query(parts.query), ""))


def _host(host: str) -> str | None:
    host = host.rstrip(".").lower()
    if not host:
        return None
    if ":" in host:  # an IPv6 literal
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    output: list[str] = []
    for segment in path.split("/")[1:] if path.startswith("/") else path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = path.endswith(("/.", "/..")) or path in (".", "..")
    return "/" + "/".join(output) + ("/" if trailing and output else "")


def _normalise_percent(text: str, safe: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return quote(_PERCENT.sub(fix, text), safe=safe)


def _query(query: str) -> str:
    if not query:
        return ""
    pairs = [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith("utm_")
    ]
    return urlencode(sorted(pairs))


@dataclass(frozen=True)
class SiteScope:
    """The hosts one municipality's crawl may fetch: the root's host, with or without www., either scheme."""

    root: str

    @functools.cached_property
    def site_key(self) -> tuple[str, int | None]:
        return _site_key(self.root)

    def contains(self, url: str) -> bool:
        return _site_key(url) == self.site_key


def _site_key(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    if port in DEFAULT_PORTS.values():
        port = None  # http and https of one site share its scope
    return host, port


def origin(url: str) -> str:
    """scheme://host[:port] – the unit robots.txt applies to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query_key(url: str) -> str | None:
    """The URL without its query, when it has one: the unit the query-variant bound counts."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) if parts.query else None


def numeric_key(url: str) -> str | None:
    """The path's shape with digit runs masked, when it has digits (calendar pages, dated archives)."""
    parts = urlsplit(url)
    if not _DIGITS.search(parts.path):
        return None
    return parts.netloc + _DIGITS.sub("#", parts.path)


def looks_like_trap(url: str, max_length: int) -> bool:
    """A URL no real page has: too long, or one path segment repeated over and over."""
    if len(url) > max_length:
        return True
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    return any(segments.count(segment) > 3 for segment in set(segments))

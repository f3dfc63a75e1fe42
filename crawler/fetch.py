"""The network side of the crawler: one GET, redirects followed by hand, every hop re-checked, body capped."""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from crawler.addresses import AddressRefused, GuardedResolver, check_host
from crawler.bodies import BadEncoding, BodyDecoder, BodyTooLarge
from crawler.settings import CrawlLimits
from crawler.urls import normalise

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
READ_CHUNK = 64 * 1024

HopCheck = Callable[[str], Awaitable[None]]


class FetchFailed(Exception):
    """A URL could not be fetched; `reason` is short and repeats across URLs, for the summary."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RedirectSkipped(Exception):
    """A redirect led somewhere this crawl does not go (another site, robots-disallowed): a skip, not an error."""

    def __init__(self, reason: str, target: str) -> None:
        super().__init__(f"{reason}: {target}")
        self.reason = reason
        self.target = target


@dataclass(frozen=True)
class FetchResult:
    url: str  # where the body came from, after redirects
    status: int
    content_type: str
    body: bytes | None  # None for 304, errors and content that was not asked for
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES


class Fetcher:
    """An aiohttp session that connects only to allowed addresses and reads bounded bodies."""

    def __init__(self, limits: CrawlLimits, *, resolver: AbstractResolver | None = None) -> None:
        self._limits = limits
        self._resolver = resolver  # the name service behind the address guard (tests give a fake one)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_loopback=self._limits.allow_loopback, inner=self._resolver),
            limit=0,  # the crawler's per-host gates bound concurrency
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                sock_connect=self._limits.connect_timeout_s, sock_read=self._limits.read_timeout_s
            ),
            headers={"User-Agent": self._limits.user_agent, "Accept-Encoding": "gzip, deflate"},
            auto_decompress=False,  # BodyDecoder counts decompressed bytes against the cap
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # no proxy from the environment may route around the address checks
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        html_only: bool,
        headers: Mapping[str, str] | None = None,
        hop_check: HopCheck | None = None,
    ) -> FetchResult:
        """GET `url`; raises FetchFailed (an error for the record) or RedirectSkipped."""
        try:
            async with asyncio.timeout(self._limits.total_timeout_s):
                return await self._follow(url, max_bytes, html_only, dict(headers or {}), hop_check)
        except TimeoutError:
            raise FetchFailed("timeout") from None
        except AddressRefused as exc:
            raise FetchFailed(f"address refused ({exc.why})") from None
        except aiohttp.ClientConnectorCertificateError:
            raise FetchFailed("TLS certificate not valid") from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                raise FetchFailed(f"address refused ({exc.os_error.why})") from None
            raise FetchFailed("connection failed") from None
        except aiohttp.ClientPayloadError:
            raise FetchFailed("broken response body") from None
        except aiohttp.ClientResponseError as exc:
            raise FetchFailed(f"bad response ({exc.message[:60]})") from None
        except aiohttp.ClientError as exc:
            raise FetchFailed(f"http error ({type(exc).__name__})") from None

    async def _follow(
        self, url: str, max_bytes: int, html_only: bool, headers: dict[str, str], hop_check: HopCheck | None
    ) -> FetchResult:
        assert self._session is not None, "use Fetcher as an async context manager"
        visited = {url}
        current = url
        for hop in range(self._limits.max_redirects + 1):
            check_host(urlsplit(current).hostname or "", allow_loopback=self._limits.allow_loopback)
            async with self._session.get(current, allow_redirects=False, headers=headers) as response:
                location = response.headers.get("Location")
                if response.status not in REDIRECT_STATUSES or location is None:
                    return await self._read(response, current, max_bytes, html_only)
            target = normalise(location, base=current)
            if target is None:
                raise FetchFailed("redirect to an unusable URL")
            if target in visited:
                raise FetchFailed("redirect loop")
            if hop == self._limits.max_redirects:
                break
            if hop_check is not None:
                await hop_check(target)
            visited.add(target)
            current = target
            headers = {}  # validators belong to the first URL
        raise FetchFailed("too many redirects")

    async def _read(
        self, response: aiohttp.ClientResponse, url: str, max_bytes: int, html_only: bool
    ) -> FetchResult:
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        common: dict[str, Any] = {
            "url": url,
            "status": response.status,
            "content_type": content_type,
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
        }
        if response.status in (429, 503):
            return FetchResult(body=None, retry_after=parse_retry_after(response.headers.get("Retry-After")), **common)
        if not 200 <= response.status < 300:
            return FetchResult(body=None, **common)
        if html_only and content_type and content_type not in HTML_TYPES:
            return FetchResult(body=None, **common)  # not read: the connection is dropped
        encoding = response.headers.get("Content-Encoding", "")
        if not encoding and (response.content_length or 0) > max_bytes:
            raise FetchFailed(f"body over {max_bytes} bytes")
        try:
            decoder = BodyDecoder(encoding, max_bytes)
            parts = [decoder.feed(chunk) async for chunk in response.content.iter_chunked(READ_CHUNK)]
            parts.append(decoder.flush())
        except BodyTooLarge:
            raise FetchFailed(f"body over {max_bytes} bytes") from None
        except BadEncoding as exc:
            raise FetchFailed(str(exc).split(":", 1)[0]) from None
        body = b"".join(parts)
        if html_only and not content_type:
            head = body[:1024].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
            content_type = "text/html" if head.startswith((b"<!doctype html", b"<html", b"<!--")) else "unknown"
            return FetchResult(**{**common, "content_type": content_type}, body=body if content_type == "text/html" else None)
        return FetchResult(body=body, **common)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))

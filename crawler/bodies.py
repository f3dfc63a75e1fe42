"""Response bodies decoded with a cap on decompressed bytes, so a small gzip bomb is cut like a huge body."""

from __future__ import annotations

import zlib


class BodyTooLarge(Exception):
    """The decoded body grew past the cap."""


class BadEncoding(Exception):
    """The body's Content-Encoding is unknown or its compressed data is corrupt."""


class BodyDecoder:
    """Feeds raw chunks in, gets decoded bytes out, and never produces more than `limit` bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        encoding = content_encoding.strip().lower()
        self._limit = limit
        self._produced = 0
        self._deflate_pending = encoding == "deflate"
        self._inflater: zlib._Decompress | None
        if encoding in ("", "identity"):
            self._inflater = None
        elif encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._inflater = None  # zlib-wrapped or raw: decided by the first bytes
        else:
            raise BadEncoding(f"unsupported content-encoding {encoding[:40]!r}")

    def feed(self, data: bytes) -> bytes:
        if self._deflate_pending and data:
            # RFC 9110 deflate is zlib-wrapped; some servers send raw deflate instead.
            wrapped = len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            self._deflate_pending = False
        if self._inflater is None:
            return self._count(data)
        out: list[bytes] = []
        pending = data
        try:
            while pending:
                part = self._inflater.decompress(pending, self._limit - self._produced + 1)
                out.append(self._count(part))
                pending = self._inflater.unconsumed_tail
        except zlib.error as exc:
            raise BadEncoding(f"corrupt compressed body: {exc}") from None
        return b"".join(out)

    def flush(self) -> bytes:
        if self._inflater is None:
            return b""
        try:
            return self._count(self._inflater.flush())
        except zlib.error as exc:
            raise BadEncoding(f"corrupt compressed body: {exc}") from None

    def _count(self, data: bytes) -> bytes:
        self._produced += len(data)
        if self._produced > self._limit:
            raise BodyTooLarge(f"body over {self._limit} bytes")
        return data


def gunzip_capped(data: bytes, limit: int) -> bytes:
    """A gzip file's contents (a sitemap.xml.gz served as a file), cut at `limit` bytes."""
    decoder = BodyDecoder("gzip", limit)
    return decoder.feed(data) + decoder.flush()

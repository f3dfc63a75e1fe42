"""Deep links: the one address that SMS links and QR codes point to."""

from __future__ import annotations

from urllib.parse import quote


def deep_link(public_url: str, slug: str, topic: str, *, via: str) -> str:
    """{public_url}/start/{slug}/{topic}?via=sms|qr – opens the assistant full page on the topic."""
    return f"{public_url.rstrip('/')}/start/{quote(slug)}/{quote(topic)}?via={quote(via)}"

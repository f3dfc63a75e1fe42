"""Deep links: the one address that SMS links and QR codes point to (built in `sms.links`)."""

from __future__ import annotations

from sms.links import deep_link

__all__ = ["deep_link"]

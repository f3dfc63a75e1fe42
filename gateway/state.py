"""Typed state of the gateway process itself."""

from __future__ import annotations

from aiohttp import web

from gateway.settings import GatewaySettings

SETTINGS = web.AppKey("gateway_settings", GatewaySettings)

"""`python -m gateway`: run the gateway on MUNI_HOST:MUNI_PORT."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from conversation.directory import load_directory
from gateway.app import create_app
from gateway.settings import GatewaySettings, SettingsError
from muni.logs import configure_logging
from voice.app import voice_config


def main() -> int:
    try:
        configure_logging("gateway")
        settings = GatewaySettings.from_env()
    except SettingsError as error:
        logging.getLogger("muni.gateway").error("Invalid configuration: %s", error)
        return 2
    voice = voice_config(settings.voice, settings.sms_settings.hash_key)
    app = create_app(settings, load_directory(), voice=voice)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

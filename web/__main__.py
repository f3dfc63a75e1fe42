"""`python -m web`: run the gateway on MUNI_HOST:MUNI_PORT."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from muni.privacy import RedactingFilter
from voice.app import voice_from_env
from web.app import create_app
from web.directory import load_directory
from web.settings import GatewaySettings, SettingsError


def _configure_logging() -> None:
    handler = logging.StreamHandler()
    # On the handler, so records from every library (aiohttp's access log included) are redacted.
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def main() -> int:
    _configure_logging()
    try:
        settings = GatewaySettings.from_env()
        voice = voice_from_env(settings.public_url, settings.secret_key)
    except (SettingsError, ValueError) as error:
        logging.getLogger("muni.web").error("Invalid configuration: %s", error)
        return 2
    app = create_app(settings, load_directory(), voice=voice)
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rasa's container entry point (Python 3.10, standard library only): serve with the token, or probe.

``python deploy/rasa/serve.py serve``  runs ``rasa run`` with its HTTP API behind the auth token
(MUNI_RASA_TOKEN, required: Rasa never starts without one, so ``PUT /model`` is refused).
``python deploy/rasa/serve.py ready``  exits 0 when Rasa answers ``/status`` with a model loaded
(the Kubernetes readiness probe: the token never appears in a manifest).

The token is the one the gateway sends, derived from MUNI_SECRET_KEY; docs/deployment.md shows how
to compute it once into the Secret, so Rasa's container never holds the secret itself.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

MIN_TOKEN_LENGTH = 32
PROBE_TIMEOUT_S = 3.0
DEFAULTS = {
    "MUNI_RASA_PORT": "5005",
    "MUNI_RASA_MODEL": "models/muni.tar.gz",
    "MUNI_RASA_ENDPOINTS": "endpoints.yml",
    "MUNI_RASA_CREDENTIALS": "credentials.yml",
}


class ConfigError(Exception):
    """A variable is missing or bad; the message names it."""


def setting(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip() or DEFAULTS[name]


def token(environ: Mapping[str, str]) -> str:
    value = environ.get("MUNI_RASA_TOKEN", "").strip()
    if len(value) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"MUNI_RASA_TOKEN must be set to Rasa's API token (at least {MIN_TOKEN_LENGTH} characters): "
            "Rasa's HTTP API is never served without one"
        )
    return value


def port(environ: Mapping[str, str]) -> str:
    value = setting(environ, "MUNI_RASA_PORT")
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"MUNI_RASA_PORT must be a TCP port number, got {value!r}")
    return value


def rasa_argv(environ: Mapping[str, str]) -> list[str]:
    """The `rasa run` command line for this environment."""
    return [
        "python", "bot/rasa_main.py", "run",  # Rasa's command with Muni's one change to it (bot/rasa_main.py)
        "--model", setting(environ, "MUNI_RASA_MODEL"),
        "--endpoints", setting(environ, "MUNI_RASA_ENDPOINTS"),
        "--credentials", setting(environ, "MUNI_RASA_CREDENTIALS"),
        "--interface", "0.0.0.0",  # the pod's address; the NetworkPolicy lets only the gateway in
        "--port", port(environ),
        "--enable-api",
        "--auth-token", token(environ),
    ]


def ready(environ: Mapping[str, str]) -> tuple[bool, str]:
    """Whether Rasa on this host answers /status with a model loaded, and why not."""
    query = urllib.parse.urlencode({"token": token(environ)})
    url = f"http://127.0.0.1:{port(environ)}/status?{query}"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as response:
            body = json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return False, f"{type(error).__name__}: {error}"
    if not isinstance(body, dict) or not body.get("model_file"):
        return False, "no model loaded"
    return True, "ready"


def main(argv: list[str], environ: Mapping[str, str] = os.environ) -> int:
    if len(argv) != 2 or argv[1] not in ("serve", "ready"):
        print("usage: serve.py serve|ready", file=sys.stderr)
        return 2
    try:
        if argv[1] == "ready":
            ok, reason = ready(environ)
            if not ok:
                print(f"rasa not ready: {reason}", file=sys.stderr)
            return 0 if ok else 1
        command = rasa_argv(environ)
    except ConfigError as error:
        print(f"Invalid configuration of Rasa: {error}", file=sys.stderr)
        return 2
    os.execvp(command[0], command)
    return 0  # not reached: exec replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv))

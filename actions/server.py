"""Serve the actions with rasa-sdk's Sanic app in one process, so SIGTERM stops it quietly.

rasa-sdk's own entry point runs Sanic's worker manager: a manager process, a
multiprocessing state server and a worker, all in the supervisor's process group. A
SIGTERM reaches each of them at once; the state server dies first and the manager, the
worker's shutdown listeners and SQLAlchemy's pool then print tracebacks ("Event loop
stopped before Future completed"). Muni scales the action server by replicas, never by
Sanic workers, so it serves the same app (`create_app_for_serve`, with the plugins) in
Sanic's single-process mode: one process, one event loop, one SIGTERM handler.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

logger = logging.getLogger("muni.actions.server")


def serve(argv: Sequence[str]) -> None:
    """`rasa_sdk`'s command line (`--port`, `--cors`, `--endpoints`, SSL, logging) over the `actions` package."""
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
    from rasa_sdk.executor import ActionExecutor
    from sanic import Sanic

    parser = create_argument_parser()
    args = parser.parse_args(["--actions", "actions", *argv])
    if args.grpc:
        parser.error("Muni's action server speaks HTTP only (no --grpc)")
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()

    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    app = create_app_for_serve(executor, cors_origins=args.cors, endpoints=args.endpoints)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("Action endpoint is up and running on %s://%s:%s", "https" if ssl else "http", host, args.port)
    app.prepare(host=host, port=args.port, ssl=ssl, single_process=True, motd=False)
    Sanic.serve_single(primary=app)

"""Alembic's environment: always run on a connection the caller opened (`conversation.schema`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through conversation.schema.upgrade_database (muni db upgrade)")
_run(connection)

"""Each conversation's language (issue 17: the assistant answers in the language the citizen writes).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A log made by create_all before migrations may have the column already.
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("conversations")}
    if "language" in columns:
        return
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="da"))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("language")

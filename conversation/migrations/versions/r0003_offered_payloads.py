"""The button payloads the bot offered in each conversation (issue 16: only offered payloads are accepted).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by create_all before migrations may have the table already.
    if sa.inspect(op.get_bind()).has_table("offered_payloads"):
        return
    op.create_table(
        "offered_payloads",
        sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id"), primary_key=True),
        sa.Column("payload", sa.String(512), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("offered_payloads")

"""The console's tables in the gateway's one database (made by conversation/migrations, revision 0002)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()

users = Table(
    "admin_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),  # "slettet-<id>" once personal data is removed
    Column("role", String(32), nullable=False),
    Column("municipality", String(64), nullable=True, index=True),  # None for consortium admins and agents
    Column("password_hash", String(255), nullable=True),  # None: cannot log in
    Column("totp_secret", String(64), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    Column("inactivity_warned_at", DateTime(timezone=True), nullable=True),
    Column("deactivated_at", DateTime(timezone=True), nullable=True),
    Column("personal_data_removed_at", DateTime(timezone=True), nullable=True),
)

recovery_codes = Table(
    "admin_recovery_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("admin_users.id"), nullable=False, index=True),
    Column("code_hash", String(255), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

sessions = Table(
    "admin_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token: a database dump opens no session
    Column("user_id", Integer, ForeignKey("admin_users.id"), nullable=False, index=True),
    Column("stage", String(16), nullable=False),  # second-factor, enrol, full
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

audit = Table(
    "admin_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor_id", Integer, ForeignKey("admin_users.id"), nullable=True),  # an id, so removing a user's data keeps the log
    Column("client", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("municipality", String(64), nullable=True, index=True),
    Column("target_user_id", Integer, ForeignKey("admin_users.id"), nullable=True),
    Column("details", Text, nullable=False),  # JSON: before and after of a change
)

login_throttle = Table(
    "admin_login_throttle",
    metadata,
    Column("key", String(96), primary_key=True),  # "account:<hash of the name>" or "client:<address>"
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
)

# Staff API keys (issue 15: municipalities' emergency systems switch crisis mode); issued by consortium admins.
api_keys = Table(
    "admin_api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # SHA-256 of the key: a dump opens nothing
    Column("scope", String(32), nullable=False),  # "crisis"
    Column("created_by", Integer, ForeignKey("admin_users.id"), nullable=True),  # None: the command line
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

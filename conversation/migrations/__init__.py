"""The conversation database's schema history (Alembic): every table of the gateway's one database.

The stores (`conversation/log.py`, `voice/calls.py`, `sms/links.py`, `admin/`) keep
their `Table` definitions for queries; the revisions here create and change those tables, written
out in full so that a revision never changes when a module does. `tests/conversation/` checks
that head equals the stores' tables.
"""

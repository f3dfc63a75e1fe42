"""`muni backup` and `muni restore`: the SQL database and the vector index in one verified archive.

An archive is a gzipped tar with `manifest.json` (what, when, versions, and a SHA-256 of every file)
beside the parts: the database (SQLite through its online backup API, PostgreSQL through pg_dump's
custom format) and the index (local mode's live generation folder, or a Qdrant server's snapshot).
A restore checks every checksum before it touches anything, and refuses to overwrite a database that
holds data unless told to (`--force`). docs/deployment.md says when and how to run them.
"""

from ops.backup.archive import BackupError
from ops.backup.run import BackupSettings, backup, restore

__all__ = ["BackupError", "BackupSettings", "backup", "restore"]

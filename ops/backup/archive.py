"""The archive: staged parts plus a manifest of checksums, written atomically and read back verified."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from pathlib import Path
from typing import Any

FORMAT = "muni-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def describe_files(staging: Path, folder: Path) -> list[dict[str, Any]]:
    """path (relative to staging), size and SHA-256 of every file under folder, in a stable order."""
    return [
        {"path": path.relative_to(staging).as_posix(), "bytes": path.stat().st_size, "sha256": sha256_file(path)}
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]


def write_archive(staging: Path, manifest: dict[str, Any], destination: Path) -> None:
    """Write staging's files and the manifest to destination: complete or not at all, readable by the owner only."""
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial = destination.with_name(destination.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds citizens' conversations
    try:
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            archive.add(staging / MANIFEST, arcname=MANIFEST)
            for part in manifest["parts"]:
                for entry in part["files"]:
                    archive.add(staging / entry["path"], arcname=entry["path"])
        with open(partial, "rb+") as written:  # on disk before the rename makes it the archive
            os.fsync(written.fileno())
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_archive(source: Path, into: Path) -> dict[str, Any]:
    """Unpack source into `into` and return its manifest, after checking the format and every file's checksum."""
    if not source.is_file():
        raise BackupError(f"no backup archive at {source}")
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            archive.extractall(into, filter="data")  # no absolute paths, links out of `into` or devices
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{source} is not a readable backup archive: {error}") from None
    try:
        manifest: dict[str, Any] = json.loads((into / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{source} has no readable {MANIFEST}: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a Muni backup of format {FORMAT} (found {manifest.get('format')!r})")
    for part in manifest["parts"]:
        for entry in part["files"]:
            path = into / entry["path"]
            if not path.is_file():
                raise BackupError(f"{source} lacks {entry['path']}, which its manifest lists: the archive is incomplete")
            if path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
                raise BackupError(f"{entry['path']} in {source} does not match its checksum: the archive is damaged")
    return manifest

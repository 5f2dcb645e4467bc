"""The `reformer` command: serve, worker, demo, manage.

With no DATABASE_URL, importing the settings starts (or joins) the embedded PostgreSQL in the
data folder; every exit path below releases it, so the server stops with its last user.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from types import FrameType

# Any 64-bit number, the same in every process: `serve` and `worker` may start together and
# Django's migrate must not run twice at once.
MIGRATE_LOCK_ID = 0x7265666F726D6572


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    _exit_on_termination_signals()
    try:
        if argv[:1] == ["manage"]:  # before argparse, which would eat Django's own options
            _manage(argv[1:])
            return
        args = _parser().parse_args(argv)
        args.handler(args)
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        # Not left to atexit alone: this also runs when main() is called from other code.
        if (embedded_db := sys.modules.get("reformer.embedded_db")) is not None:
            embedded_db.release()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reformer", description="Reformer studio platform")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[[argparse.Namespace], None], summary: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.set_defaults(handler=handler)
        return sub

    serve = command("serve", _serve, "run the web server with its job worker")
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--no-worker", action="store_true", help="run no job worker (run `reformer worker`)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_WORKERS", "1")),
        metavar="N",
        help="web processes (HTTP and websockets); with more than one, the job worker runs "
        "in a process of its own and live updates travel through Redis (REDIS_URL)",
    )
    worker = command("worker", _worker, "run a job worker alone")
    worker.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="jobs run at once (default: WORKER_CONCURRENCY, else 4)",
    )
    backup = command("backup", _backup, "write the database and uploaded files to one file")
    backup.add_argument(
        "file", nargs="?", help="where to write it (default: reformer-<date>.tar in the cwd)"
    )
    restore = command("restore", _restore, "load a backup into an empty database")
    restore.add_argument("file", help="a file written by `reformer backup`")
    restore.add_argument(
        "--replace", action="store_true", help="delete the data already in the database first"
    )
    command("demo", _demo, "load the demo data")
    # Listed for --help only: main() hands `manage ...` to Django before parsing.
    commands.add_parser("manage", help="run a Django management command (`reformer manage help`)")
    return parser


def _exit_on_termination_signals() -> None:
    # By default SIGTERM and SIGHUP kill the process before atexit runs, leaving the embedded
    # PostgreSQL behind (the next start would adopt it, but it should stop now). uvicorn and
    # Procrastinate catch SIGTERM to stop gracefully, then restore this handler and raise the
    # signal again, which lands here. A stop on request exits with 0, as service managers
    # expect of a clean shutdown.
    def leave(signum: int, frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the cleanup short
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGHUP, leave)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")
    # The settings start the embedded database before Django configures logging (which then
    # replaces this handler): show where the data lives and how long the start took.
    logging.basicConfig(format="%(message)s")
    logging.getLogger("reformer.embedded_db").setLevel(logging.INFO)
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        # Wait as long as the other process migrates: the connection's 3 s lock_timeout is
        # for requests, and a slow (busy) machine can take longer than that to migrate.
        cursor.execute("SET lock_timeout = 0")
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATE_LOCK_ID])
        cursor.execute("RESET lock_timeout")
    try:
        call_command("migrate", interactive=False, verbosity=0)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_ID])


def _print_where() -> None:
    from django.conf import settings

    if settings.EMBEDDED_DATABASE:
        database = f"embedded PostgreSQL in {settings.DATA_DIR / 'postgres'}"
    else:
        database = "DATABASE_URL"
    print(f"Data folder: {settings.DATA_DIR} (database: {database})", flush=True)


def _print_demo_logins() -> None:
    from reformer.demo import demo_logins, newcomer_login

    print("Demo logins:")
    for role, email, password in demo_logins():
        print(f"  {role:<12} {email:<40} {password}")
    email, password = newcomer_login()  # a client with nothing done: the newcomer's path
    print(f"  {'newcomer':<12} {email:<40} {password}")


def _collect_static() -> None:
    """Hashed, gzipped copies of the static files in STATIC_ROOT (settings.STATIC_MANIFEST),
    collected again only when a source file changed since the last start."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    sources = sorted(
        (path, storage.path(path))
        for finder in get_finders()
        for path, storage in finder.list(["CVS", ".*", "*~"])
    )
    stamp = hashlib.sha256(
        "\n".join(f"{p}:{os.stat(full).st_mtime_ns}" for p, full in sources).encode()
    ).hexdigest()
    marker = Path(settings.STATIC_ROOT) / ".collected"
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists() and marker.exists() and marker.read_text() == stamp:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    marker.write_text(stamp)


def _serve(args: argparse.Namespace) -> None:
    if args.workers < 1:
        sys.exit("reformer serve: --workers must be 1 or more")
    if args.workers > 1:
        _require_redis(args.workers)
    os.environ.setdefault("DATABASE_POOL_SIZE", str(pool_per_process(args.workers)))
    os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "30000")
    os.environ.setdefault("REFORMER_STATIC_MANIFEST", "1")
    # Before the settings load; the web processes and the job worker inherit it.
    default_site_url(args.host, args.port, os.environ)
    _setup()
    _print_where()
    import threading

    # Collected beside the migration and the demo load (files, no database), done before
    # the first request.
    collecting = threading.Thread(target=_collect_static, name="collectstatic")
    collecting.start()
    from django.db import connection, connections

    # Migrations and the demo load may run longer than a request is allowed to.
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
    _migrate()
    if args.demo:
        from reformer.demo import load_demo
        from reformer.studios.models import Organization

        if Organization.objects.exists():
            print("The database already has organizations: the demo data is not loaded again.")
        else:
            load_demo(sys.stdout)
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")  # pooled: the next user gets the cap back
    connections.close_all()  # requests open their own; this one would only sit idle

    # Before the app is imported: WhiteNoise indexes STATIC_ROOT (and decides which files
    # are hashed, so cached for a year) when the middleware is built. A collect still
    # running then left files uncompressed and every file cached for 60 s.
    collecting.join()
    import uvicorn

    from reformer.asgi import IN_PROCESS_WORKER_ENV, application

    os.environ[IN_PROCESS_WORKER_ENV] = "0" if args.no_worker else "1"
    from django.conf import settings

    if settings.EMBEDDED_DATABASE:
        _watch_embedded_database(settings.DATA_DIR / "postgres")
    print(f"\nReformer is running at {served_url(args.host, args.port)}/")
    if args.workers > 1:
        print(
            f"{args.workers} web processes (database pool of "
            f"{settings.DATABASE_POOL_SIZE} each), "
            + ("no job worker" if args.no_worker else "the job worker in its own process")
        )
    if args.demo:
        _print_demo_logins()
    print(flush=True)
    if args.workers == 1:
        # uvicorn handles SIGINT/SIGTERM: it stops taking requests, closes connections, runs
        # the lifespan shutdown (which stops the job worker) and returns.
        uvicorn.run(
            application,
            host=args.host,
            port=args.port,
            ws="auto",
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        return
    # Several processes: each imports the app itself (uvicorn spawns them on one listening
    # socket); none runs the job worker in-process, a `reformer worker` child does.
    os.environ[IN_PROCESS_WORKER_ENV] = "0"
    job_worker = None if args.no_worker else JobWorkerProcess().start()
    try:
        uvicorn.run(
            "reformer.asgi:application",
            host=args.host,
            port=args.port,
            ws="auto",
            lifespan="on",
            workers=args.workers,
            # Websockets left open by browsers must not hold a stop up for ever.
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    finally:
        if job_worker is not None:
            job_worker.stop()


# After a stop is asked for, requests in flight get this long to finish (open websockets are
# then closed: their pages reconnect elsewhere and resync).
GRACEFUL_SHUTDOWN_SECONDS = 20

# PostgreSQL on this kind of machine (2 cores) does best with about this many busy
# connections in all; `serve --workers N` gives each web process an equal share.
CONNECTION_BUDGET = 16


def served_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for a server listening on host:port."""
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    return f"http://{shown_host}:{port}"


def default_site_url(host: str, port: int, environ: MutableMapping[str, str]) -> str:
    """Links in emails and texts (SITE_URL) point at this server unless SITE_URL is set.

    Without this, `serve --port 8712` mailed links to http://localhost:8000, where nothing
    answers. An explicit SITE_URL (the public name behind a proxy) always wins."""
    if not environ.get("SITE_URL"):
        environ["SITE_URL"] = served_url(host, port)
    return environ["SITE_URL"]


def pool_per_process(workers: int) -> int:
    """Each web process's pool, so that all of them together stay within the budget."""
    budget = int(os.environ.get("DATABASE_CONNECTION_BUDGET", CONNECTION_BUDGET))
    if workers == 1:
        return min(8, budget)
    return max(2, budget // workers)


def _require_redis(workers: int) -> None:
    """Several processes share live updates only through Redis: refuse to start without it,
    saying what to set, rather than serve pages that silently stop updating."""
    url = os.environ.get("REDIS_URL", "")
    intro = f"reformer serve --workers {workers}: live updates must reach every process"
    if not url:
        sys.exit(
            f"{intro}, which needs Redis. Set REDIS_URL (for example "
            "REDIS_URL=redis://127.0.0.1:6379/0) or run with --workers 1."
        )
    import importlib.util

    if importlib.util.find_spec("channels_redis") is None:
        sys.exit(f"{intro}, which needs the channels-redis package (uv sync installs it).")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except Exception as error:
        sys.exit(f"{intro}, but Redis at REDIS_URL={url} does not answer: {error}")


class JobWorkerProcess:
    """`reformer worker` as a child of a multi-process `serve`, restarted if it dies (with
    backoff: 1 s doubling to 30 s) until `stop()`."""

    def __init__(self) -> None:
        import threading

        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="job-worker", daemon=True)

    def start(self) -> JobWorkerProcess:
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> None:
        command = [sys.executable, "-c", "from reformer.cli import main; main()", "worker"]
        self.process = subprocess.Popen(command)

    def _supervise(self) -> None:
        logger = logging.getLogger("reformer.worker")
        delay = 1.0
        while not self._stopping.is_set():
            assert self.process is not None  # spawned before the thread starts
            code = self.process.wait()
            if self._stopping.is_set():
                return
            logger.error("the job worker exited with %s; restarting in %.0f s", code, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, 30.0)
            self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # the worker finishes or aborts its jobs, then exits
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


# The embedded server is looked at this often; after this many failed restarts in a row
# `serve` exits with EMBEDDED_DATABASE_LOST so that a supervisor restarts the whole thing.
EMBEDDED_WATCH_INTERVAL = 1.0
EMBEDDED_RESTART_ATTEMPTS = 5
EMBEDDED_DATABASE_LOST = 3


def _watch_embedded_database(pgdata: Path) -> None:
    """A thread that restarts the embedded PostgreSQL if it dies under a running `serve`.
    Meanwhile requests answer 503 with Retry-After (web/unavailable.py) and the job worker
    waits to reconnect (worker.py)."""
    import threading

    from reformer import embedded_db

    logger = logging.getLogger("reformer.embedded_db")

    def watch() -> None:
        failures = 0
        while True:
            time.sleep(EMBEDDED_WATCH_INTERVAL)  # a watchdog's beat, not a wait for a result
            try:
                if embedded_db.ensure_running(pgdata):
                    logger.warning("PostgreSQL in %s was restarted", pgdata)
                failures = 0
            except Exception:
                failures += 1
                logger.exception("Could not restart PostgreSQL (attempt %d)", failures)
                if failures >= EMBEDDED_RESTART_ATTEMPTS:
                    logger.critical("The embedded database cannot be restarted: exiting")
                    logging.shutdown()
                    os._exit(EMBEDDED_DATABASE_LOST)

    threading.Thread(target=watch, name="embedded-db-watchdog", daemon=True).start()


def _worker(args: argparse.Namespace) -> None:
    from reformer.worker import run_worker_supervised, standalone_concurrency

    try:
        concurrency = args.concurrency if args.concurrency is not None else standalone_concurrency()
    except ValueError:
        sys.exit("reformer worker: WORKER_CONCURRENCY must be a whole number, e.g. 4")
    if concurrency < 1:
        sys.exit("reformer worker: --concurrency (WORKER_CONCURRENCY) must be 1 or more")
    _setup()
    _print_where()
    _migrate()
    asyncio.run(run_worker_supervised(install_signal_handlers=True, concurrency=concurrency))


def _backup(args: argparse.Namespace) -> None:
    _setup()
    _print_where()
    from reformer.backup import BackupError, backup

    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = Path(args.file or f"reformer-{stamp}.tar").resolve()
    try:
        manifest = backup(target)
    except BackupError as error:
        sys.exit(f"reformer backup: {error}")
    rows = sum(manifest["row_counts"].values())
    print(f"Backup written to {target} ({len(manifest['row_counts'])} tables, {rows} rows)")


def _restore(args: argparse.Namespace) -> None:
    _setup()
    _print_where()
    from reformer.backup import BackupError, restore

    try:
        manifest = restore(Path(args.file), replace=args.replace)
    except BackupError as error:
        sys.exit(f"reformer restore: {error}")
    _migrate()  # a backup from an older version gets this version's migrations
    print(f"Restored the backup of {manifest['created_at']} from {args.file}")


def _demo(args: argparse.Namespace) -> None:
    _setup()
    _print_where()
    _migrate()
    from reformer.demo import load_demo

    load_demo(sys.stdout)
    _print_demo_logins()


def _manage(args: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reformer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["reformer manage", *args])

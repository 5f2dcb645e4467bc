"""Where the rush's time goes (bench/rush.py): CPU seconds by who spent them, the web
processes' event-loop lag, and what the server logged (why an answer was 503)."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from pathlib import Path

import psutil


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
        return times.user + times.system
    except psutil.Error:
        return 0.0


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def postmaster_of(url: str) -> int | None:
    """The PostgreSQL server's main process (the parent of a backend), when on this machine.
    The backend is looked up while its connection is open: it exits when the connection
    closes (looked up after, it was always gone, and PostgreSQL's CPU read as 0)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        try:
            return psutil.Process(int(row[0])).ppid() if row else None
        except psutil.Error:
            return None  # another machine (or another pid namespace)


def _server_cpu(postmaster: int) -> float:
    """CPU seconds of the server: its main process and its processes now running, plus
    those that ended (the main process waited for them: its children's times)."""
    try:
        root = psutil.Process(postmaster)
        times = root.cpu_times()
        ended = times.children_user + times.children_system
        return ended + _cpu(root) + sum(_cpu(child) for child in root.children(recursive=True))
    except psutil.Error:
        return 0.0


class CpuMeter:
    """CPU seconds between `start()` and `stop()`: the web processes (and their children),
    this benchmark's websocket clients (its main thread) and its booking threads, this
    checkout's PostgreSQL, and the whole machine (other users of the 2 cores included)."""

    def __init__(self, server_pid: int, postmaster: int | None) -> None:
        self.server_pid = server_pid
        self.postmaster = postmaster
        self.seen: dict[int, psutil.Process] = {}

    def _sample(self) -> dict[str, float]:
        # Processes are remembered: one that ended since the start still counts what it had.
        for process in _tree(self.server_pid):
            self.seen.setdefault(process.pid, process)
        server = sum(_cpu(p) for pid, p in self.seen.items())
        database = _server_cpu(self.postmaster) if self.postmaster else 0.0
        me = psutil.Process()
        main = threading.main_thread().native_id
        clients = sum(t.user_time + t.system_time for t in me.threads() if t.id == main)
        bookers = _cpu(me) - clients  # every other thread, ended ones included
        machine = psutil.cpu_times()
        busy = machine.user + machine.system + machine.nice + getattr(machine, "softirq", 0)
        return {
            "web": server,
            "clients": clients,
            "bookers": bookers,
            "postgres": database,
            "machine": busy,
        }

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        return {name: after[name] - self.before[name] for name in after}


def loop_lag(prefix: str, since: float, until: float) -> dict[int, tuple[float, float]]:
    """Per web process (pid): (p99, max) of its event loop's lag in seconds over [since,
    until] (reformer/web/loop_lag.py wrote the samples at its stop)."""
    found = {}
    for path in Path(prefix).parent.glob(f"{Path(prefix).name}.*"):
        samples = sorted(lag for at, lag in json.loads(path.read_text()) if since <= at <= until)
        path.unlink()
        if samples:
            p99 = samples[min(len(samples) - 1, round(len(samples) * 0.99))]
            found[int(path.suffix[1:])] = (p99, samples[-1])
    return found


def server_log(log: Path) -> Counter[str]:
    """What the server logged (LOG_LEVEL=WARNING), lines counted with numbers as N."""
    counts: Counter[str] = Counter()
    if not log.exists():
        return counts
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("INFO:"):
            continue  # uvicorn's access log
        counts[re.sub(r"\d+", "N", line.strip())[:160]] += 1
    return counts

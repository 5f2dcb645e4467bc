"""Lighthouse over the demo's main pages, each signed in as the role that uses it.

    uv run python bench/lighthouse.py [--port 8613] [--keep] [--url http://...] [--runs 1]
                                      [--only owner] [--save folder]

Starts `reformer serve --demo` (hashed, gzipped static files, as in production) on a data
folder of its own (var/lighthouse, created afresh unless --keep), signs each role in through
the login form (a real session cookie) and runs npm
`lighthouse` (bench/lighthouse/package-lock.json; `npm ci` there once) through
bench/lighthouse/run.mjs, which puts the session cookie into Debian's chromium
(CHROME_PATH=/usr/bin/chromium, headless, nothing downloaded) and runs Lighthouse in its
default mobile emulation
(Moto G Power screen, slow 4G and 4x CPU slowdown, simulated). Prints performance,
accessibility, best practices and SEO per page and, for every score under 95, Lighthouse's
own reasons (the audits that cost points). With --runs N the median of N runs is printed.

Pages: login (signed out), class browser and dashboard (client), roster (instructor, one of
today's classes) and owner dashboard (owner). Figures depend on the machine's load: print
`uptime` beside them. Not a test.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE_DIR = ROOT / "bench" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOAL = 95
DEMO_PASSWORD_ROLE = {"client", "instructor", "owner"}


def _demo_logins() -> dict[str, tuple[str, str]]:
    sys.path.insert(0, str(ROOT))
    from reformer.demo import demo_logins

    return {role: (email, password) for role, email, password in demo_logins()}


def start_server(port: int, data_dir: Path, keep: bool) -> subprocess.Popen:
    if data_dir.exists() and not keep:
        shutil.rmtree(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)  # a fresh worktree has no var/ yet
    env = {**os.environ, "REFORMER_DATA_DIR": str(data_dir)}
    log = open(data_dir.parent / "lighthouse-serve.log", "w")  # noqa: SIM115 (the server's)
    server = subprocess.Popen(
        ["uv", "run", "reformer", "serve", "--demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 600  # a fresh cluster, the migrations and the demo load
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"reformer serve stopped: see {log.name}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
            return server
        except OSError:
            time.sleep(1)
    server.terminate()
    sys.exit("reformer serve did not answer within 10 minutes")


class Session:
    """A signed-in browser's cookies, through the login form as a person would."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def login(self, email: str, password: str) -> None:
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=body, headers={"Referer": self.base + "/"}
        )
        self.opener.open(request, timeout=60).read()
        if not any(c.name == "sessionid" for c in self.jar):
            sys.exit(f"could not sign in as {email}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def first_roster_path(session: Session) -> str:
    """One of the instructor's classes of today (the schedule links them)."""
    for start in ("/staff/", "/staff/schedule/", "/"):
        html = session.get(start)
        found = re.search(r'href="(/staff/classes/\d+/)"', html)
        if found:
            return found.group(1)
    sys.exit("no class link found for the instructor")


def run_lighthouse(url: str, cookie: str | None, out: Path) -> dict:
    """One run through bench/lighthouse/run.mjs: Chromium gets the session cookie itself
    (the page's websocket and service worker need it too), then Lighthouse runs."""
    command = ["node", str(LIGHTHOUSE_DIR / "run.mjs"), url, str(out)]
    if cookie:
        command.append(cookie)
    env = {**os.environ, "CHROME_PATH": CHROME}
    subprocess.run(command, check=True, env=env, cwd=LIGHTHOUSE_DIR, timeout=600)
    return json.loads(out.read_text())


def scores(report: dict) -> dict[str, int]:
    return {name: round((report["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}


def reasons(report: dict, category: str) -> list[str]:
    """The audits that cost `category` points, heaviest first, as Lighthouse words them."""
    audits = report["audits"]
    lost = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        score = audit.get("score")
        if score is None or score >= 0.9 or ref["weight"] == 0:
            continue  # passed, informative only, or weighing nothing in the score
        detail = audit.get("displayValue") or ""
        title = f"{audit['title']} ({detail})" if detail else audit["title"]
        lost.append((ref["weight"] * (1 - score), title))
    return [text for _, text in sorted(lost, reverse=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8613)
    parser.add_argument("--keep", action="store_true", help="reuse var/lighthouse's data")
    parser.add_argument("--url", help="an already running demo server instead of starting one")
    parser.add_argument("--runs", type=int, default=1, help="runs per page (median printed)")
    parser.add_argument("--save", type=Path, help="folder to keep the JSON reports in")
    parser.add_argument(
        "--only", help="the pages whose name contains this (e.g. 'owner'), not all five"
    )
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"Lighthouse is not installed: cd {LIGHTHOUSE_DIR} && npm ci")

    server = None
    base = args.url
    if not base:
        server = start_server(args.port, ROOT / "var" / "lighthouse", args.keep)
        base = f"http://127.0.0.1:{args.port}"
    try:
        logins = _demo_logins()
        sessions: dict[str, Session] = {}
        for role in DEMO_PASSWORD_ROLE:
            sessions[role] = Session(base)
            sessions[role].login(*logins[role])
        pages = [
            ("Login", "/accounts/login/", None),
            ("Class browser", "/classes/", "client"),
            ("Client dashboard", "/dashboard/", "client"),
            ("Roster", first_roster_path(sessions["instructor"]), "instructor"),
            ("Owner dashboard", "/owner/", "owner"),
        ]
        if args.only:
            pages = [page for page in pages if args.only.lower() in page[0].lower()]
        folder = args.save or Path(tempfile.mkdtemp(prefix="lighthouse-"))
        folder.mkdir(parents=True, exist_ok=True)
        print(f"Lighthouse (mobile emulation) against {base}; load: {os.getloadavg()[0]:.1f}")
        print(f"{'page':<18} {'role':<11} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5}")
        gaps: list[str] = []
        for name, path, role in pages:
            cookie = sessions[role].cookie_header() if role else None
            runs = []
            for run in range(args.runs):
                slug = re.sub(r"\W+", "-", name.lower())
                runs.append(run_lighthouse(base + path, cookie, folder / f"{slug}-{run}.json"))
            medians = {c: int(statistics.median(scores(r)[c] for r in runs)) for c in CATEGORIES}
            print(
                f"{name:<18} {role or '-':<11} " + " ".join(f"{medians[c]:>5}" for c in CATEGORIES),
                flush=True,
            )
            # The reasons of the run whose performance is the median (the scores vary most).
            final = sorted(runs, key=lambda r: scores(r)["performance"])[len(runs) // 2]
            if final.get("finalDisplayedUrl", "").rstrip("/") != (base + path).rstrip("/"):
                gaps.append(f"{name}: ended on {final.get('finalDisplayedUrl')}")
            for category in CATEGORIES:
                if medians[category] < GOAL:
                    for reason in reasons(final, category)[:5]:
                        gaps.append(f"{name} / {category}: {reason}")
        print(f"Reports: {folder}")
        if gaps:
            print(f"\nBelow {GOAL}, in Lighthouse's words:")
            for gap in gaps:
                print(f"  {gap}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)


if __name__ == "__main__":
    main()

"""`reformer serve` links emails and texts to the address it listens on unless SITE_URL is set."""

from __future__ import annotations

import argparse

import pytest

from reformer import cli


def test_links_follow_the_served_host_and_port():
    environ: dict[str, str] = {}
    assert cli.default_site_url("127.0.0.1", 8712, environ) == "http://127.0.0.1:8712"
    assert environ["SITE_URL"] == "http://127.0.0.1:8712"
    assert cli.default_site_url("0.0.0.0", 9000, {}) == "http://127.0.0.1:9000"
    assert cli.default_site_url("::1", 9000, {}) == "http://[::1]:9000"


def test_an_explicit_site_url_wins():
    environ = {"SITE_URL": "https://studio.example.com"}
    assert cli.default_site_url("127.0.0.1", 8712, environ) == "https://studio.example.com"
    assert environ["SITE_URL"] == "https://studio.example.com"


def test_serve_sets_it_before_the_settings_load(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    seen: dict[str, str] = {}

    class Stop(Exception):
        pass

    def setup() -> None:  # the settings would read SITE_URL here
        seen["SITE_URL"] = cli.os.environ.get("SITE_URL", "")
        raise Stop

    monkeypatch.setattr(cli, "_setup", setup)
    for name in ("DATABASE_POOL_SIZE", "DATABASE_STATEMENT_TIMEOUT_MS"):
        monkeypatch.setenv(name, cli.os.environ.get(name, "1"))
    monkeypatch.setenv(
        "REFORMER_STATIC_MANIFEST", cli.os.environ.get("REFORMER_STATIC_MANIFEST", "1")
    )
    args = argparse.Namespace(workers=1, host="127.0.0.1", port=8712, demo=True, no_worker=False)
    with pytest.raises(Stop):
        cli._serve(args)
    assert seen["SITE_URL"] == "http://127.0.0.1:8712"

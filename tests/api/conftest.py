"""API fixtures: a key acting as each member of both tenants, and a client for requests."""

from __future__ import annotations

import pytest
from django.test import Client

from reformer.api.keys import SCOPES, create_api_key

ALL_SCOPES = sorted(SCOPES)


@pytest.fixture
def api_client() -> Client:
    return Client()


def key_for(tenant, role: str, scopes=ALL_SCOPES, **options) -> str:
    """A key created by the tenant's owner, acting as the member with `role`."""
    member = tenant.members[role]
    return create_api_key(
        tenant.owner, name=f"{role} key", scopes=list(scopes), acts_as=member, **options
    ).secret


class Api:
    """Requests with a key: api.get("/classes"), api.post("/bookings", {...})."""

    def __init__(self, client: Client, key: str | None) -> None:
        self.client = client
        self.key = key

    def _headers(self, headers: dict | None) -> dict:
        merged = dict(headers or {})
        if self.key:
            merged["Authorization"] = f"Bearer {self.key}"
        return merged

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(self, path: str, body: dict | None = None, headers: dict | None = None):
        return self.client.post(
            f"/api/v1{path}",
            body or {},
            content_type="application/json",
            headers=self._headers(headers),
        )


@pytest.fixture
def api_as(world, api_client):
    """api_as("a", "owner") -> an Api using a key acting as alpha's owner."""

    def make(side: str, role: str, scopes=ALL_SCOPES, **options) -> Api:
        tenant = getattr(world, side)
        return Api(api_client, key_for(tenant, role, scopes, **options))

    return make

from __future__ import annotations

import pytest


@pytest.fixture
def login_as(client):
    def _login(member_or_user):
        client.force_login(getattr(member_or_user, "user", member_or_user))
        return client

    return _login

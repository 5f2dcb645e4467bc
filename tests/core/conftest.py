from __future__ import annotations

import pytest

from tests.scheduling.helpers import NOW


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The `world` fixture makes eleven users; PBKDF2 would spend seconds hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def frozen(time_machine):
    """Stop the clock at helpers.NOW."""
    time_machine.move_to(NOW, tick=False)
    return NOW

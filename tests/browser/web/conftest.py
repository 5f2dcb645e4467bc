import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default PBKDF2 costs ~0.2 s per user; the world fixture makes ten users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

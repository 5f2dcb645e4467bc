import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """The feed rate limit counts in the cache; each test starts at zero."""
    cache.clear()
    yield
    cache.clear()

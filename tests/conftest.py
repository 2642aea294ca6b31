import os

import pytest


def pytest_collection_modifyitems(config, items):
    """Tests marked `worker` need a real Celery worker and broker (CI's second pass)."""
    if os.environ.get("CELERY_BROKER_URL"):
        return
    skip_worker = pytest.mark.skip(reason="needs CELERY_BROKER_URL and a running Celery worker")
    for item in items:
        if "worker" in item.keywords:
            item.add_marker(skip_worker)


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Rate limits and caches must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

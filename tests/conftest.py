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


@pytest.fixture(autouse=True)
def _eager_celery_unless_worker_test(request):
    """Tasks run in-process, except in tests marked `worker`, which prove the real worker runs them.

    In CI's second pass CELERY_BROKER_URL points at Redis; without this, a task queued by an
    ordinary test would run later in the worker, against whatever the database then holds.
    """
    from portal.celery import app

    eager = "worker" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _small_sensor_demo(settings):
    """`load_demo` in other apps' tests loads the sensor project and kits without 30 days of
    readings; the sensors demo's own tests load readings themselves."""
    settings.SENSORS_DEMO_DAYS = 0


@pytest.fixture(autouse=True)
def _private_media_outside_the_working_tree(request, settings, tmp_path_factory):
    """Private files that tests write (e.g. the proposal attachments of the challenges demo,
    which `load_demo` loads in several apps' tests) go to pytest's temporary directory, never to
    the working tree's private_media/. The storage reads the setting when it writes. Not for
    tests with the real Celery worker: it writes where its own settings say (the default)."""
    if request.node.get_closest_marker("worker"):
        return
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "private_media")

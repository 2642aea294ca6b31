"""Settings come from the environment: check what a deployment would get."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _settings(names, **env_overrides):
    code = (
        "import json, os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings';"
        "django.setup(); from django.conf import settings;"
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))"
    )
    env = {**os.environ, **env_overrides}
    for name in ("DATABASE_URL", "EMAIL_BACKEND", "EMAIL_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        if name not in env_overrides:
            env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_defaults_are_the_embedded_development_set_up():
    values = _settings(["EMAIL_BACKEND", "CELERY_TASK_ALWAYS_EAGER", "DIGID_MODE", "CACHES"])

    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["DIGID_MODE"] == "mock"
    assert "LocMemCache" in values["CACHES"]["default"]["BACKEND"]


def test_smtp_comes_from_email_url():
    values = _settings(
        ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS"],
        EMAIL_URL="smtp+tls://mailer:geheim@smtp.gemeente.example:587",
    )

    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.gemeente.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_USE_TLS": True,
    }


def test_redis_and_a_broker_switch_cache_and_tasks_to_the_real_services():
    values = _settings(
        ["CACHES", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"],
        REDIS_URL="redis://cache.example:6379/0",
        CELERY_BROKER_URL="redis://broker.example:6379/1",
    )

    assert values["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.example:6379/0",
    }
    assert values["CELERY_BROKER_URL"] == "redis://broker.example:6379/1"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False

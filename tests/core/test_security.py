import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-" + "k" * 60,
    "BSN_PSEUDONYM_SECRET": "test-pepper",
    "DIGID_MODE": "saml",
    "DJANGO_ALLOWED_HOSTS": "stadsmakers.example",
}


def _manage(*args, env_overrides):
    env = {**os.environ, **env_overrides}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests; check --deploy flags it
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}
    env["DJANGO_SECRET_KEY"] = ""

    result = _manage("check", env_overrides=env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_cookies_are_secure_and_hsts_is_on():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0)"
    )
    env = {**os.environ, **PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )

    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_admin_sends_anonymous_visitors_to_the_email_login(client):
    response = client.get("/beheer/")

    assert response.status_code == 302
    assert response.url.startswith("/beheer/login/")
    follow = client.get(response.url)
    assert follow.status_code == 302
    assert follow.url.startswith("/account/login/")


def test_admin_refuses_logged_in_non_staff(client, django_user_model):
    user = django_user_model.objects.create_user(email="burger@example.nl", password="x" * 12)
    client.force_login(user)

    response = client.get("/beheer/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/beheer/login/")
    assert "burger@example.nl" in response.content.decode()  # "authenticated as ..., no access"
    assert b'href="/beheer/accounts/' not in response.content


def test_admin_opens_for_staff(client, django_user_model):
    staff = django_user_model.objects.create_user(
        email="beheer@example.nl", password="x" * 12, is_staff=True
    )
    client.force_login(staff)

    response = client.get("/beheer/")

    assert response.status_code == 200

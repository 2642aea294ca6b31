"""DigiD modes: the mock refuses to run without DEBUG; SAML mode boots and records the level."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from digid_eherkenning.choices import DigiDAssuranceLevels
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import path, reverse

import portal.urls
from portal.accounts.assurance import SESSION_KEY
from portal.accounts.digid_views import (
    DigiDSamlAssertionConsumerServiceView,
    DigiDSamlLoginView,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()

urlpatterns = portal.urls.urlpatterns + [
    path("test/saml/login/", DigiDSamlLoginView.as_view()),
    path("test/saml/acs/", DigiDSamlAssertionConsumerServiceView.as_view()),
]


def run_python(code: str, **env):
    """Run Python in a fresh process with the project's settings and exactly these overrides."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DIGID_", "BSN_"))
    }
    clean.update(DJANGO_SETTINGS_MODULE="portal.settings", **env)
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x",
    "BSN_PSEUDONYM_SECRET": "y",
    "DJANGO_ALLOWED_HOSTS": "stadsmakers.example",
}


def test_mock_refuses_to_start_without_debug():
    result = run_python(
        "import django; django.setup()", **dict(PRODUCTION, DIGID_MODE="mock")
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "The DigiD mock may only run with DJANGO_DEBUG on." in result.stderr


def test_production_defaults_to_saml_and_it_boots():
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "from django.urls import resolve, reverse\n"
        "call_command('check')\n"
        "print(settings.DIGID_MODE)\n"
        "print(reverse('digid:login'), reverse('digid:acs'), reverse('digid:logout'))\n"
        "print(resolve('/digid/acs/').func.view_class.__name__)\n"
        "print(settings.AUTHENTICATION_BACKENDS[-1])\n"
    )
    result = run_python(code, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-4:] == [
        "saml",
        "/digid/login/ /digid/acs/ /digid/logout/",
        "DigiDSamlAssertionConsumerServiceView",
        "digid_eherkenning.backends.DigiDBackend",
    ]


def test_unknown_saml_level_is_refused():
    result = run_python(
        "import django; django.setup()", **dict(PRODUCTION, DIGID_SAML_LOA="ultra")
    )

    assert result.returncode != 0
    assert "DIGID_SAML_LOA must be" in result.stderr


@pytest.mark.parametrize(
    ("level", "urn"),
    [
        ("basis", DigiDAssuranceLevels.base),
        ("midden", DigiDAssuranceLevels.middle),
        ("substantieel", DigiDAssuranceLevels.substantial),
        ("hoog", DigiDAssuranceLevels.high),
    ],
)
def test_saml_login_requests_the_configured_level(settings, level, urn):
    settings.DIGID_SAML_LOA = level

    assert DigiDSamlLoginView().get_level_of_assurance() == urn


def test_saml_login_without_configuration_is_a_clean_503(client):
    response = client.get("/test/saml/login/")

    assert response.status_code == 503
    assert "digid-error" in response.content.decode()


@pytest.fixture
def fake_saml_authenticate(monkeypatch):
    """Stand in for the library's artifact resolution against Logius."""
    resident = User.digid_objects.digid_create("999990019")
    outcome = {"user": resident}

    def authenticate(request=None, **credentials):
        assert credentials.get("digid") is True
        user = outcome["user"]
        if user is not None:
            user.backend = "portal.accounts.backends.DigiDMockBackend"
        return user

    monkeypatch.setattr(auth, "authenticate", authenticate)
    return outcome


def test_saml_acs_records_configured_level_and_source(client, settings, fake_saml_authenticate):
    settings.DIGID_SAML_LOA = "substantieel"

    response = client.get("/test/saml/acs/", {"SAMLart": "abc", "RelayState": "/ideeen/"})

    assert response.status_code == 302
    assert response["Location"] == "/ideeen/"
    assert client.session["_auth_user_id"] == str(fake_saml_authenticate["user"].pk)
    assert client.session[SESSION_KEY] == "substantieel"
    assert client.session["auth_source"] == "digid"


def test_failed_saml_login_records_nothing(client, fake_saml_authenticate):
    fake_saml_authenticate["user"] = None

    response = client.get("/test/saml/acs/", {"SAMLart": "abc"})

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["error"]
    assert "_auth_user_id" not in client.session
    assert SESSION_KEY not in client.session

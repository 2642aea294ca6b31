"""Levels of assurance: the decorator, the DRF permission, and the DigiD session's lifetime."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

import portal.urls
from portal.accounts.assurance import SESSION_KEY
from portal.accounts.decorators import assurance_permission, assurance_required

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

User = get_user_model()


@assurance_required("midden")
def midden_view(request):
    return HttpResponse(f"level={request.user.assurance_level}")


class MiddenApi(APIView):
    permission_classes = [assurance_permission("midden")]

    def get(self, request):
        return Response({"ok": True})


def level_view(request):
    return HttpResponse(f"level={request.user.assurance_level}")


def verified_view(request):
    from portal.accounts.rules import is_verified_resident

    return HttpResponse(f"verified={is_verified_resident(request.user)}")


urlpatterns = portal.urls.urlpatterns + [
    path("test/midden/", midden_view),
    path("test/api/midden/", MiddenApi.as_view()),
    path("test/level/", level_view),
    path("test/verified/", verified_view),
]


@pytest.fixture
def client():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def digid_login(client, *, resident="jan", level="midden"):
    acs = client.post("/digid/idp/", {"resident": resident, "level": level, "next": ""})
    response = client.get(acs["Location"])
    assert response.status_code == 302
    return response


def test_midden_lets_midden_and_higher_through(client):
    for level in ["midden", "substantieel", "hoog"]:
        digid_login(client, level=level)

        response = client.get("/test/midden/")

        assert response.status_code == 200
        assert response.content.decode() == f"level={level}"


def test_midden_refuses_basis_with_redirect_to_digid_and_message(client):
    digid_login(client, level="basis")

    response = client.get("/test/midden/?x=1", follow=True)

    assert response.redirect_chain[0] == ("/digid/login/?next=/test/midden/%3Fx%3D1", 302)
    assert "This needs DigiD level Midden or higher; you logged in with level Basis." in (
        response.content.decode()
    )


def test_anonymous_is_sent_to_digid_login_with_next_and_message(client):
    response = client.get("/test/midden/", follow=True)

    assert response.redirect_chain[0] == ("/digid/login/?next=/test/midden/", 302)
    assert "Log in with DigiD (level Midden or higher) to do this." in response.content.decode()


def test_stepping_up_returns_to_the_action(client):
    digid_login(client, level="basis")
    login = client.get("/test/midden/")["Location"]
    idp = client.get(login)["Location"]
    next_url = client.get(idp).context["form"].initial["next"]

    acs = client.post("/digid/idp/", {"resident": "jan", "level": "midden", "next": next_url})
    response = client.get(acs["Location"])

    assert response["Location"] == "/test/midden/"
    assert client.get("/test/midden/").status_code == 200


def test_email_account_gets_403_explaining_digid_is_needed(client):
    staff = User.objects.create_user(email="ambtenaar@gemeente.example", password="x" * 12)
    client.force_login(staff)

    response = client.get("/test/midden/")

    assert response.status_code == 403
    assert "Only residents who logged in with DigiD (level Midden or higher)" in (
        response.content.decode()
    )


def test_api_permission_refuses_basis_and_anonymous_and_allows_midden(client):
    assert client.get("/test/api/midden/").status_code in {401, 403}
    digid_login(client, level="basis")
    refused = client.get("/test/api/midden/")
    assert refused.status_code == 403
    assert "level Midden or higher" in refused.content.decode()

    digid_login(client, level="midden")

    assert client.get("/test/api/midden/").json() == {"ok": True}


def test_request_user_has_no_level_outside_digid(client):
    assert client.get("/test/level/").content.decode() == "level=None"
    staff = User.objects.create_user(email="staff@gemeente.example", password="x" * 12)
    client.force_login(staff)
    assert client.get("/test/level/").content.decode() == "level=None"


def test_request_user_has_the_digid_level(client):
    digid_login(client, level="substantieel")

    assert client.get("/test/level/").content.decode() == "level=substantieel"


def _age_session(client, seconds):
    session = client.session
    session["digid_last_activity"] -= seconds
    session.save()


def test_session_expires_after_inactivity_with_a_message(client):
    digid_login(client, level="midden")
    _age_session(client, settings.DIGID_SESSION_AGE + 1)

    response = client.get("/test/level/")

    assert response.content.decode() == "level=None"
    assert "_auth_user_id" not in client.session
    assert SESSION_KEY not in client.session
    home = client.get("/")
    assert "Your DigiD session has expired. Please log in again to continue." in (
        home.content.decode()
    )
    assert 'data-testid="user-name"' not in home.content.decode()


def test_session_slides_on_each_request(client):
    digid_login(client, level="midden")
    age = settings.DIGID_SESSION_AGE
    _age_session(client, age - 5)
    assert client.get("/test/level/").content.decode() == "level=midden"

    # The request above restarted the clock: another almost-full period of quiet is fine.
    _age_session(client, age - 5)

    assert client.get("/test/level/").content.decode() == "level=midden"
    assert client.session["_auth_user_id"]


def test_digid_session_cookie_expires_too(client):
    digid_login(client)

    assert client.session.get_expiry_age() == settings.DIGID_SESSION_AGE


def test_email_sessions_do_not_expire_after_digid_age(client):
    staff = User.objects.create_user(email="staff@gemeente.example", password="x" * 12)
    client.force_login(staff)
    session = client.session
    session["digid_last_activity"] = 0  # ignored: not a DigiD session
    session.save()

    client.get("/test/level/")

    assert client.session["_auth_user_id"] == str(staff.pk)


@pytest.mark.parametrize(
    ("level", "verified"),
    [("basis", False), ("midden", True), ("substantieel", True), ("hoog", True)],
)
def test_rules_see_the_session_level(client, level, verified):
    digid_login(client, level=level)

    assert client.get("/test/verified/").content.decode() == f"verified={verified}"


def test_rules_see_no_level_after_expiry(client):
    digid_login(client, level="hoog")
    _age_session(client, settings.DIGID_SESSION_AGE + 1)

    assert client.get("/test/verified/").content.decode() == "verified=False"

"""Error pages: friendly text, the right status, and a 500 page that needs no database."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import RequestFactory, override_settings
from django.urls import path

from portal import urls as portal_urls
from portal.core import views

pytestmark = pytest.mark.django_db


def _raise_suspicious(request):
    raise SuspiciousOperation("bad input")


def _raise_permission_denied(request):
    raise PermissionDenied


def _raise_not_found(request):
    raise Http404


def _raise_error(request):
    raise RuntimeError("boom")


# This module doubles as a URLconf: the real site's URLs and error handlers, plus views that fail.
handler400 = portal_urls.handler400
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500
urlpatterns = [
    path("test-fout/400/", _raise_suspicious),
    path("test-fout/403/", _raise_permission_denied),
    path("test-fout/404/", _raise_not_found),
    path("test-fout/500/", _raise_error),
    *portal_urls.urlpatterns,
]

ERROR_URLCONF = pytest.mark.urls("tests.core.test_errors")


def _english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


@override_settings(DEBUG=False)
def test_unknown_url_gives_friendly_404_page(client):
    _english(client)

    response = client.get("/bestaat-niet/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html
    assert "This page does not exist, or it has moved." in html
    assert '<a href="/">Go to the home page</a>' in html
    assert '<nav class="site-nav"' in html


@ERROR_URLCONF
@override_settings(DEBUG=False)
def test_http404_raised_by_a_view_gives_404_page(client):
    response = client.get("/test-fout/404/")

    assert response.status_code == 404
    assert 'class="error-page"' in response.content.decode()


@ERROR_URLCONF
@override_settings(DEBUG=False)
def test_suspicious_request_gives_400_page(client):
    _english(client)

    response = client.get("/test-fout/400/")

    html = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Something is wrong with the request</h1>" in html
    assert "Nothing has been saved." in html
    assert '<a href="/">Go to the home page</a>' in html


@ERROR_URLCONF
@override_settings(DEBUG=False)
def test_permission_denied_gives_403_page_with_login_link_for_visitors(client):
    _english(client)

    response = client.get("/test-fout/403/")

    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>You do not have access to this page</h1>" in html
    assert '<li><a href="/inloggen/">Log in</a> and try again.</li>' in html
    assert '<a href="/">Go to the home page</a>' in html


@ERROR_URLCONF
@override_settings(DEBUG=False)
def test_403_page_in_dutch_keeps_the_login_link_inside_one_translated_sentence(client):
    response = client.get("/test-fout/403/")

    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="nl">' in html
    assert "<h1>Je hebt geen toegang tot deze pagina</h1>" in html
    assert '<li><a href="/inloggen/">Log in</a> en probeer het opnieuw.</li>' in html
    assert '<a href="/">Naar de startpagina</a>' in html


@override_settings(DEBUG=False)
def test_unknown_url_gives_friendly_404_page_in_dutch(client):
    response = client.get("/bestaat-niet/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Pagina niet gevonden</h1>" in html
    assert "Deze pagina bestaat niet of is verplaatst." in html
    assert '<a href="/">Naar de startpagina</a>' in html


@ERROR_URLCONF
@override_settings(DEBUG=False)
def test_unhandled_exception_gives_standalone_500_page(client):
    client.raise_request_exception = False
    _english(client)

    response = client.get("/test-fout/500/")

    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="en">' in html
    assert "<h1>Something went wrong</h1>" in html
    assert "It is not your fault." in html
    assert '<a href="/">Go to the home page</a>' in html
    assert "boom" not in html
    assert '<nav class="site-nav"' not in html


def test_500_page_renders_without_database_or_user(django_assert_num_queries):
    request = RequestFactory().get("/")  # no session, no user attribute at all

    with django_assert_num_queries(0):
        response = views.server_error(request)

    assert response.status_code == 500
    assert "Stadsmakers" in response.content.decode()


def test_500_page_renders_while_database_is_down(monkeypatch):
    from django.db import connection

    def database_down(*args, **kwargs):
        raise AssertionError("the 500 page touched the database")

    monkeypatch.setattr(connection, "cursor", database_down)
    monkeypatch.setattr(connection, "ensure_connection", database_down)

    response = views.server_error(RequestFactory().get("/"))

    assert response.status_code == 500


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (views.bad_request, 400),
        (views.permission_denied, 403),
        (views.page_not_found, 404),
    ],
)
def test_error_handlers_return_their_status_and_link_home(rf, handler, status):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/ergens/")
    request.user = AnonymousUser()

    response = handler(request, Exception("detail that must not be shown"))

    html = response.content.decode()
    assert response.status_code == status
    assert '<a href="/">' in html
    assert "detail that must not be shown" not in html

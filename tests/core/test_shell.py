import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AREAS = [
    ("/ideeen/", "area-ideas", "Ideeën", "Ideas"),
    ("/uitdagingen/", "area-challenges", "Uitdagingen", "Challenges"),
    ("/sensoren/", "area-sensors", "Sensoren", "Sensors"),
    ("/registers/", "area-registers", "Registers", "Registers"),
    ("/mijn-gegevens/", "area-my-data", "Mijn gegevens", "My data"),
]


def _nav(html: str) -> str:
    match = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert match, "main navigation missing"
    return match.group(0)


def _english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


@pytest.mark.parametrize(("path", "url_name", "_nl", "_en"), AREAS)
def test_area_url_names_resolve_to_dutch_paths(path, url_name, _nl, _en):
    assert reverse(url_name) == path


# /ideeen/ is the list of ideas now (tests/ideas/test_pages_public.py), /sensoren/ the list of
# sensor projects (tests/sensors/test_projects.py), /uitdagingen/ the list of challenges
# (tests/challenges/test_pages_public.py).
@pytest.mark.parametrize("path", ["/registers/"])
def test_public_area_page_explains_itself_and_says_it_is_being_built(client, path):
    _english(client)

    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert "What you will be able to do here" in html
    assert "Coming soon" in html
    assert "It does not work yet." in html


# /ideeen/ is the list of ideas now (tests/ideas/test_pages_public.py), /sensoren/ the list of
# sensor projects (tests/sensors/test_projects.py), /uitdagingen/ the list of challenges
# (tests/challenges/test_pages_public.py).
@pytest.mark.parametrize("path", ["/registers/"])
def test_public_area_page_explains_itself_in_dutch_by_default(client, path):
    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<a class="skip-link" href="#main">Ga direct naar de inhoud</a>' in html
    assert "<h2>Wat je hier straks kunt doen</h2>" in html
    assert "Binnenkort beschikbaar" in html
    assert "Het werkt nog niet." in html


def test_my_data_sends_visitors_to_the_login_choice_page(client):
    response = client.get("/mijn-gegevens/")

    assert response.status_code == 302
    assert response["Location"] == "/inloggen/?next=/mijn-gegevens/"


def test_my_data_shows_for_logged_in_user(client):
    # The page itself is portal/consent's (tests/consent/test_personal_data.py).
    client.force_login(UserFactory())
    _english(client)

    response = client.get("/mijn-gegevens/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>My data</h1>" in html
    assert "Download all your data in one file." in html


def test_my_data_has_a_dutch_heading_by_default(client):
    client.force_login(UserFactory())

    html = client.get("/mijn-gegevens/").content.decode()

    assert "<h1>Mijn gegevens</h1>" in html


def test_my_data_is_marked_current_page(client):
    client.force_login(UserFactory())
    _english(client)

    nav = _nav(client.get("/mijn-gegevens/").content.decode())

    current = re.findall(r'<a class="site-nav__link" href="([^"]+)" aria-current="page">', nav)
    assert current == ["/mijn-gegevens/"]
    assert nav.count("aria-current") == 1


def test_navigation_lists_the_five_areas_in_order(client):
    _english(client)

    nav = _nav(client.get("/").content.decode())

    labels = re.findall(r'class="site-nav__link"[^>]*>([^<]+)</a>', nav)
    assert labels == [en for *_, en in AREAS]
    assert "aria-current" not in nav


def test_navigation_lists_the_five_areas_in_dutch_by_default(client):
    nav = _nav(client.get("/").content.decode())

    labels = re.findall(r'class="site-nav__link"[^>]*>([^<]+)</a>', nav)
    assert labels == [nl for _path, _name, nl, _en in AREAS]


@pytest.mark.parametrize(("path", "_name", "_nl", "label"), AREAS[:4])
def test_active_area_is_marked_current_page(client, path, _name, _nl, label):
    _english(client)

    nav = _nav(client.get(path).content.decode())

    current = re.findall(r'<a class="site-nav__link" href="([^"]+)" aria-current="page">', nav)
    assert current == [path]
    assert nav.count("aria-current") == 1


def test_navigation_marks_area_current_on_deeper_pages_of_the_area():
    from portal.core.context_processors import main_nav

    items = main_nav("/ideeen/some-idea/")

    assert [(item["url"], item["current"]) for item in items] == [
        ("/ideeen/", "true"),
        ("/uitdagingen/", ""),
        ("/sensoren/", ""),
        ("/registers/", ""),
        ("/mijn-gegevens/", ""),
    ]


def test_shell_has_skip_link_first_and_landmarks(client):
    html = client.get("/").content.decode()

    body = html.split("<body>", 1)[1]
    focusable = r"<(a|button|input(?! type=\"hidden\")|select|textarea)\b[^>]*>"
    first_focusable = re.search(focusable, body)
    assert first_focusable.group(0) == '<a class="skip-link" href="#main">'
    assert '<main id="main" tabindex="-1"' in html
    for landmark in ("<header", "<nav", "<footer"):
        assert landmark in html


def test_anonymous_header_offers_login(client):
    html = client.get("/").content.decode()

    assert f'href="{reverse("login")}"' in html
    assert 'data-testid="user-name"' not in html


def test_logged_in_header_shows_escaped_name_and_logout_form(client):
    client.force_login(UserFactory(display_name="<script>alert(1)</script> Jan"))

    html = client.get("/").content.decode()

    assert (
        '<a class="user-name" href="/mijn-account/" data-testid="user-name">'
        "&lt;script&gt;alert(1)&lt;/script&gt; Jan</a>"
    ) in html
    assert "<script>alert(1)</script>" not in html
    assert f'<form method="post" action="{reverse("logout")}">' in html


def test_footer_links_to_api_docs_accessibility_and_privacy(client):
    _english(client)

    html = client.get("/").content.decode()

    footer = html.split('<footer class="site-footer">', 1)[1]
    assert 'href="/api/v1/docs/"' in footer
    assert 'href="/toegankelijkheid/"' in footer
    assert 'href="/privacy/"' in footer
    assert "open source software" in footer


def test_accessibility_statement_is_honest_about_its_status(client):
    _english(client)

    response = client.get("/toegankelijkheid/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "WCAG 2.1 level AA" in html
    assert "An independent expert has not yet checked it." in html


def test_privacy_page_explains_bsn_pseudonym_and_logging(client):
    _english(client)

    response = client.get("/privacy/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "We do not store it." in html
    assert "pseudonym" in html
    assert "Your BSN never appears in these logs." in html


def test_default_language_is_dutch(client):
    html = client.get("/").content.decode()

    assert '<html lang="nl">' in html
    assert 'value="en" lang="en">English</button>' in html


def test_language_switch_to_english_renders_next_page_in_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/ideeen/"})

    assert response.status_code == 302
    assert response["Location"] == "/ideeen/"
    html = client.get("/ideeen/").content.decode()
    assert '<html lang="en">' in html
    assert 'value="nl" lang="nl">Nederlands</button>' in html


def test_title_names_page_and_site(client):
    _english(client)

    html = client.get("/sensoren/").content.decode()

    assert "<title>Sensors · Stadsmakers</title>" in html


def test_title_names_page_and_site_in_dutch(client):
    html = client.get("/sensoren/").content.decode()

    assert "<title>Sensoren · Stadsmakers</title>" in html


@pytest.mark.parametrize("path", ["/", "/ideeen/", "/privacy/", "/toegankelijkheid/"])
def test_shell_pages_load_no_external_assets(client, path):
    html = client.get(path).content.decode()

    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []
    assert "<style" not in html
    assert " style=" not in html


def test_stylesheet_uses_no_external_fonts_or_urls():
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/site.css"), encoding="utf-8").read()

    assert "@import" not in css
    assert "@font-face" not in css
    assert "http" not in css.replace("a[href^=\"http\"]", "")
    assert "prefers-reduced-motion" in css
    assert "@media print" in css

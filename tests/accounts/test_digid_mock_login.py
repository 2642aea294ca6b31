"""The embedded DigiD mock: IdP page -> one-time artifact -> ACS -> logged in with a level."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from portal.accounts import digid_mock
from portal.accounts.assurance import SESSION_KEY
from portal.accounts.pseudonyms import bsn_pseudonym

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def client():
    """English UI, so the assertions read the msgids whatever the Dutch catalogue says."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def idp_post(client, **data):
    data.setdefault("next", "")
    return client.post("/digid/idp/", data)


def test_login_start_sends_browser_to_mock_idp_with_next(client):
    response = client.get("/digid/login/", {"next": "/ideeen/"})

    assert response.status_code == 302
    assert response["Location"] == "/digid/idp/?next=%2Fideeen%2F"


def test_mock_idp_page_is_clearly_a_test_page_and_lists_test_residents(client):
    response = client.get("/digid/idp/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Test environment – not the real DigiD" in html
    for resident in digid_mock.TEST_RESIDENTS:
        assert resident.name in html


def test_test_residents_have_valid_bsns_and_levels():
    from digid_eherkenning.validators import BSNValidator

    assert len({r.bsn for r in digid_mock.TEST_RESIDENTS}) == len(digid_mock.TEST_RESIDENTS)
    for resident in digid_mock.TEST_RESIDENTS:
        BSNValidator()(resident.bsn)
        assert resident.level in {"basis", "midden", "substantieel", "hoog"}


def test_idp_redirects_to_acs_with_only_an_artifact_and_next(client):
    response = idp_post(client, resident="fatima", level="midden", next="/ideeen/")

    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.path == "/digid/acs/"
    query = parse_qs(url.query)
    assert set(query) == {"SAMLart", "next"}
    assert query["next"] == ["/ideeen/"]
    assert "999991772" not in response["Location"]


@pytest.mark.parametrize("level", ["basis", "midden", "substantieel", "hoog"])
def test_login_records_the_chosen_level_and_source(client, level):
    acs = idp_post(client, resident="jan", level=level)["Location"]
    response = client.get(acs)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == level
    assert client.session["auth_source"] == "digid"
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.bsn_pseudonym == bsn_pseudonym("999990019")


def test_usual_level_of_the_test_resident_is_used_when_no_level_is_chosen(client):
    client.get(idp_post(client, resident="sanne", level="")["Location"])

    assert client.session[SESSION_KEY] == "substantieel"


def test_typed_bsn_logs_in_with_midden_by_default(client):
    client.get(idp_post(client, bsn="999990081", level="")["Location"])

    assert client.session[SESSION_KEY] == "midden"
    assert User.objects.filter(bsn_pseudonym=bsn_pseudonym("999990081")).exists()


def test_first_login_takes_the_test_residents_name_and_lands_on_next(client):
    response = client.get(idp_post(client, resident="emre", level="midden", next="/ideeen/")[
        "Location"
    ])

    assert response["Location"] == "/ideeen/"
    home = client.get("/")
    assert 'data-testid="user-name">Emre Yılmaz<' in home.content.decode()


def test_existing_display_name_is_kept(client):
    User.digid_objects.digid_create("999991772", display_name="Fatima A.")

    client.get(idp_post(client, resident="fatima", level="midden")["Location"])

    assert User.objects.get(bsn_pseudonym=bsn_pseudonym("999991772")).display_name == "Fatima A."
    assert User.objects.count() == 1


def test_artifact_replay_fails_cleanly_without_login(client):
    acs = idp_post(client, resident="fatima", level="hoog")["Location"]
    assert client.get(acs).status_code == 302
    client.post("/digid/logout/")
    assert "_auth_user_id" not in client.session

    replay = client.get(acs)

    assert replay.status_code == 400
    assert "the login link is unknown, has expired or was already used" in replay.content.decode()
    assert "_auth_user_id" not in client.session
    assert SESSION_KEY not in client.session


def test_replay_in_another_browser_does_not_log_in(client):
    acs = idp_post(client, resident="fatima", level="hoog")["Location"]
    client.get(acs)
    attacker = Client()

    response = attacker.get(acs)

    assert response.status_code == 400
    assert "_auth_user_id" not in attacker.session


@pytest.mark.parametrize(
    "artifact",
    [
        "",
        "nonsense",
        "A" * 43,  # well formed, never issued
        "<script>alert(1)</script>",
        "A" * 100_000,
    ],
)
def test_unknown_or_malformed_artifact_is_a_clean_400(client, artifact):
    response = client.get("/digid/acs/", {"SAMLart": artifact})

    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_acs_without_artifact_is_a_clean_400(client):
    assert client.get("/digid/acs/").status_code == 400


def test_invalid_bsn_is_a_form_error(client):
    response = idp_post(client, bsn="123456789")

    assert response.status_code == 400
    assert "Invalid BSN." in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == 0


@pytest.mark.parametrize("bsn", ["12345", "abcdefghi", "9" * 100_000])
def test_malformed_bsn_is_a_form_error(client, bsn):
    response = idp_post(client, bsn=bsn)

    assert response.status_code == 400
    assert User.objects.count() == 0


def test_neither_resident_nor_bsn_is_a_form_error(client):
    response = idp_post(client, level="midden")

    assert response.status_code == 400
    assert "Choose a test resident or type a BSN." in response.content.decode()


def test_both_resident_and_bsn_is_a_form_error(client):
    response = idp_post(client, resident="jan", bsn="999990081")

    assert response.status_code == 400
    assert "Choose a test resident or type a BSN, not both." in response.content.decode()


def test_unknown_resident_or_level_is_a_form_error(client):
    assert idp_post(client, resident="nobody").status_code == 400
    assert idp_post(client, resident="jan", level="ultra").status_code == 400


@pytest.mark.parametrize(
    "next_url",
    [
        "javascript:alert(1)",
        "https://evil.example/",
        "//evil.example/",
        "/" + "a" * 5000,
    ],
)
def test_unsafe_next_is_refused_at_every_step(client, next_url):
    assert client.get("/digid/login/", {"next": next_url}).status_code == 400
    assert client.get("/digid/idp/", {"next": next_url}).status_code == 400
    response = idp_post(client, resident="jan", next=next_url)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_script_tags_in_local_next_are_escaped_on_the_idp_page(client):
    response = client.get("/digid/idp/", {"next": '/"><script>alert(1)</script>'})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unsafe_next_at_acs_falls_back_to_home(client):
    artifact = digid_mock.artifact_issue(bsn="999990019", level="basis")

    response = client.get("/digid/acs/", {"SAMLart": artifact, "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_cancel_returns_to_login_choice_with_a_message(client):
    response = client.post("/digid/idp/", {"cancel": "1", "next": ""}, follow=True)

    assert response.redirect_chain == [("/inloggen/", 302)]
    assert "You cancelled logging in with DigiD." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_choice_passes_next_to_digid(client):
    response = client.get("/inloggen/", {"next": "/ideeen/?a=1"})

    assert 'href="/digid/login/?next=/ideeen/%3Fa%3D1"' in response.content.decode()


def test_logout_ends_the_digid_session(client):
    client.get(idp_post(client, resident="jan", level="midden")["Location"])

    response = client.post("/digid/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert SESSION_KEY not in client.session


def test_inactive_resident_cannot_log_in(client):
    User.digid_objects.digid_create("999990019", is_active=False)

    response = client.get(idp_post(client, resident="jan", level="midden")["Location"])

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session

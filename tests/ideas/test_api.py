"""/api/v1/ideas/: reading published ideas, writing as a resident, supporting, comments.

Every endpoint x role, hidden ideas never listed, JSON errors (never a 500), sanitising, rate
limits (429 with the site's sentence) and a constant number of queries for the list.
"""

import time
import uuid

import pytest
from django.urls import NoReverseMatch, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.accounts import roles
from portal.accounts.assurance import SESSION_KEY as ASSURANCE_SESSION_KEY
from portal.accounts.middleware import (
    AUTH_SOURCE_DIGID,
    AUTH_SOURCE_SESSION_KEY,
    LAST_ACTIVITY_SESSION_KEY,
)
from portal.ideas import services
from portal.ideas.models import (
    Comment,
    Idea,
    IdeaEvent,
    IdeaImage,
    Moderation,
    ModerationMode,
    ReasonCode,
    Status,
    Support,
    ThemeSettings,
)
from registry.models import Pilot
from tests.consent.conftest import make_purpose
from tests.factories import (
    CommentFactory,
    IdeaFactory,
    NeighbourhoodFactory,
    ResidentFactory,
    user_for_role,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/ideas/"

ROLES = [
    roles.VISITOR, roles.RESIDENT, roles.VERIFIED_RESIDENT, roles.ORGANISATION_MEMBER,
    roles.MODERATOR, roles.CIVIL_SERVANT, roles.ADMIN,
]
RATES = {"ideas.submit": "100/h", "ideas.comment": "100/h", "ideas.report": "100/h",
         "ideas.support": "100/h"}


@pytest.fixture(autouse=True)
def _english_and_high_limits(settings):
    settings.LANGUAGE_CODE = "en"
    settings.RATE_LIMITS = dict(RATES)


@pytest.fixture
def api():
    return APIClient()


def digid_login(api, user, level):
    """Log a resident in as DigiD does: the session carries the assurance level."""
    api.force_login(user)
    session = api.session
    session[ASSURANCE_SESSION_KEY] = level
    session[AUTH_SOURCE_SESSION_KEY] = AUTH_SOURCE_DIGID
    session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
    session.save()


def login_as(api, role):
    """A user of `role`, logged in to `api` the way that role logs in (DigiD or e-mail)."""
    user = user_for_role(role)
    if role == roles.VISITOR:
        return user
    if role in (roles.RESIDENT, roles.VERIFIED_RESIDENT):
        digid_login(api, user, user.assurance_level)
    else:
        api.force_login(user)
    return user


def detail_url(idea):
    return f"{LIST}{idea.public_id}/"


def valid_idea(**overrides):
    return {"title": "Meer bankjes in het park",
            "body": "Oudere bewoners kunnen onderweg in het park nergens uitrusten.",
            "theme": "living", **overrides}


# --- reading: list ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_published_ideas_only_whoever_asks(api, role):
    user = login_as(api, role)
    published = IdeaFactory(title="Gepubliceerd idee")
    hidden = [IdeaFactory(moderation=state, title=f"Verborgen {state}")
              for state in (Moderation.DRAFT, Moderation.PENDING, Moderation.REJECTED,
                            Moderation.CHANGES_REQUESTED, Moderation.APPEALED)]
    if role in (roles.RESIDENT, roles.VERIFIED_RESIDENT):  # not even one's own hidden idea
        hidden.append(IdeaFactory(author=user, moderation=Moderation.PENDING, title="Van mij"))

    response = api.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [str(published.public_id)]
    text = response.content.decode()
    for idea in hidden:
        assert str(idea.public_id) not in text


def test_a_listed_idea_has_every_field_and_no_personal_data(api):
    author = ResidentFactory(display_name="Fatima", email="fatima@example.org")
    wijk = NeighbourhoodFactory(slug="assendorp", name="Assendorp")
    idea = IdeaFactory(author=author, show_author_name=True, neighbourhood=wijk,
                       latitude="52.51000", longitude="6.09000", support_count=3,
                       comment_count=2, body="Een **mooi** plan voor de buurt, met bomen.")
    civil_servant = user_for_role(roles.CIVIL_SERVANT)
    services.idea_status_change(idea=idea, by=civil_servant, status=Status.ACCEPTED,
                                answer="We doen het *dit jaar*.")
    pilot = Pilot.objects.create(slug="slimme-bankjes", title="Slimme bankjes",
                                 state=Pilot.State.PUBLISHED)
    services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot, note="Het werd een pilot.")
    draft_pilot = Pilot.objects.create(slug="geheim", title="Geheim", state=Pilot.State.DRAFT)
    services.idea_link_add(idea=idea, by=civil_servant, pilot=draft_pilot)
    image = IdeaImage.objects.create(idea=idea, file=f"ideas/{idea.public_id}/a.png",
                                     extension="png", content_type="image/png",
                                     alt_text="Een bankje", width=640, height=480)

    response = api.get(LIST)

    row = response.json()["results"][0]
    assert set(row) == {
        "id", "url", "api_url", "title", "body", "body_html", "theme", "status",
        "neighbourhood", "location", "author_name", "support_count", "comment_count",
        "published_at", "status_changed_at", "official_answer", "links", "images",
    }
    assert row["id"] == str(idea.public_id)
    assert row["url"] == f"http://testserver/ideeen/{idea.public_id}/"
    assert row["api_url"] == f"http://testserver/api/v1/ideas/{idea.public_id}/"
    assert row["body"] == "Een **mooi** plan voor de buurt, met bomen."
    assert row["body_html"] == "<p>Een <strong>mooi</strong> plan voor de buurt, met bomen.</p>"
    assert row["theme"] == {"code": "living", "label": "Living"}
    assert row["status"] == {"code": "accepted", "label": "Accepted"}
    assert row["neighbourhood"] == {"slug": "assendorp", "name": "Assendorp"}
    assert row["location"] == {"latitude": 52.51, "longitude": 6.09}
    assert row["author_name"] == "Fatima"
    assert (row["support_count"], row["comment_count"]) == (3, 2)
    assert row["status_changed_at"] is not None
    answer = row["official_answer"]
    assert answer["status"] == {"code": "accepted", "label": "Accepted"}
    assert answer["text"] == "We doen het *dit jaar*."
    assert answer["text_html"] == "<p>We doen het <em>dit jaar</em>.</p>"
    assert row["links"] == [{"kind": "pilot", "title": "Slimme bankjes",
                             "url": f"http://testserver{pilot.get_absolute_url()}",
                             "note": "Het werd een pilot."}]
    try:
        image_path = reverse("ideas:image", kwargs={"public_id": idea.public_id, "pk": image.pk})
    except NoReverseMatch:  # the image route of the site pages is not installed (yet)
        image_url = None
    else:
        image_url = f"http://testserver{image_path}"
    assert row["images"] == [{"url": image_url, "alt_text": "Een bankje", "width": 640,
                              "height": 480}]
    text = response.content.decode()
    for secret in ("fatima@example.org", author.bsn_pseudonym, f'"author": {author.pk}',
                   "Geheim"):
        assert secret not in text


def test_without_consent_to_show_the_name_the_author_is_an_anonymous_resident(api):
    IdeaFactory(author=ResidentFactory(display_name="Jan Jansen"), show_author_name=False)
    IdeaFactory(author=ResidentFactory(display_name="", email="zonder@example.org"),
                show_author_name=True)

    names = [row["author_name"] for row in api.get(LIST).json()["results"]]

    assert names == ["anonymous resident", "anonymous resident"]


def test_filters_search_and_ordering(api):
    wijk = NeighbourhoodFactory(slug="diezerpoort")
    bikes = IdeaFactory(title="Fietsenstalling bij het station", theme="mobility",
                        support_count=10, comment_count=0)
    trees = IdeaFactory(title="Bomen in de straat", theme="environment", neighbourhood=wijk,
                        support_count=1, comment_count=7)
    answered = IdeaFactory(title="Speeltuin", theme="people", status=Status.REALISED,
                           support_count=5, comment_count=3)

    def ids(**params):
        response = api.get(LIST, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(theme="mobility") == [str(bikes.public_id)]
    assert ids(status="realised") == [str(answered.public_id)]
    assert ids(neighbourhood="diezerpoort") == [str(trees.public_id)]
    assert ids(neighbourhood="onbekend") == []
    assert ids(q="fietsenSTALLING station") == [str(bikes.public_id)]
    assert ids(ordering="support") == [str(i.public_id) for i in (bikes, answered, trees)]
    assert ids(ordering="discussed") == [str(i.public_id) for i in (trees, answered, bikes)]
    assert ids(page_size=2, ordering="support") == [str(bikes.public_id),
                                                    str(answered.public_id)]


@pytest.mark.parametrize("param", ["theme", "status", "ordering"])
def test_an_unknown_filter_value_is_a_400_naming_the_parameter(api, param):
    response = api.get(LIST, {param: "nonsense"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [param]
    assert "Unknown value" in body["errors"][param][0]


def _rich_idea(civil_servant, pilot, n):
    idea = IdeaFactory(neighbourhood=NeighbourhoodFactory(slug=f"wijk-{n % 3}"),
                       author=ResidentFactory(), show_author_name=True)
    services.idea_status_change(idea=idea, by=civil_servant, status=Status.UNDER_CONSIDERATION,
                                answer="We kijken ernaar.")
    services.idea_link_add(idea=idea, by=civil_servant, pilot=pilot)
    IdeaImage.objects.create(idea=idea, file=f"ideas/{idea.public_id}/a.png", extension="png",
                             content_type="image/png", alt_text="Foto", width=1, height=1)
    CommentFactory(idea=idea)
    return idea


@pytest.mark.parametrize("role", [roles.VISITOR, roles.VERIFIED_RESIDENT])
def test_the_list_costs_the_same_queries_for_3_and_30_ideas(api, role,
                                                            django_assert_num_queries):
    login_as(api, role)
    civil_servant = user_for_role(roles.CIVIL_SERVANT)
    pilot = Pilot.objects.create(slug="p", title="P", state=Pilot.State.PUBLISHED)
    for n in range(3):
        _rich_idea(civil_servant, pilot, n)
    api.get(LIST)  # warm up (session, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        response = api.get(LIST, {"page_size": 50})
    assert response.json()["count"] == 3

    for n in range(27):
        _rich_idea(civil_servant, pilot, n)
    with django_assert_num_queries(len(few.captured_queries)):
        response = api.get(LIST, {"page_size": 50})
    assert response.json()["count"] == 30
    # count, page, then one query each for images, links and official answers
    assert sum('"ideas_' in query["sql"] for query in few.captured_queries) == 5


# --- reading: one idea --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_a_published_idea_is_readable_by_everyone_and_a_draft_by_nobody_else(api, role):
    login_as(api, role)
    published = IdeaFactory()
    others = [IdeaFactory(moderation=state) for state in
              (Moderation.DRAFT, Moderation.PENDING, Moderation.REJECTED)]

    response = api.get(detail_url(published))
    assert response.status_code == 200
    assert response.json()["moderation"] is None
    assert response.json()["supported"] is False
    for idea in others:
        hidden = api.get(detail_url(idea))
        assert hidden.status_code == 404
        assert hidden.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_author_reads_their_own_rejected_idea_with_the_reasons(api):
    author = login_as(api, roles.RESIDENT)
    idea = services.idea_create(author=author, **valid_idea())
    services.idea_submit(idea=idea, by=author)
    services.idea_moderate(idea=idea, by=user_for_role(roles.MODERATOR), action="reject",
                           reason_code=ReasonCode.COMMERCIAL, statement="Dit is reclame.")

    response = api.get(detail_url(idea))

    assert response.status_code == 200
    assert response.json()["moderation"] == {
        "code": "rejected", "label": "Rejected", "reason_code": "commercial",
        "reason": "Commercial", "statement": "Dit is reclame.",
    }


def test_unknown_ideas_are_json_404s(api):
    assert api.get(f"{LIST}{uuid.uuid4()}/").status_code == 404
    response = api.get(f"{LIST}12/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


# --- writing: submitting an idea ---------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [
    (roles.VISITOR, 401), (roles.RESIDENT, 201), (roles.VERIFIED_RESIDENT, 201),
    (roles.ORGANISATION_MEMBER, 403), (roles.MODERATOR, 403), (roles.CIVIL_SERVANT, 403),
    (roles.ADMIN, 403),
])
def test_only_residents_submit_ideas(api, role, expected):
    login_as(api, role)

    response = api.post(LIST, valid_idea(), format="json")

    assert response.status_code == expected, response.content
    assert Idea.objects.count() == (1 if expected == 201 else 0)
    if expected != 201:
        assert set(response.json()) == {"detail", "code"}


def test_a_submitted_idea_waits_for_moderation_and_its_author_sees_it(api):
    author = login_as(api, roles.RESIDENT)
    wijk = NeighbourhoodFactory(slug="stadshagen")

    response = api.post(LIST, valid_idea(neighbourhood="stadshagen", latitude=52.5312345,
                                         longitude=6.07), format="json")

    assert response.status_code == 201
    body = response.json()
    idea = Idea.objects.get()
    assert response["Location"] == body["api_url"] == \
        f"http://testserver/api/v1/ideas/{idea.public_id}/"
    assert body["moderation"]["code"] == "pending"
    assert body["author_name"] == "anonymous resident"
    assert body["location"] == {"latitude": 52.53123, "longitude": 6.07}
    assert (idea.author, idea.neighbourhood, idea.moderation) == (author, wijk, "pending")
    assert list(idea.events.values_list("action", flat=True)) == ["create", "submit"]
    assert api.get(detail_url(idea)).json()["moderation"]["code"] == "pending"
    assert api.get(LIST).json()["count"] == 0


def test_submit_false_keeps_a_draft_and_post_moderation_publishes_at_once(api):
    login_as(api, roles.RESIDENT)
    ThemeSettings.objects.create(theme="mobility", idea_moderation=ModerationMode.POST)

    draft = api.post(LIST, valid_idea(submit=False), format="json").json()
    at_once = api.post(LIST, valid_idea(theme="mobility"), format="json").json()

    assert draft["moderation"]["code"] == "draft"
    assert at_once["moderation"]["code"] == "published"
    assert [row["id"] for row in api.get(LIST).json()["results"]] == [at_once["id"]]


def test_showing_the_name_needs_consent(api):
    from portal.consent import services as consent_services
    from portal.consent.models import ConsentEvent

    author = login_as(api, roles.RESIDENT)
    author.display_name = "Fatima"
    author.save()

    refused = api.post(LIST, valid_idea(show_author_name=True), format="json")

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["show_author_name"]
    assert refused.json()["errors"]["show_author_name"][0].startswith("To show your name")
    assert Idea.objects.count() == 0

    purpose = make_purpose(code="idea-author-name", text="Je naam staat bij je idee.")
    consent_services.consent_grant(user=author, text=purpose.texts.get(),
                                   method=ConsentEvent.Method.API, assurance_level=None)
    shown = api.post(LIST, valid_idea(show_author_name=True), format="json")
    assert shown.status_code == 201
    assert shown.json()["author_name"] == "Fatima"


def test_malformed_json_is_a_json_400(api):
    login_as(api, roles.RESIDENT)

    broken = api.post(LIST, '{"title": "Bankjes", ', content_type="application/json")
    a_list = api.post(LIST, "[1, 2]", content_type="application/json")

    assert broken.status_code == 400
    assert broken.json()["code"] == "parse_error"
    assert a_list.status_code == 400
    assert a_list.json()["code"] == "invalid"
    assert Idea.objects.count() == 0


@pytest.mark.parametrize(("overrides", "field", "fragment"), [
    ({"theme": "space"}, "theme", "is not a valid choice"),
    ({"neighbourhood": "atlantis"}, "neighbourhood", "does not exist"),
    ({"title": "B" * 10_000}, "title", "no more than 120 characters"),
    ({"body": "B" * 6_000}, "body", "no more than 5000 characters"),
    ({"title": "Kort"}, "title", "at least 5 characters"),
    ({"title": "   "}, "title", "may not be blank"),
    ({"latitude": 52.5}, "latitude", "both latitude and longitude"),
    ({"latitude": 40.0, "longitude": 6.1}, "latitude", "outside the municipality"),
    ({"latitude": 200, "longitude": 6.1}, "latitude", "less than or equal to 90"),
    ({"latitude": "noord", "longitude": 6.1}, "latitude", "valid number"),
])
def test_bad_input_is_a_400_on_the_field(api, overrides, field, fragment):
    login_as(api, roles.RESIDENT)

    response = api.post(LIST, valid_idea(**overrides), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert body["code"]
    assert field in body["errors"], body
    assert fragment in " ".join(body["errors"][field])
    assert Idea.objects.count() == 0


def test_a_missing_theme_is_a_field_error(api):
    login_as(api, roles.RESIDENT)

    response = api.post(LIST, {"title": "Meer bankjes", "body": "x" * 30}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"theme": ["This field is required."]}


def test_script_tags_are_stored_as_typed_and_the_html_is_sanitised(api):
    login_as(api, roles.RESIDENT)
    ThemeSettings.objects.create(theme="living", idea_moderation=ModerationMode.POST)
    title = "<script>alert('t')</script> Bankjes & <b>bomen"
    body = ("Hallo <script>alert(1)</script> <img src=x onerror=alert(2)> "
            "[klik](javascript:alert(3)) <a href=\"/x\" onclick=\"steel()\">link</a> <i>open")

    created = api.post(LIST, valid_idea(title=title, body=body), format="json")

    assert created.status_code == 201
    idea = Idea.objects.get()
    assert (idea.title, idea.body) == (title, body)
    listed = api.get(LIST).json()["results"][0]
    for row in (created.json(), listed):
        assert (row["title"], row["body"]) == (title, body)
        html = row["body_html"]
        for bad in ("<script", "alert(1)", "<img", "onerror", "javascript:", "onclick", "<i>"):
            assert bad not in html
        assert html.startswith("<p>Hallo")


def test_submitting_is_rate_limited_with_a_json_429(api, settings):
    settings.RATE_LIMITS = {**RATES, "ideas.submit": "2/h"}
    login_as(api, roles.RESIDENT)

    statuses = [api.post(LIST, valid_idea(), format="json").status_code for _ in range(2)]
    limited = api.post(LIST, valid_idea(), format="json")

    assert statuses == [201, 201]
    assert limited.status_code == 429
    assert limited.json() == {
        "detail": "You have reached the limit of 2 times per hour for this. "
                  "Please try again later.",
        "code": "rate_limited",
    }
    assert limited["Retry-After"] == "3600"
    assert Idea.objects.count() == 2


# --- supporting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "expected"), [
    (roles.VISITOR, 401), (roles.RESIDENT, 403), (roles.VERIFIED_RESIDENT, 201),
    (roles.ORGANISATION_MEMBER, 403), (roles.MODERATOR, 403), (roles.CIVIL_SERVANT, 403),
    (roles.ADMIN, 403),
])
def test_only_verified_residents_support(api, role, expected):
    login_as(api, role)
    idea = IdeaFactory()

    response = api.post(f"{detail_url(idea)}support/")

    assert response.status_code == expected, response.content
    idea.refresh_from_db()
    assert idea.support_count == (1 if expected == 201 else 0)
    if expected == 201:
        assert response.json() == {"supported": True, "support_count": 1}
    if role == roles.RESIDENT:
        assert "midden" in response.json()["detail"]


def test_supporting_twice_is_one_support_and_withdrawing_removes_it(api):
    user = login_as(api, roles.VERIFIED_RESIDENT)
    idea = IdeaFactory()
    url = f"{detail_url(idea)}support/"

    first, second = api.post(url), api.post(url)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {"supported": True, "support_count": 1}
    assert Support.objects.filter(idea=idea, user=user).count() == 1
    assert api.get(detail_url(idea)).json()["supported"] is True

    assert api.delete(url).status_code == 204
    assert api.delete(url).status_code == 204
    idea.refresh_from_db()
    assert idea.support_count == 0
    assert not Support.objects.exists()
    assert api.get(detail_url(idea)).json()["supported"] is False


@pytest.mark.parametrize(("role", "expected"), [
    (roles.VISITOR, 401), (roles.RESIDENT, 204), (roles.VERIFIED_RESIDENT, 204),
    (roles.ORGANISATION_MEMBER, 204), (roles.MODERATOR, 204), (roles.CIVIL_SERVANT, 204),
    (roles.ADMIN, 204),
])
def test_withdrawing_support_needs_a_login_and_touches_only_ones_own(api, role, expected):
    login_as(api, role)
    idea = IdeaFactory()
    services.idea_support(idea=idea, user=user_for_role(roles.VERIFIED_RESIDENT))

    response = api.delete(f"{detail_url(idea)}support/")

    assert response.status_code == expected
    idea.refresh_from_db()
    assert idea.support_count == 1


def test_an_unpublished_idea_cannot_be_supported(api):
    login_as(api, roles.VERIFIED_RESIDENT)
    idea = IdeaFactory(moderation=Moderation.PENDING)

    assert api.post(f"{detail_url(idea)}support/").status_code == 404
    assert not Support.objects.exists()


def test_support_withdrawal_works_after_the_idea_was_hidden(api):
    user = login_as(api, roles.VERIFIED_RESIDENT)
    idea = IdeaFactory()
    api.post(f"{detail_url(idea)}support/")
    Idea.objects.filter(pk=idea.pk).update(moderation=Moderation.REJECTED)

    assert api.delete(f"{detail_url(idea)}support/").status_code == 204
    assert not Support.objects.filter(user=user).exists()


def test_a_token_carries_no_digid_level_so_it_cannot_support(api):
    resident = ResidentFactory()  # residents get no token from the API; one made by hand
    token = Token.objects.create(user=resident)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    idea = IdeaFactory()

    response = api.post(f"{detail_url(idea)}support/")

    assert response.status_code == 403
    assert not Support.objects.exists()


def test_a_token_of_an_email_account_gets_403_and_no_token_401(api):
    idea = IdeaFactory()
    assert api.post(f"{detail_url(idea)}support/").status_code == 401
    assert api.post(LIST, valid_idea(), format="json").status_code == 401

    member = user_for_role(roles.ORGANISATION_MEMBER)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member).key}")
    assert api.post(f"{detail_url(idea)}support/").status_code == 403
    assert api.post(LIST, valid_idea(), format="json").status_code == 403


def test_supporting_is_rate_limited(api, settings):
    settings.RATE_LIMITS = {**RATES, "ideas.support": "3/m"}
    login_as(api, roles.VERIFIED_RESIDENT)
    idea = IdeaFactory()
    url = f"{detail_url(idea)}support/"

    codes = [api.post(url).status_code, api.delete(url).status_code, api.post(url).status_code]
    limited = api.delete(url)

    assert codes == [201, 204, 201]
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert "3 times per minute" in limited.json()["detail"]
    idea.refresh_from_db()
    assert idea.support_count == 1


# --- comments -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_the_published_comments_with_one_level_of_replies(api, role):
    login_as(api, role)
    idea = IdeaFactory()
    named = ResidentFactory(display_name="Piet", email="piet@example.org")
    first = CommentFactory(idea=idea, author=named, show_author_name=True,
                           body="Goed idee <script>x()</script>")
    reply = CommentFactory(idea=idea, parent=first, body="Eens!")
    CommentFactory(idea=idea, parent=first, body="Verborgen reactie", moderation="rejected")
    CommentFactory(idea=idea, body="Wacht op moderatie", moderation="pending")
    second = CommentFactory(idea=idea, by_municipality=True, body="We kijken ernaar.",
                            author=user_for_role(roles.CIVIL_SERVANT))

    response = api.get(f"{detail_url(idea)}comments/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    top, municipality = body["results"]
    assert top["id"] == str(first.public_id)
    assert top["author_name"] == "Piet"
    assert top["body"] == "Goed idee <script>x()</script>"
    assert "<script" not in top["body_html"]
    assert top["published"] is True
    assert [r["id"] for r in top["replies"]] == [str(reply.public_id)]
    assert top["replies"][0]["author_name"] == "anonymous resident"
    assert municipality["id"] == str(second.public_id)
    assert municipality["author_name"] == "Municipality"
    assert municipality["replies"] == []
    text = response.content.decode()
    for absent in ("Verborgen", "Wacht op", "piet@example.org"):
        assert absent not in text


def test_comments_of_an_unpublished_idea_are_a_404(api):
    idea = IdeaFactory(moderation=Moderation.REJECTED)

    assert api.get(f"{detail_url(idea)}comments/").status_code == 404


def test_reading_comments_costs_the_same_queries_for_2_and_20(api, django_assert_num_queries):
    idea = IdeaFactory()

    def add(count):
        for _ in range(count):
            CommentFactory(idea=idea, parent=CommentFactory(idea=idea))

    add(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        api.get(f"{detail_url(idea)}comments/")
    add(18)
    with django_assert_num_queries(len(few.captured_queries)):
        assert api.get(f"{detail_url(idea)}comments/").json()["count"] == 20


@pytest.mark.parametrize(("role", "expected"), [
    (roles.VISITOR, 401), (roles.RESIDENT, 201), (roles.VERIFIED_RESIDENT, 201),
    (roles.ORGANISATION_MEMBER, 201), (roles.MODERATOR, 201), (roles.CIVIL_SERVANT, 201),
    (roles.ADMIN, 201),
])
def test_anyone_logged_in_comments(api, role, expected):
    login_as(api, role)
    idea = IdeaFactory()

    response = api.post(f"{detail_url(idea)}comments/", {"body": "Goed plan!"}, format="json")

    assert response.status_code == expected, response.content
    assert Comment.objects.count() == (1 if expected == 201 else 0)
    if expected == 201:
        body = response.json()
        assert body["body"] == "Goed plan!"
        assert body["published"] is True  # comments are post-moderated by default
        assert body["author_name"] == ("Municipality" if role == roles.CIVIL_SERVANT
                                       else "anonymous resident")
        idea.refresh_from_db()
        assert idea.comment_count == 1


def test_replies_and_their_errors(api):
    login_as(api, roles.RESIDENT)
    idea, other = IdeaFactory(), IdeaFactory()
    top = CommentFactory(idea=idea)
    url = f"{detail_url(idea)}comments/"

    reply = api.post(url, {"body": "Eens", "parent": str(top.public_id)}, format="json")
    assert reply.status_code == 201
    assert Comment.objects.get(public_id=reply.json()["id"]).parent == top

    deeper = api.post(url, {"body": "Nog dieper", "parent": reply.json()["id"]}, format="json")
    assert deeper.status_code == 400
    assert deeper.json()["code"] == "reply_depth"

    elsewhere = CommentFactory(idea=other)
    wrong = api.post(url, {"body": "Mis", "parent": str(elsewhere.public_id)}, format="json")
    assert wrong.status_code == 400
    assert list(wrong.json()["errors"]) == ["parent"]

    empty = api.post(url, {"body": "   "}, format="json")
    assert empty.status_code == 400
    assert list(empty.json()["errors"]) == ["body"]

    huge = api.post(url, {"body": "x" * 3000}, format="json")
    assert huge.status_code == 400
    assert list(huge.json()["errors"]) == ["body"]

    hidden = IdeaFactory(moderation=Moderation.PENDING)
    assert api.post(f"{detail_url(hidden)}comments/", {"body": "Hoi"},
                    format="json").status_code == 404


def test_a_comment_on_a_pre_moderated_theme_waits(api):
    login_as(api, roles.RESIDENT)
    ThemeSettings.objects.create(theme="living", comment_moderation=ModerationMode.PRE)
    idea = IdeaFactory(theme="living")

    response = api.post(f"{detail_url(idea)}comments/", {"body": "Even wachten"}, format="json")

    assert response.status_code == 201
    assert response.json()["published"] is False
    assert api.get(f"{detail_url(idea)}comments/").json()["count"] == 0


def test_commenting_is_rate_limited(api, settings):
    settings.RATE_LIMITS = {**RATES, "ideas.comment": "1/h"}
    login_as(api, roles.RESIDENT)
    idea = IdeaFactory()
    url = f"{detail_url(idea)}comments/"

    assert api.post(url, {"body": "Een"}, format="json").status_code == 201
    limited = api.post(url, {"body": "Twee"}, format="json")

    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert Comment.objects.count() == 1


def test_no_timeline_events_of_moderation_leak_into_the_public_answer(api):
    idea = IdeaFactory()
    IdeaEvent.objects.create(idea=idea, action=IdeaEvent.Action.REJECT, text="Intern")

    row = api.get(LIST).json()["results"][0]

    assert row["official_answer"] is None
    assert "Intern" not in api.get(detail_url(idea)).content.decode()

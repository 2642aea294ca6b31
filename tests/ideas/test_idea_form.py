"""The idea form: who may write, validation, consent to show one's name, images, drafts,
submitting, editing and deleting, and "my ideas"."""

import io
import re

import pytest
from django.urls import reverse
from PIL import Image

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import Idea, IdeaEvent, IdeaImage, Moderation, ThemeSettings
from tests.factories import IdeaFactory, NeighbourhoodFactory, ResidentFactory
from tests.ideas.participation_helpers import (
    IDEA_DATA,
    ROLES,
    author_name_purpose,
    grant_author_name,
    login_role,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("ideas:create")
MINE = reverse("ideas:mine")


@pytest.fixture(autouse=True)
def _english_and_private_media(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    author_name_purpose()  # the municipality has set up consent for showing names


def test_without_the_consent_purpose_the_form_offers_no_name_and_says_ideas_are_anonymous(
    client,
):
    from portal.consent.models import Purpose

    Purpose.objects.filter(code="idea-author-name").update(active=False)
    client.force_login(ResidentFactory())

    html = client.get(CREATE).content.decode()

    assert 'name="show_author_name"' not in html
    assert "anonymous resident" in html


def edit_url(idea):
    return reverse("ideas:edit", kwargs={"public_id": idea.public_id})


def draft_of(author, **fields):
    values = {"title": "Een bankje bij de bushalte", "theme": "mobility",
              "body": "Wie op de bus wacht, staat nu in de regen zonder zitplek."}
    values.update(fields)
    return services.idea_create(author=author, **values)


def post_idea(client, url=CREATE, action="save", **overrides):
    data = {**IDEA_DATA, "action": action, **overrides}
    return client.post(url, data)


# --- who may write ------------------------------------------------------------------------------

EXPECTED_CREATE = {
    roles.VISITOR: 302,
    roles.RESIDENT: 200,
    roles.VERIFIED_RESIDENT: 200,
    roles.ORGANISATION_MEMBER: 403,
    roles.MODERATOR: 403,
    roles.CIVIL_SERVANT: 403,
    roles.ADMIN: 403,
}


@pytest.mark.parametrize("role", [*ROLES, roles.ADMIN])
def test_only_residents_get_the_idea_form(client, role):
    login_role(client, role)

    response = client.get(CREATE)

    assert response.status_code == EXPECTED_CREATE[role]
    if role == roles.VISITOR:
        assert response.url.startswith(reverse("login"))
    elif response.status_code == 403:
        assert b"Ideas are written by residents" in response.content
        assert b"DigiD" in response.content
    else:
        assert b'enctype="multipart/form-data"' in response.content
        assert b'name="show_author_name"' in response.content


@pytest.mark.parametrize("role", [roles.ORGANISATION_MEMBER, roles.MODERATOR,
                                  roles.CIVIL_SERVANT, roles.ADMIN])
def test_an_e_mail_account_posting_the_form_stores_nothing(client, role):
    login_role(client, role)

    response = post_idea(client)

    assert response.status_code == 403
    assert not Idea.objects.exists()


def test_the_form_has_every_field_and_the_name_box_is_unticked(client):
    NeighbourhoodFactory(name="Assendorp", slug="assendorp")
    login_role(client, roles.RESIDENT)

    html = client.get(CREATE).content.decode()

    for name in ("title", "body", "theme", "neighbourhood", "latitude", "longitude",
                 "show_author_name", "image_1", "alt_1", "image_3", "alt_3"):
        assert f'name="{name}"' in html
    assert 'type="radio"' in html
    assert "Environment" in html
    assert "Assendorp" in html
    checkbox = re.search(r'<input type="checkbox" name="show_author_name"[^>]*>', html).group()
    assert "checked" not in checkbox
    assert "**bold**" in html  # the help text explains the simple formatting
    assert "data-location-picker" in html
    assert "ideas-location-picker.js" in html
    assert "Remove location" in html
    assert 'value="submit"' in html
    assert 'value="save"' in html


# --- saving and submitting ----------------------------------------------------------------------


def test_a_resident_saves_a_draft_and_comes_back_to_it(client):
    author = login_role(client, roles.RESIDENT)
    neighbourhood = NeighbourhoodFactory()

    response = post_idea(client, neighbourhood=neighbourhood.pk, latitude="52,51234",
                         longitude="6.08345")

    idea = Idea.objects.get()
    assert response.status_code == 302
    assert response.url == edit_url(idea)
    assert (idea.author, idea.moderation, idea.neighbourhood) == (author, Moderation.DRAFT,
                                                                   neighbourhood)
    assert (str(idea.latitude), str(idea.longitude)) == ("52.51234", "6.08345")
    assert idea.show_author_name is False
    page = client.get(response.url)
    assert "Your draft has been saved" in page.content.decode()
    assert IDEA_DATA["title"] in page.content.decode()


def test_submitting_a_pre_moderated_idea_says_a_moderator_looks_within_two_days(client):
    login_role(client, roles.RESIDENT)

    response = post_idea(client, action="submit")

    idea = Idea.objects.get()
    assert idea.moderation == Moderation.PENDING
    assert response.url == MINE
    page = client.get(MINE).content.decode()
    assert "usually within 2 working days" in page
    assert "Awaiting moderation" in page


def test_submitting_in_a_post_moderated_theme_publishes_at_once(client):
    ThemeSettings.objects.create(theme="living", idea_moderation="post")
    login_role(client, roles.RESIDENT)

    response = post_idea(client, action="submit")

    idea = Idea.objects.get()
    assert idea.moderation == Moderation.PUBLISHED
    assert response.url == idea.get_absolute_url()
    assert "has been published" in client.get(response.url).content.decode()


def test_the_submit_button_on_my_ideas_submits_a_draft(client):
    author = login_role(client, roles.RESIDENT)
    idea = draft_of(author)

    response = client.post(reverse("ideas:submit", kwargs={"public_id": idea.public_id}))

    assert response.url == MINE
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PENDING


def test_submitting_twice_is_a_message_not_an_error_page(client):
    author = login_role(client, roles.RESIDENT)
    idea = services.idea_submit(idea=draft_of(author), by=author)

    response = client.post(reverse("ideas:submit", kwargs={"public_id": idea.public_id}),
                           follow=True)

    assert response.status_code == 200
    assert "already been submitted" in response.content.decode()


@pytest.mark.parametrize("role", [roles.VISITOR, roles.RESIDENT, roles.MODERATOR])
def test_nobody_else_submits_or_deletes_someone_elses_draft(client, role):
    idea = draft_of(ResidentFactory())
    login_role(client, role)

    submit = client.post(reverse("ideas:submit", kwargs={"public_id": idea.public_id}))
    delete = client.post(reverse("ideas:delete", kwargs={"public_id": idea.public_id}))

    expected = 302 if role == roles.VISITOR else 404
    assert (submit.status_code, delete.status_code) == (expected, expected)
    idea.refresh_from_db()
    assert idea.moderation == Moderation.DRAFT


# --- validation ---------------------------------------------------------------------------------


def test_an_empty_form_shows_every_missing_field_and_stores_nothing(client):
    login_role(client, roles.RESIDENT)

    response = client.post(CREATE, {"action": "save"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Give your idea a title." in html
    assert "Describe your idea." in html
    assert "Choose a theme." in html
    assert 'href="#id_theme_0"' in html  # the summary links to the first radio button
    assert 'aria-invalid="true"' in html
    assert not Idea.objects.exists()


def test_too_short_texts_come_back_from_the_service_on_their_fields(client):
    login_role(client, roles.RESIDENT)

    response = post_idea(client, title="Kort", body="Te kort.")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Title: Ensure this value has at least 5 characters" in html
    assert "Description: Ensure this value has at least 20 characters" in html
    assert not Idea.objects.exists()


def test_huge_texts_are_refused_and_kept_in_the_form(client):
    login_role(client, roles.RESIDENT)
    huge = "x" * 6000

    response = post_idea(client, title="t" * 500, body=huge)

    html = response.content.decode()
    assert response.status_code == 400
    assert "at most 120 characters" in html
    assert "at most 5000 characters" in html
    assert huge in html  # nothing typed is lost
    assert not Idea.objects.exists()


def test_unicode_is_stored_as_typed(client):
    login_role(client, roles.RESIDENT)
    title = "Café “De Brug” 🚲 — ŽŠČ 中文"

    post_idea(client, title=title, body="Fietsenstalling bij het café 🚲, graag overdekt.")

    assert Idea.objects.get().title == title


def test_a_location_outside_the_municipality_or_half_a_location_is_refused(client):
    login_role(client, roles.RESIDENT)

    outside = post_idea(client, latitude="10", longitude="6.1")
    half = post_idea(client, latitude="52.5")
    garbage = post_idea(client, latitude="noord", longitude="oost")

    assert "outside the municipality" in outside.content.decode()
    assert "both latitude and longitude" in half.content.decode()
    assert garbage.status_code == 400
    assert "Enter a number" in garbage.content.decode()
    assert not Idea.objects.exists()


def test_an_unknown_theme_or_neighbourhood_is_a_form_error(client):
    login_role(client, roles.RESIDENT)

    response = post_idea(client, theme="weather", neighbourhood="999")

    html = response.content.decode()
    assert "Choose one of the themes" in html
    assert "Choose a neighbourhood" in html
    assert not Idea.objects.exists()


# --- consent to show one's name -----------------------------------------------------------------


def test_showing_the_name_without_consent_saves_the_draft_anonymously_and_links_to_consent(
    client,
):
    author_name_purpose()
    login_role(client, roles.RESIDENT)

    response = post_idea(client, show_author_name="on", action="submit")

    idea = Idea.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert idea.moderation == Moderation.DRAFT  # saved, but not submitted
    assert idea.show_author_name is False
    assert "saved without your name" in html
    assert "not been submitted yet" in html
    consent = reverse("consent:give", kwargs={"purpose_code": "idea-author-name"})
    assert f'{consent}?next={edit_url(idea).replace("/", "%2F")}' in html
    assert f'action="{edit_url(idea)}"' in html  # the next save goes to this draft


def test_with_consent_the_name_is_shown(client):
    author = login_role(client, roles.RESIDENT)
    grant_author_name(author)

    post_idea(client, show_author_name="on")

    assert Idea.objects.get().show_author_name is True


def test_without_consent_and_with_other_errors_both_are_shown_and_nothing_is_stored(client):
    login_role(client, roles.RESIDENT)

    response = post_idea(client, show_author_name="on", title="Kort")

    html = response.content.decode()
    assert response.status_code == 400
    assert "at least 5 characters" in html
    assert "give consent" in html
    assert not Idea.objects.exists()


# --- images -------------------------------------------------------------------------------------


def test_a_real_png_is_added_with_its_description(client):
    login_role(client, roles.RESIDENT)

    post_idea(client, image_1=upload(), alt_1="Een leeg grasveld")

    image = IdeaImage.objects.get()
    assert (image.alt_text, image.content_type, image.width, image.height) == (
        "Een leeg grasveld", "image/png", 40, 30)
    page = client.get(edit_url(image.idea)).content.decode()
    assert "Een leeg grasveld" in page
    assert 'name="image_2"' in page
    assert 'name="image_3"' not in page
    assert reverse("ideas:image-delete", kwargs={"public_id": image.idea.public_id,
                                                 "pk": image.pk}) in page


def test_an_image_needs_a_description(client):
    login_role(client, roles.RESIDENT)

    response = post_idea(client, image_1=upload())

    assert response.status_code == 400
    assert "Describe the image for people who cannot see it." in response.content.decode()
    assert not Idea.objects.exists()


def test_a_text_file_renamed_jpg_is_refused_but_the_draft_is_kept(client):
    login_role(client, roles.RESIDENT)
    fake = upload("foto.jpg", b"this is not an image at all", "image/jpeg")

    response = post_idea(client, image_1=fake, alt_1="Een foto")

    html = response.content.decode()
    assert response.status_code == 400
    assert "“foto.jpg” was not added: This file is not an image we can read." in html
    assert Idea.objects.get().moderation == Moderation.DRAFT
    assert not IdeaImage.objects.exists()


def test_an_image_over_5_mb_is_refused(client):
    login_role(client, roles.RESIDENT)
    big = upload("groot.png", png_bytes() + b"\0" * (5 * 1024 * 1024))

    response = post_idea(client, image_1=big, alt_1="Groot")

    assert "The image is too large: at most 5 MB." in response.content.decode()
    assert not IdeaImage.objects.exists()


def test_gps_data_in_a_photo_is_removed(client):
    from PIL import ExifTags

    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (52.0, 30.0, 15.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (6.0, 5.0, 1.0),
    }
    photo = png_bytes(image_format="JPEG", exif=exif.tobytes())
    with Image.open(io.BytesIO(photo)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has GPS
    login_role(client, roles.RESIDENT)

    post_idea(client, image_1=upload("tuin.jpg", photo, "image/jpeg"), alt_1="Mijn tuin")

    image = IdeaImage.objects.get()
    with image.file.open("rb") as handle, Image.open(handle) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_at_most_three_images(client):
    author = login_role(client, roles.RESIDENT)
    idea = draft_of(author)
    for number in range(3):
        services.idea_image_add(idea=idea, by=author, upload=upload(), alt_text=f"Foto {number}")

    html = client.get(edit_url(idea)).content.decode()

    assert 'name="image_1"' not in html
    assert "maximum number of images" in html


def test_the_author_removes_an_image(client):
    author = login_role(client, roles.RESIDENT)
    idea = draft_of(author)
    image = services.idea_image_add(idea=idea, by=author, upload=upload(), alt_text="Weg")

    response = client.post(reverse("ideas:image-delete",
                                   kwargs={"public_id": idea.public_id, "pk": image.pk}))

    assert response.url == edit_url(idea)
    assert not IdeaImage.objects.exists()


def test_nobody_else_removes_an_image(client):
    author = ResidentFactory()
    idea = draft_of(author)
    image = services.idea_image_add(idea=idea, by=author, upload=upload(), alt_text="Blijft")
    login_role(client, roles.MODERATOR)

    response = client.post(reverse("ideas:image-delete",
                                   kwargs={"public_id": idea.public_id, "pk": image.pk}))

    assert response.status_code == 404
    assert IdeaImage.objects.count() == 1


# --- editing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_author_edits_a_draft(client, role):
    idea = draft_of(ResidentFactory())
    login_role(client, role)

    response = client.get(edit_url(idea))

    assert response.status_code == (302 if role == roles.VISITOR else 404)


def test_the_author_edits_a_draft(client):
    author = login_role(client, roles.RESIDENT)
    idea = draft_of(author)

    form = client.get(edit_url(idea))
    response = post_idea(client, url=edit_url(idea), title="Een beter bankje bij de halte")

    assert form.status_code == 200
    assert idea.title in form.content.decode()
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.title == "Een beter bankje bij de halte"


def test_a_submitted_idea_gives_its_author_a_friendly_page_instead_of_the_form(client):
    author = login_role(client, roles.RESIDENT)
    idea = services.idea_submit(idea=draft_of(author), by=author)

    get = client.get(edit_url(idea))
    post = post_idea(client, url=edit_url(idea), title="Toch iets anders")

    assert get.status_code == 200
    assert "can no longer be changed" in get.content.decode()
    assert "Awaiting moderation" in get.content.decode()
    assert post.status_code == 200
    idea.refresh_from_db()
    assert idea.title != "Toch iets anders"


def test_when_changes_were_requested_the_edit_page_shows_the_statement_on_top(client):
    author = login_role(client, roles.RESIDENT)
    from tests.factories import user_for_role

    idea = services.idea_submit(idea=draft_of(author), by=author)
    services.idea_moderate(idea=idea, by=user_for_role(roles.MODERATOR),
                           action=IdeaEvent.Action.REQUEST_CHANGES,
                           statement="Noem de straat waar de halte staat.")

    html = client.get(edit_url(idea)).content.decode()
    response = post_idea(client, url=edit_url(idea), action="submit",
                         body=IDEA_DATA["body"] + " De halte staat in de Assendorperstraat.")

    assert "asked you to change your idea" in html
    assert html.index("Noem de straat") < html.index('name="title"')
    idea.refresh_from_db()
    assert response.url == MINE
    assert idea.moderation == Moderation.PENDING


# --- deleting a draft ---------------------------------------------------------------------------


def test_deleting_a_draft_asks_first(client):
    author = login_role(client, roles.RESIDENT)
    idea = draft_of(author)
    url = reverse("ideas:delete", kwargs={"public_id": idea.public_id})

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Yes, delete my draft" in confirm.content.decode()
    assert Idea.objects.exists()

    response = client.post(url)

    assert response.url == MINE
    assert not Idea.objects.exists()


def test_a_submitted_idea_cannot_be_deleted(client):
    author = login_role(client, roles.RESIDENT)
    idea = services.idea_submit(idea=draft_of(author), by=author)
    url = reverse("ideas:delete", kwargs={"public_id": idea.public_id})

    response = client.post(url)

    assert "Only a draft can be deleted" in response.content.decode()
    assert Idea.objects.filter(pk=idea.pk).exists()


# --- my ideas -----------------------------------------------------------------------------------


def test_my_ideas_needs_a_login(client):
    response = client.get(MINE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_my_ideas_lists_every_state_with_the_latest_statement_and_the_actions(client):
    from tests.factories import user_for_role

    author = login_role(client, roles.RESIDENT)
    moderator = user_for_role(roles.MODERATOR)
    draft = draft_of(author, title="Mijn concept over de fietsroute")
    rejected = services.idea_submit(idea=draft_of(author, title="Afgewezen idee"), by=author)
    services.idea_moderate(idea=rejected, by=moderator, action="reject",
                           reason_code="off_topic", statement="Dit gaat over de provincie.")
    changes = services.idea_submit(idea=draft_of(author, title="Aan te passen"), by=author)
    services.idea_moderate(idea=changes, by=moderator, action="request_changes",
                           statement="Voeg een plek toe.")
    published = IdeaFactory(author=author, title="Gepubliceerd idee")
    IdeaFactory(title="Van iemand anders")

    html = client.get(MINE).content.decode()

    for title in ("Mijn concept", "Afgewezen idee", "Aan te passen", "Gepubliceerd idee"):
        assert title in html
    assert "Van iemand anders" not in html
    assert "Dit gaat over de provincie." in html
    assert "Off-topic" in html
    assert "Voeg een plek toe." in html
    assert reverse("ideas:appeal", kwargs={"public_id": rejected.public_id}) in html
    assert reverse("ideas:edit", kwargs={"public_id": changes.public_id}) in html
    assert reverse("ideas:delete", kwargs={"public_id": draft.public_id}) in html
    assert published.get_absolute_url() in html


def test_my_ideas_costs_the_same_queries_for_many_ideas(client, django_assert_max_num_queries):
    from tests.factories import user_for_role

    author = login_role(client, roles.RESIDENT)
    moderator = user_for_role(roles.MODERATOR)

    def add(count):
        for number in range(count):
            idea = services.idea_submit(idea=draft_of(author, title=f"Idee nummer {number}"),
                                        by=author)
            services.idea_moderate(idea=idea, by=moderator, action="reject",
                                   reason_code="commercial", statement="Reclame.")

    add(2)
    client.get(MINE)  # session, etc. warmed up
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(MINE)
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(MINE)
    assert response.content.decode().count('data-testid="my-idea"') == 12

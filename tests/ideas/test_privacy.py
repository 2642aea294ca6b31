"""Ideas and the person's rights: withdrawing consent for the name, the ideas section of Mijn
gegevens (export, fixed queries), and account deletion that anonymises what stays."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.utils import translation
from PIL import Image

from portal.accounts import roles
from portal.accounts.models import User
from portal.consent import services as consent_services
from portal.consent.models import Purpose, WithdrawalEffectRun
from portal.consent.selectors import personal_data_document
from portal.ideas import privacy, selectors, services
from portal.ideas.home import latest_ideas
from portal.ideas.models import (
    Appeal,
    Comment,
    Follow,
    Idea,
    IdeaImage,
    Moderation,
    ReasonCode,
    Report,
    Support,
)
from tests.factories import CommentFactory, IdeaFactory, user_for_role

pytestmark = pytest.mark.django_db

EFFECT_NAME = "portal.ideas.privacy.author_name_withdrawn"


@pytest.fixture(autouse=True)
def _english_and_media(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"  # the effect writes its message in the site language
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    with translation.override("en"):
        yield


@pytest.fixture
def name_text(db):
    purpose = Purpose.objects.create(
        code=services.AUTHOR_NAME_PURPOSE, title="Je naam tonen bij je ideeën",
        description="Je naam bij je ideeën.", owner_app="ideas",
        what_is_processed="Je naam.", retention="Tot je intrekt.",
    )
    return consent_services.consent_text_publish(
        purpose=purpose, body="We tonen je naam bij je ideeën.", material_change=True, by=None)


def _grant(user, text):
    consent_services.consent_grant(user=user, text=text, method="web", assurance_level="midden")


def _png(name="foto.png"):
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


# --- withdrawal of consent for the name -------------------------------------------------------


def test_withdrawing_consent_hides_the_name_on_all_ideas_and_comments(
    name_text, django_capture_on_commit_callbacks,
):
    author = user_for_role(roles.RESIDENT, display_name="Fatima el Amrani")
    _grant(author, name_text)
    ideas = [IdeaFactory(author=author, show_author_name=True) for _ in range(3)]
    draft = services.idea_create(author=author, show_author_name=True,
                                 title="Bankjes bij de bushalte",
                                 body="Bij de bushalte kun je nergens zitten.", theme="living")
    comments = [CommentFactory(idea=ideas[0], author=author, show_author_name=True)
                for _ in range(5)]
    someone_else = IdeaFactory(show_author_name=True)
    assert ideas[0].author_display_name == "Fatima el Amrani"

    with django_capture_on_commit_callbacks(execute=True):
        consent_services.consent_withdraw(user=author, purpose=name_text.purpose, method="web",
                                          assurance_level="midden")

    for idea in [*ideas, draft]:
        idea.refresh_from_db()
        assert idea.show_author_name is False
        assert idea.author_display_name == "anonymous resident"
    for comment in comments:
        comment.refresh_from_db()
        assert comment.author_display_name == "anonymous resident"
    someone_else.refresh_from_db()
    assert someone_else.show_author_name is True
    run = WithdrawalEffectRun.objects.get(effect_name=EFFECT_NAME)
    assert run.status == WithdrawalEffectRun.Status.DONE
    assert run.message == "Your name is no longer shown with your 4 ideas and 5 comments."


def test_the_withdrawal_effect_is_idempotent_and_speaks_in_the_singular():
    author = user_for_role(roles.RESIDENT)
    idea = IdeaFactory(author=author, show_author_name=True)
    CommentFactory(idea=idea, author=author, show_author_name=True)

    first = privacy.author_name_withdrawn(user_id=author.pk, event=None)
    second = privacy.author_name_withdrawn(user_id=author.pk, event=None)

    assert first == second == "Your name is no longer shown with your 1 idea and 1 comment."
    assert not Idea.objects.filter(show_author_name=True).exists()
    assert not Comment.objects.filter(show_author_name=True).exists()


def test_the_withdrawal_effect_without_contributions_or_account_changes_nothing():
    author = user_for_role(roles.RESIDENT)
    other = IdeaFactory(show_author_name=True)

    assert privacy.author_name_withdrawn(user_id=author.pk, event=None) == (
        "You have no ideas or comments: your name is not shown anywhere.")
    assert privacy.author_name_withdrawn(user_id=None, event=None) == (
        "Your name is no longer shown with any idea or comment.")
    other.refresh_from_db()
    assert other.show_author_name is True


# --- export -----------------------------------------------------------------------------------


def _person_with_everything():
    """A resident with an idea in several states, a comment, a reply, a support, a follow,
    a report of someone else's comment, and an appeal."""
    person = user_for_role(roles.VERIFIED_RESIDENT)
    moderator = user_for_role(roles.MODERATOR)
    other_idea = IdeaFactory(title="Meer groen op het Rodetorenplein")
    others_comment = CommentFactory(idea=other_idea, body="Geheim commentaar van een ander")

    published = IdeaFactory(author=person, title="Luchtsensoren in Stadshagen",
                            body="Meet de lucht bij de scholen in Stadshagen.")
    draft = services.idea_create(author=person, title="Speeltuin opknappen",
                                 body="De speeltuin aan de Kamperweg is verouderd.",
                                 theme="people")
    rejected = services.idea_create(author=person, title="Idee dat is afgewezen",
                                    body="Dit idee is afgewezen door de moderator.",
                                    theme="economy")
    services.idea_submit(idea=rejected, by=person)
    services.idea_moderate(idea=rejected, by=moderator, action="reject",
                           reason_code=ReasonCode.OFF_TOPIC, statement="Geen gemeentezaak.")
    services.idea_appeal(idea=rejected, by=person, text="Het is wel een gemeentezaak.")

    comment = services.comment_create(idea=other_idea, author=person, body="Mooi plan!")
    services.comment_create(idea=other_idea, author=person, body="Ik help mee.", parent=comment)
    services.idea_support(idea=other_idea, user=person)
    services.idea_follow(idea=other_idea, user=person)
    services.report_create(reporter=person, idea=other_idea, comment=others_comment,
                           reason_code=ReasonCode.INSULTING, explanation="Dit is kwetsend.")
    return person, {"published": published, "draft": draft, "rejected": rejected,
                    "other_idea": other_idea}


def test_the_export_holds_the_persons_ideas_comments_supports_follows_reports_and_appeals():
    person, _ideas = _person_with_everything()

    data = privacy.export_ideas(person)

    assert sorted(row["title"] for row in data["ideas"]) == [
        "Idee dat is afgewezen", "Luchtsensoren in Stadshagen", "Speeltuin opknappen"]
    published = next(row for row in data["ideas"] if row["title"].startswith("Lucht"))
    assert published["body"] == "Meet de lucht bij de scholen in Stadshagen."
    assert (published["moderation"], published["status_display"]) == ("published", "New")
    assert published["published_at"].startswith("20")
    assert [row["moderation"] for row in data["ideas"]
            if row["title"] == "Speeltuin opknappen"] == ["draft"]
    assert sorted((row["body"], row["is_reply"]) for row in data["comments"]) == [
        ("Ik help mee.", True), ("Mooi plan!", False)]
    assert [row["idea_title"] for row in data["supports"]] == ["Meer groen op het Rodetorenplein"]
    assert [row["idea_title"] for row in data["follows"]] == ["Meer groen op het Rodetorenplein"]
    [report] = data["reports"]
    assert report == {
        "idea_title": "Meer groen op het Rodetorenplein", "about": "comment",
        "reason": "insulting", "reason_display": "Insulting or discriminating",
        "explanation": "Dit is kwetsend.", "created_at": report["created_at"],
        "resolved_at": None,
    }
    assert [row["text"] for row in data["appeals"]] == ["Het is wel een gemeentezaak."]
    # Never someone else's words, never a pseudonym.
    flat = repr(data)
    assert "Geheim commentaar" not in flat
    assert person.bsn_pseudonym not in flat


def test_the_download_zip_holds_the_ideas_and_comments_as_json_and_csv():
    person, _ideas = _person_with_everything()

    document = personal_data_document(user=person)
    archive = zipfile.ZipFile(io.BytesIO(consent_services.data_export_zip(user=person)))

    assert document["sections"]["ideas"]["title"] == "Ideas"
    exported = json.loads(archive.read("gegevens.json"))["sections"]["ideas"]["data"]
    assert len(exported["ideas"]) == 3
    assert {row["body"] for row in exported["comments"]} == {"Mooi plan!", "Ik help mee."}
    csv_text = archive.read("ideas-ideas.csv").decode("utf-8-sig")
    assert "Luchtsensoren in Stadshagen" in csv_text
    assert "Mooi plan!" in archive.read("ideas-comments.csv").decode("utf-8-sig")


def test_the_export_costs_six_queries_for_one_row_or_twenty(django_assert_num_queries):
    one = user_for_role(roles.VERIFIED_RESIDENT)
    many = user_for_role(roles.VERIFIED_RESIDENT)
    for person, count in ((one, 1), (many, 20)):
        for _ in range(count):
            idea = IdeaFactory(author=person)
            other = IdeaFactory()
            CommentFactory(idea=other, author=person)
            Support.objects.create(idea=other, user=person)
            Follow.objects.create(idea=other, user=person)
            Report.objects.create(idea=other, reporter=person, reason_code="off_topic")
            # An appeal needs a rejected idea; made directly, the services are tested above.
            Idea.objects.filter(pk=idea.pk).update(moderation=Moderation.APPEALED)
            Appeal.objects.create(idea=idea, text="Graag opnieuw bekijken.")

    for person, count in ((one, 1), (many, 20)):
        with django_assert_num_queries(6):
            data = privacy.export_ideas(person)
        assert {name: len(rows) for name, rows in data.items()} == {
            "ideas": count, "comments": count, "supports": count, "follows": count,
            "reports": count, "appeals": count}


def test_the_mijn_gegevens_page_shows_the_ideas_section():
    person, _ideas = _person_with_everything()
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(person)

    html = client.get("/mijn-gegevens/").content.decode()

    assert "Your ideas" in html
    assert "Luchtsensoren in Stadshagen" in html
    assert "Ideas you support" in html


# --- account deletion -------------------------------------------------------------------------


def _rows_referencing(pk) -> dict[str, int]:
    found = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if (isinstance(field, models.ForeignKey | models.OneToOneField)
                    and field.related_model is User):
                count = model._base_manager.filter(**{field.attname: pk}).count()
                if count:
                    found[f"{model._meta.label}.{field.name}"] = count
    return found


def test_account_deletion_anonymises_what_stays_and_deletes_the_rest(
    name_text, django_capture_on_commit_callbacks,
):
    person, ideas = _person_with_everything()
    _grant(person, name_text)
    published = ideas["published"]
    Idea.objects.filter(pk=published.pk).update(show_author_name=True)
    image = services.idea_image_add(idea=ideas["draft"], by=person, upload=_png(),
                                     alt_text="De oude speeltuin")
    image_path = Path(image.file.path)
    pending = services.idea_create(author=person, title="Wachtend idee voor de wijk",
                                   body="Dit idee wacht nog op de moderator.", theme="living")
    services.idea_submit(idea=pending, by=person)
    other_idea = ideas["other_idea"]
    other_supporter = user_for_role(roles.VERIFIED_RESIDENT)
    services.idea_support(idea=other_idea, user=other_supporter)
    other_idea.refresh_from_db()
    assert other_idea.support_count == 2
    assert image_path.exists()
    pk = person.pk

    with django_capture_on_commit_callbacks(execute=True):
        summary = consent_services.account_delete(user=person)

    assert "2 unpublished ideas deleted (1 images)" in summary["ideas"]
    assert not User.objects.filter(pk=pk).exists()
    assert _rows_referencing(pk) == {}
    # Drafts and never-published ideas are gone, with their image files.
    assert not Idea.objects.filter(pk__in=[ideas["draft"].pk, pending.pk]).exists()
    assert not IdeaImage.objects.exists()
    assert not image_path.exists()
    # The published idea stays public, as an anonymous resident's.
    published.refresh_from_db()
    assert (published.author_id, published.show_author_name) == (None, False)
    assert published.author_display_name == "anonymous resident"
    assert published in selectors.ideas_public()
    # The rejected (appealed) idea stays for the moderation record, anonymised, with its appeal.
    rejected = Idea.objects.get(pk=ideas["rejected"].pk)
    assert (rejected.author_id, rejected.moderation) == (None, Moderation.APPEALED)
    assert rejected.appeal.text == "Het is wel een gemeentezaak."
    # Comments stay anonymous; the support went and the counter with it; the report stays.
    assert sorted(Comment.objects.filter(idea=other_idea, author__isnull=True)
                  .values_list("body", flat=True)) == ["Ik help mee.", "Mooi plan!"]
    assert all(c.author_display_name == "anonymous resident"
               for c in Comment.objects.filter(author__isnull=True))
    other_idea.refresh_from_db()
    assert other_idea.support_count == 1 == Support.objects.filter(idea=other_idea).count()
    assert not Follow.objects.exists()
    report = Report.objects.get(reason_code=ReasonCode.INSULTING)
    assert report.reporter_id is None


def test_a_deleted_authors_idea_stays_in_the_public_lists(
    django_capture_on_commit_callbacks,
):
    person, ideas = _person_with_everything()
    with django_capture_on_commit_callbacks(execute=True):
        consent_services.account_delete(user=person)

    idea = Idea.objects.get(pk=ideas["published"].pk)
    assert idea.author_display_name == "anonymous resident"
    assert idea in selectors.ideas_public()
    assert idea.title in [item["title"] for item in latest_ideas(10)]


def test_the_eraser_keeps_support_counters_equal_to_the_rows_over_many_ideas():
    person = user_for_role(roles.VERIFIED_RESIDENT)
    others = [user_for_role(roles.VERIFIED_RESIDENT) for _ in range(2)]
    targets = [IdeaFactory() for _ in range(4)]
    for idea in targets:
        for supporter in [person, *others]:
            services.idea_support(idea=idea, user=supporter)

    privacy.erase_ideas(person)

    for idea in targets:
        idea.refresh_from_db()
        assert idea.support_count == 2 == Support.objects.filter(idea=idea).count()

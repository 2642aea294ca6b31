"""The moderators' pages: the queue (oldest first, counts, reasons, constant queries) and the
decisions on ideas, appeals and comments, as a moderator experiences them."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.accounts import roles
from portal.ideas import services
from portal.ideas.models import (
    Appeal,
    IdeaEvent,
    Moderation,
    ReasonCode,
    Report,
)
from tests.factories import CommentFactory, IdeaFactory, UserFactory, user_for_role

pytestmark = pytest.mark.django_db

Action = IdeaEvent.Action
QUEUE = reverse("ideas:queue")


@pytest.fixture
def moderator(client, settings):
    user = user_for_role(roles.MODERATOR)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return user


def _idea_url(idea):
    return reverse("ideas:moderate-idea", kwargs={"public_id": idea.public_id})


def _comment_url(comment):
    return reverse("ideas:moderate-comment", kwargs={"public_id": comment.public_id})


def _submitted(title="Meer bankjes in het park", **fields):
    author = user_for_role(roles.RESIDENT)
    idea = services.idea_create(
        author=author, title=title, theme=fields.pop("theme", "living"),
        body=fields.pop("body", "Oudere bewoners kunnen onderweg nergens uitrusten."),
    )
    return services.idea_submit(idea=idea, by=author)


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- the queue --------------------------------------------------------------------------------


def _fill_queue(count):
    """`count` items of every kind: pending, appealed and reported ideas, pending and reported
    comments."""
    first, second = UserFactory(groups=[roles.MODERATOR]), UserFactory(groups=[roles.MODERATOR])
    for number in range(count):
        _submitted(title=f"Wachtend idee {number}")
        rejected = services.idea_moderate(idea=_submitted(title=f"Beroep {number}"), by=first,
                                          action=Action.REJECT, reason_code=ReasonCode.OFF_TOPIC,
                                          statement="Buiten de gemeente.")
        services.idea_appeal(idea=rejected, by=rejected.author, text="Toch wel.")
        reported = IdeaFactory(title=f"Gemeld idee {number}")
        services.report_create(reporter=user_for_role(roles.RESIDENT), idea=reported,
                               reason_code=ReasonCode.COMMERCIAL, explanation="Reclame")
        CommentFactory(idea=reported, moderation=Moderation.PENDING, body=f"Wachtend {number}")
        comment = CommentFactory(idea=reported, body=f"Gemelde reactie {number}")
        services.report_create(reporter=user_for_role(roles.RESIDENT), idea=reported,
                               comment=comment, reason_code=ReasonCode.INSULTING)
    return second


def test_the_queue_counts_every_kind_and_lists_them(client, moderator):
    _fill_queue(2)

    response = client.get(QUEUE)

    content = response.content.decode()
    counts = {kind["key"]: kind["count"] for kind in response.context["kinds"]}
    assert counts == {"pending": 2, "appeals": 2, "reported": 2, "pending_comments": 2,
                      "reported_comments": 2}
    assert response.context["total"] == 10
    assert len(response.context["idea_rows"]) == 6
    assert len(response.context["comment_rows"]) == 4
    for text in ("Wachtend idee 1", "Beroep 0", "Gemeld idee 1", "Wachtend 0",
                 "Gemelde reactie 1", "Commercial", "Insulting or discriminating"):
        assert text in content


def test_the_queue_is_oldest_first_and_says_how_long_things_wait(client, moderator):
    newer = _submitted(title="Nieuw idee")
    older = _submitted(title="Oud idee")
    Idea = type(older)
    Idea.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - dt.timedelta(days=3))

    response = client.get(QUEUE)

    rows = response.context["idea_rows"]
    assert [row["idea"].pk for row in rows] == [older.pk, newer.pk]
    assert "3\xa0days" in response.content.decode()


def test_reported_rows_give_the_number_and_reasons_but_never_the_reporter(client, moderator):
    idea = IdeaFactory()
    reporters = [user_for_role(roles.ORGANISATION_MEMBER, display_name=f"Melder {n}")
                 for n in range(3)]
    for reporter, reason in zip(reporters, [ReasonCode.COMMERCIAL, ReasonCode.COMMERCIAL,
                                            ReasonCode.ILLEGAL], strict=True):
        services.report_create(reporter=reporter, idea=idea, reason_code=reason)

    response = client.get(QUEUE)

    row = response.context["idea_rows"][0]
    assert row["report_count"] == 3
    assert [(reason["label"], reason["count"]) for reason in row["reasons"]] == [
        ("Commercial", 2), ("Illegal", 1),
    ]
    assert "Melder" not in response.content.decode()
    assert "Melder" not in client.get(_idea_url(idea)).content.decode()


def test_filtering_the_queue_on_one_kind(client, moderator):
    _fill_queue(1)

    response = client.get(QUEUE, {"kind": "appeals"})

    assert [row["idea"].title for row in response.context["idea_rows"]] == ["Beroep 0"]
    assert response.context["comment_page"] is None
    response = client.get(QUEUE, {"kind": "reported_comments"})
    assert response.context["idea_page"] is None
    assert [row["comment"].body for row in response.context["comment_rows"]] == [
        "Gemelde reactie 0"]
    # An unknown kind shows everything.
    assert client.get(QUEUE, {"kind": "x"}).context["total"] == 5


def test_an_empty_queue_says_so(client, moderator):
    content = client.get(QUEUE).content.decode()

    assert "No ideas are waiting." in content
    assert "No comments are waiting." in content


def test_the_queue_is_paginated(client, moderator, monkeypatch):
    from portal.ideas import moderation_views

    monkeypatch.setattr(moderation_views, "QUEUE_PAGE_SIZE", 2)
    for number in range(5):
        _submitted(title=f"Idee {number}")

    response = client.get(QUEUE, {"ideas_page": 3})

    assert [row["idea"].title for row in response.context["idea_rows"]] == ["Idee 4"]
    assert "Page 3 of 3" in response.content.decode()
    assert client.get(QUEUE, {"ideas_page": "abc"}).status_code == 200


def test_the_queue_costs_the_same_number_of_queries_whatever_its_length(
    client, moderator, django_assert_num_queries,
):
    _fill_queue(1)
    client.get(QUEUE)  # the first request of a session does a little more (session, caches)

    with CaptureQueriesContext(connection) as small:
        assert client.get(QUEUE).status_code == 200
    _fill_queue(6)

    with django_assert_num_queries(len(small)):
        response = client.get(QUEUE)
    assert len(response.context["idea_rows"]) == 21


# --- deciding on a pending idea ---------------------------------------------------------------


def test_the_decision_page_shows_the_sanitised_idea_and_its_timeline(client, moderator):
    idea = _submitted(body="**Bankjes** bij de bieb.\n\n<script>alert('x')</script><b onclick=x>"
                           "vet</b>")

    response = client.get(_idea_url(idea))

    content = response.content.decode()
    assert "<strong>Bankjes</strong>" in content
    assert "alert(" not in content
    assert "onclick" not in content
    assert 'data-testid="timeline"' in content
    assert "Submitted" in content
    assert 'data-testid="decision-form"' in content
    assert [choice[0] for choice in response.context["form"].fields["decision"].choices] == [
        "publish", "request_changes", "reject"]


def test_publishing_goes_back_to_the_queue_with_a_message(client, moderator):
    idea = _submitted()

    response = client.post(_idea_url(idea), {"decision": "publish"})

    assert response.status_code == 302
    assert response.url == QUEUE
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED
    assert idea.events.get(action=Action.PUBLISH).by == moderator
    assert _messages(response) == [f"“{idea.title}” has been published."]


def test_rejecting_without_reasons_shows_errors_on_the_fields(client, moderator):
    idea = _submitted()

    response = client.post(_idea_url(idea), {"decision": "reject", "statement": ""})

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"reason_code", "statement"}
    content = response.content.decode()
    assert 'href="#id_statement"' in content
    assert 'aria-invalid="true"' in content
    assert 'id="id_statement_error"' in content
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PENDING


def test_rejecting_with_a_reason_and_a_statement(client, moderator):
    idea = _submitted()

    response = client.post(_idea_url(idea), {
        "decision": "reject", "reason_code": ReasonCode.COMMERCIAL,
        "statement": "Dit is reclame voor een winkel.",
    })

    assert response.status_code == 302
    event = idea.events.get(action=Action.REJECT)
    assert (event.reason_code, event.text) == (ReasonCode.COMMERCIAL,
                                               "Dit is reclame voor een winkel.")


def test_requesting_changes_needs_a_statement(client, moderator):
    idea = _submitted()

    response = client.post(_idea_url(idea), {"decision": "request_changes"})
    assert response.status_code == 400
    assert "statement" in response.context["form"].errors

    response = client.post(_idea_url(idea), {"decision": "request_changes",
                                              "statement": "Welk park bedoelt u?"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.moderation == Moderation.CHANGES_REQUESTED


@pytest.mark.parametrize("pasted", ["{url}", "https://stad.example{url}", "{uuid}",
                                    " {uuid_upper} "])
def test_rejecting_as_a_duplicate_of_a_pasted_idea(client, moderator, pasted):
    original = IdeaFactory(title="Het eerste idee over bankjes")
    idea = _submitted()
    value = pasted.format(url=original.get_absolute_url(), uuid=original.public_id,
                          uuid_upper=str(original.public_id).upper())

    response = client.post(_idea_url(idea), {
        "decision": "reject", "reason_code": ReasonCode.DUPLICATE, "duplicate_of": value,
        "statement": "Dit idee bestaat al.",
    })

    assert response.status_code == 302
    assert idea.events.get(action=Action.REJECT).duplicate_of == original


@pytest.mark.parametrize(("value", "message"), [
    ("", "Say which idea this is a duplicate of."),
    ("het idee van gisteren", "We do not recognise an idea in this."),
    ("00000000-0000-4000-8000-000000000000", "There is no published idea with this address."),
])
def test_a_duplicate_without_a_recognisable_idea_is_refused(client, moderator, value, message):
    idea = _submitted()

    response = client.post(_idea_url(idea), {
        "decision": "reject", "reason_code": ReasonCode.DUPLICATE, "duplicate_of": value,
        "statement": "Dit idee bestaat al.",
    })

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors["duplicate_of"])


def test_a_decision_that_is_no_longer_possible_is_refused_clearly(client, moderator):
    idea = _submitted()
    services.idea_moderate(idea=idea, by=UserFactory(groups=[roles.MODERATOR]),
                           action=Action.PUBLISH)

    response = client.post(_idea_url(idea), {"decision": "request_changes",
                                              "statement": "Te laat."})

    assert response.status_code == 400
    assert "This decision is not possible now." in response.content.decode()


@pytest.mark.parametrize("state", [Moderation.DRAFT, Moderation.CHANGES_REQUESTED,
                                   Moderation.REJECTED])
def test_nothing_to_decide_on_an_idea_waiting_for_its_author(client, moderator, state):
    idea = IdeaFactory(moderation=state)

    response = client.get(_idea_url(idea))
    assert response.context["form"] is None
    assert 'data-testid="nothing-to-decide"' in response.content.decode()

    response = client.post(_idea_url(idea), {"decision": "publish"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.moderation == state


def test_images_are_shown_through_the_image_route(client, moderator):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    author = user_for_role(roles.RESIDENT)
    idea = services.idea_create(author=author, title="Een idee met een foto",
                                body="Kijk maar naar de foto van het park.", theme="living")
    data = io.BytesIO()
    Image.new("RGB", (20, 10), "green").save(data, format="PNG")
    image = services.idea_image_add(
        idea=idea, by=author, alt_text="Het park in de zomer",
        upload=SimpleUploadedFile("park.png", data.getvalue(), content_type="image/png"),
    )
    services.idea_submit(idea=idea, by=author)

    content = client.get(_idea_url(idea)).content.decode()

    src = reverse("ideas:image", kwargs={"public_id": idea.public_id, "pk": image.pk})
    assert f'src="{src}"' in content
    assert 'alt="Het park in de zomer"' in content
    assert client.get(src).status_code == 200


# --- a published, reported idea ---------------------------------------------------------------


@pytest.fixture
def reported():
    idea = IdeaFactory(title="Reclame voor mijn zaak")
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=idea,
                           reason_code=ReasonCode.COMMERCIAL, explanation="Dit is een advertentie.")
    return idea


def test_a_reported_idea_shows_its_reports_without_the_reporter(client, moderator, reported):
    response = client.get(_idea_url(reported))

    content = response.content.decode()
    assert "Dit is een advertentie." in content
    assert "Commercial" in content
    reporter = Report.objects.get().reporter
    assert reporter.get_short_name() not in content
    assert [choice[0] for choice in response.context["form"].fields["decision"].choices] == [
        "dismiss_reports", "reject"]


def test_keeping_a_reported_idea_online(client, moderator, reported):
    response = client.post(_idea_url(reported), {"decision": "dismiss_reports"})

    assert response.status_code == 302
    reported.refresh_from_db()
    assert (reported.moderation, reported.open_report_count) == (Moderation.PUBLISHED, 0)
    assert reported.events.get().action == Action.REPORTS_DISMISSED
    assert client.get(QUEUE).context["total"] == 0


def test_hiding_a_reported_idea(client, moderator, reported):
    response = client.post(_idea_url(reported), {
        "decision": "reject", "reason_code": ReasonCode.COMMERCIAL,
        "statement": "Reclame hoort hier niet.",
    })

    assert response.status_code == 302
    reported.refresh_from_db()
    assert (reported.moderation, reported.open_report_count) == (Moderation.REJECTED, 0)
    assert "has been rejected" in _messages(response)[0]


def test_a_published_idea_without_reports_can_still_be_hidden(client, moderator):
    response = client.get(_idea_url(IdeaFactory()))

    assert [choice[0] for choice in response.context["form"].fields["decision"].choices] == [
        "reject"]


# --- appeals ----------------------------------------------------------------------------------


@pytest.fixture
def appealed():
    first = UserFactory(groups=[roles.MODERATOR])
    idea = services.idea_moderate(idea=_submitted(), by=first, action=Action.REJECT,
                                  reason_code=ReasonCode.OFF_TOPIC,
                                  statement="Dit gaat niet over de stad.")
    services.idea_appeal(idea=idea, by=idea.author, text="Het park is van de gemeente.")
    idea.refresh_from_db()
    return idea


def test_the_moderator_who_rejected_sees_that_another_must_decide(client, appealed):
    rejecter = Appeal.objects.get().rejected_by
    client.force_login(rejecter)

    response = client.get(_idea_url(appealed))

    content = response.content.decode()
    assert 'data-testid="own-rejection"' in content
    assert response.context["form"] is None
    assert "Het park is van de gemeente." in content
    assert client.post(_idea_url(appealed), {"decision": "uphold"}).status_code == 403
    appealed.refresh_from_db()
    assert appealed.moderation == Moderation.APPEALED


def test_another_moderator_reads_the_appeal_and_upholds_it(client, moderator, appealed):
    response = client.get(_idea_url(appealed))
    content = response.content.decode()
    assert "Het park is van de gemeente." in content
    assert "Dit gaat niet over de stad." in content
    # Dismissing starts from the rejection's reason.
    assert response.context["form"].initial["reason_code"] == ReasonCode.OFF_TOPIC

    response = client.post(_idea_url(appealed), {"decision": "uphold"})

    assert response.status_code == 302
    appealed.refresh_from_db()
    assert appealed.moderation == Moderation.PUBLISHED
    assert Appeal.objects.get().upheld is True


def test_dismissing_an_appeal_needs_a_statement(client, moderator, appealed):
    response = client.post(_idea_url(appealed), {"decision": "dismiss",
                                                 "reason_code": ReasonCode.OFF_TOPIC})
    assert response.status_code == 400
    assert "statement" in response.context["form"].errors

    response = client.post(_idea_url(appealed), {
        "decision": "dismiss", "reason_code": ReasonCode.OFF_TOPIC,
        "statement": "Het park is van de provincie.",
    })

    assert response.status_code == 302
    appealed.refresh_from_db()
    assert appealed.moderation == Moderation.REJECTED
    assert "The appeal has been dismissed" in _messages(response)[0]
    content = client.get(_idea_url(appealed)).content.decode()
    assert "This is final." in content


# --- comments ---------------------------------------------------------------------------------


def test_publishing_a_pending_comment(client, moderator):
    comment = CommentFactory(moderation=Moderation.PENDING, body="Mooi plan, *echt*.")

    response = client.get(_comment_url(comment))
    assert "<em>echt</em>" in response.content.decode()
    assert [c[0] for c in response.context["form"].fields["decision"].choices] == [
        "publish", "reject"]

    response = client.post(_comment_url(comment), {"decision": "publish"})

    assert response.status_code == 302
    assert response.url == QUEUE
    comment.refresh_from_db()
    comment.idea.refresh_from_db()
    assert comment.moderation == Moderation.PUBLISHED
    assert comment.idea.comment_count == 1


def test_the_comment_form_has_no_duplicate_reason(client, moderator):
    response = client.get(_comment_url(CommentFactory()))

    form = response.context["form"]
    assert "duplicate_of" not in form.fields
    assert ReasonCode.DUPLICATE not in [c[0] for c in form.fields["reason_code"].choices]


def test_hiding_a_reported_comment_with_reasons(client, moderator):
    comment = CommentFactory(body="Jullie zijn allemaal idioten.")
    comment.idea.comment_count = 1
    comment.idea.save()
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=comment.idea,
                           comment=comment, reason_code=ReasonCode.INSULTING)

    response = client.post(_comment_url(comment), {"decision": "reject"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"reason_code", "statement"}

    response = client.post(_comment_url(comment), {
        "decision": "reject", "reason_code": ReasonCode.INSULTING,
        "statement": "Schelden hoort hier niet.",
    })

    assert response.status_code == 302
    comment.refresh_from_db()
    comment.idea.refresh_from_db()
    assert (comment.moderation, comment.open_report_count) == (Moderation.REJECTED, 0)
    assert comment.idea.comment_count == 0
    assert "Schelden hoort hier niet." in client.get(_comment_url(comment)).content.decode()


def test_keeping_a_reported_comment_online(client, moderator):
    comment = CommentFactory()
    services.report_create(reporter=user_for_role(roles.RESIDENT), idea=comment.idea,
                           comment=comment, reason_code=ReasonCode.OFF_TOPIC)

    response = client.post(_comment_url(comment), {"decision": "dismiss_reports"})

    assert response.status_code == 302
    comment.refresh_from_db()
    assert (comment.moderation, comment.open_report_count) == (Moderation.PUBLISHED, 0)


def test_a_reply_shows_what_it_replies_to(client, moderator):
    parent = CommentFactory(body="Waar precies?")
    reply = CommentFactory(idea=parent.idea, parent=parent, moderation=Moderation.PENDING,
                           body="Bij de bibliotheek.")

    content = client.get(_comment_url(reply)).content.decode()

    assert "Waar precies?" in content
    assert "Reply to a comment" in content


def test_a_hidden_comment_has_nothing_left_to_decide(client, moderator):
    comment = CommentFactory(moderation=Moderation.REJECTED)

    assert client.get(_comment_url(comment)).context["form"] is None
    response = client.post(_comment_url(comment), {"decision": "publish"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.moderation == Moderation.REJECTED

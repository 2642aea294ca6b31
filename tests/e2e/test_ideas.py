"""The ideas journey, clicked through in Chromium: a resident submits an idea; a moderator
rejects it with a statement of reasons; the resident appeals; a second moderator publishes it;
another verified resident supports it and comments; a civil servant sets "accepted" with an
official answer, and the supporter gets an e-mail sent by the Celery task. axe-core on the list,
detail, form and moderator queue pages (and every other page on the way)."""

import re

import pytest
from django.core import mail

from portal.accounts import digid_mock, roles
from portal.ideas.models import Idea, IdeaEvent, Moderation, Status
from tests.e2e.conftest import assert_accessible
from tests.e2e.register_helpers import english, log_in, log_out, screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AUTHOR = digid_mock.mock_resident_get(key="fatima")
SUPPORTER = digid_mock.mock_resident_get(key="emre")
TITLE = "Schaduwbomen op het Stadshagenplein"


def _shot(page, name):
    screenshot(page, "ideas", name)


def _digid_login(page, resident):
    page.goto("/digid/login/")
    page.get_by_label(re.compile(resident.name)).check()
    page.locator("select[name=level]").select_option("midden")
    page.locator("button[name=login]").click()
    page.wait_for_url(re.compile(r"/$"))


def _open_in_queue(page):
    page.goto("/ideeen/moderatie/")
    page.get_by_test_id("queue-ideas").get_by_role("link", name=re.compile(TITLE)).first.click()
    page.get_by_test_id("decision-form").wait_for()


def test_an_idea_from_submission_through_rejection_appeal_support_and_official_answer(
    page, live_server
):
    english(page.context, live_server.url)
    first_moderator = UserFactory(email="moderator1@example.org", groups=[roles.MODERATOR])
    second_moderator = UserFactory(email="moderator2@example.org", groups=[roles.MODERATOR])
    civil_servant = UserFactory(email="ambtenaar@example.org", groups=[roles.CIVIL_SERVANT])

    # 1. A resident submits an idea.
    _digid_login(page, AUTHOR)
    page.goto("/ideeen/")
    assert_accessible(page, label="idea list")
    page.get_by_test_id("share-idea").click()
    page.get_by_test_id("idea-form").wait_for()
    assert_accessible(page, label="idea form")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Description", exact=True).fill(
        "Op het plein is het in de zomer te heet. **Bomen** geven schaduw.\n\n"
        "- minder hitte\n- meer groen"
    )
    page.get_by_label("Environment").check()
    _shot(page, "form")
    page.get_by_test_id("submit-idea").click()
    page.wait_for_url("**/ideeen/mijn-ideeen/")
    idea = Idea.objects.get(title=TITLE)
    assert idea.moderation == Moderation.PENDING
    assert page.get_by_test_id("my-idea-state").first.inner_text().strip() == "Awaiting moderation"
    log_out(page)

    # 2. A moderator rejects it with a reason and a statement of reasons.
    log_in(page, first_moderator.email)
    page.goto("/ideeen/moderatie/")
    assert "1" in page.get_by_test_id("queue-counts").inner_text()
    assert_accessible(page, label="moderator queue")
    _shot(page, "queue")
    _open_in_queue(page)
    assert_accessible(page, label="moderation decision")
    page.get_by_label("Reject", exact=True).check()
    page.get_by_label("Reason", exact=True).select_option("off_topic")
    page.get_by_label("Statement of reasons").fill(
        "Bomen planten op dit plein hoort bij het groenplan; dien het daar in."
    )
    page.get_by_test_id("decide").click()
    page.wait_for_url("**/ideeen/moderatie/**")
    idea.refresh_from_db()
    assert idea.moderation == Moderation.REJECTED
    log_out(page)

    # 3. The resident reads the statement on their idea and appeals.
    _digid_login(page, AUTHOR)
    page.goto(idea.get_absolute_url())
    assert "groenplan" in page.get_by_test_id("hidden-statement").inner_text()
    assert_accessible(page, label="rejected idea, seen by its author")
    page.get_by_test_id("appeal-link").click()
    page.get_by_label("Why should the decision change?").fill(
        "Het groenplan gaat niet over dit plein; het plein is van de gemeente."
    )
    assert_accessible(page, label="appeal form")
    page.get_by_role("button", name="Send my appeal").click()
    page.wait_for_load_state()
    idea.refresh_from_db()
    assert idea.moderation == Moderation.APPEALED
    log_out(page)

    # 4. The first moderator may not decide the appeal; a second moderator upholds it.
    log_in(page, first_moderator.email)
    page.goto("/ideeen/moderatie/")
    page.get_by_test_id("queue-ideas").get_by_role("link", name=re.compile(TITLE)).first.click()
    assert page.get_by_test_id("decision-form").count() == 0
    assert "different moderator" in page.locator("main").inner_text()
    log_out(page)
    log_in(page, second_moderator.email)
    _open_in_queue(page)
    page.get_by_label("Uphold the appeal: publish the idea").check()
    page.get_by_test_id("decide").click()
    page.wait_for_url("**/ideeen/moderatie/**")
    idea.refresh_from_db()
    assert idea.moderation == Moderation.PUBLISHED
    log_out(page)

    # 5. Another verified resident, with a verified e-mail address, supports and comments.
    _digid_login(page, SUPPORTER)
    supporter = _verified_email_for_current_resident(page, "emre@example.org")
    page.goto("/ideeen/")
    page.get_by_test_id("idea-list").get_by_role("link", name=TITLE).click()
    page.get_by_test_id("idea-body").wait_for()
    assert page.get_by_test_id("idea-body").locator("strong").inner_text() == "Bomen"
    assert_accessible(page, label="idea detail")
    page.get_by_test_id("support").click()
    page.get_by_test_id("unsupport").wait_for()
    assert page.get_by_test_id("support-count").first.inner_text().strip().startswith("1")
    page.get_by_label("Your comment").fill("Goed plan, graag ook een bankje in de schaduw.")
    page.get_by_role("button", name="Place comment").click()
    page.get_by_test_id("comment-body").filter(has_text="bankje in de schaduw").wait_for()
    _shot(page, "detail-supported")
    log_out(page)

    # 6. A civil servant accepts the idea with an official answer; the supporter is e-mailed.
    mail.outbox.clear()
    log_in(page, civil_servant.email)
    page.goto(idea.get_absolute_url())
    page.get_by_test_id("staff-status").click()
    page.get_by_test_id("status-form").wait_for()
    assert_accessible(page, label="status and official answer")
    page.get_by_label("Accepted").check()
    page.get_by_label("Official answer").fill(
        "We planten dit najaar zes lindes op het plein. Dank voor je idee!"
    )
    page.get_by_test_id("save-status").click()
    page.get_by_test_id("official-answer").wait_for()
    assert "zes lindes" in page.get_by_test_id("official-answer").inner_text()
    _shot(page, "detail-accepted")

    idea.refresh_from_db()
    assert idea.status == Status.ACCEPTED
    assert IdeaEvent.objects.filter(idea=idea, action="status", to_state="accepted").exists()
    to_supporter = [message for message in mail.outbox if message.to == [supporter.email]]
    assert len(to_supporter) == 1
    assert "zes lindes" in to_supporter[0].body


def _verified_email_for_current_resident(page, address):
    """The supporter adds a notification address on Mijn account and opens the link."""
    from portal.accounts.models import User

    page.goto("/mijn-account/")
    page.get_by_test_id("resident-email-input").fill(address)
    page.get_by_test_id("resident-email-send").click()
    page.get_by_test_id("resident-email-state").wait_for()
    assert page.get_by_test_id("resident-email-state").get_attribute("data-state") == "pending"
    assert_accessible(page, label="my account, e-mail waiting for confirmation")
    # The link in the e-mail carries SITE_URL's host; the live server has its own port.
    link = re.search(r"/mijn-account/e-mailadres/bevestigen/\S+/", mail.outbox[-1].body)
    page.goto(link.group(0))
    page.wait_for_url("**/mijn-account/")
    assert page.get_by_test_id("resident-email-state").get_attribute("data-state") == "verified"
    return User.objects.get(email=address)

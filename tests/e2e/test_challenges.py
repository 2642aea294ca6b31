"""The challenges journey, clicked through in Chromium (issue 7).

A civil servant publishes a challenge (criteria whose weights add up to 100); a startup member
asks a question, the civil servant answers it, the startup member reads the public answer and
writes and submits a proposal with a PDF; after the deadline the civil servant appoints a jury
(chair and member) and starts the assessment; both jury members declare no conflict and score;
the chair finalises the ranking and awards; the pilot appears in the pilot register as a draft
for the civil servants, who complete it and publish it four-eyes; the winner reads the outcome
letter. axe-core on the list, detail, proposal form, jury overview, scoring and ranking pages
(and the others on the way). UI text is checked in English (language cookie).

Time: the server's clock is moved forward past the submission deadline (`clock.shift`), the
same clock for the test and the live server thread (one process). The challenge then closes
as the Celery beat task does every minute (`challenge_close_due`, called here: no beat runs in
tests).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from challenges import services
from challenges.demo import pdf_document, server_clock
from challenges.models import Challenge, Proposal
from portal.accounts import roles
from portal.accounts.models import Organisation
from portal.core.models import Notification
from registry.models import Pilot
from tests.e2e.conftest import assert_accessible
from tests.e2e.register_helpers import english, log_in, log_out, screenshot
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Koele schoolpleinen in Stadshagen"
QUESTION = "Mogen we ook de daken van de scholen gebruiken voor groen?"
ANSWER = "Ja, als de school en de eigenaar van het gebouw meedoen. Dat regelt u zelf."
SUMMARY = "Wij vervangen tegels door groen en meten met sensoren hoeveel koeler het wordt."
CRITERIA = [("Effect op hitte", "60"), ("Haalbaarheid", "25"), ("Prijs", "15")]


class ShiftedClock:
    """timezone.now() plus an offset that the test moves forward."""

    def __init__(self, real_now):
        self.real_now, self.offset = real_now, dt.timedelta()

    def __call__(self):
        return self.real_now() + self.offset

    def shift(self, delta: dt.timedelta):
        self.offset += delta


@pytest.fixture
def clock():
    """One clock for the services, the model defaults (event times …) and the live server."""
    clock = ShiftedClock(timezone.now)
    with server_clock(clock):
        yield clock


def _shot(page, name):
    screenshot(page, "challenges", name)


def _local_input(moment: dt.datetime) -> str:
    """A datetime-local value (Amsterdam time, minutes)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _people():
    civil_servant = UserFactory(email="daan@zwolle.example", display_name="Daan Hendriks",
                                groups=[roles.CIVIL_SERVANT])
    colleague = UserFactory(email="lotte@zwolle.example", display_name="Lotte Vos",
                            groups=[roles.CIVIL_SERVANT])
    startup = OrganisationFactory(name="Koelteknop B.V.", kind=Organisation.Kind.STARTUP)
    bidder = MembershipFactory(
        organisation=startup,
        user=UserFactory(email="eva@koelteknop.example", display_name="Eva Mulder"),
    ).user
    chair = UserFactory(email="ingrid@jury.example", display_name="Ingrid Kok",
                        groups=[roles.JURY_MEMBER])
    member = UserFactory(email="bas@jury.example", display_name="Bas Jansen",
                         groups=[roles.JURY_MEMBER])
    return civil_servant, colleague, startup, bidder, chair, member


def _fill_challenge_form(page, now):
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_problem").fill(
        "Op hete dagen worden de schoolpleinen in Stadshagen te heet om buiten te spelen.")
    page.locator("#id_for_whom").fill("Kinderen van de basisscholen en hun leerkrachten.")
    page.locator("#id_not_asked").fill("We schrijven geen oplossing voor; geen airco's.")
    page.locator("#id_theme").select_option("Natuur en milieu")
    page.get_by_label("13. Climate action").check()
    page.locator("#id_department").fill("Ruimte en Duurzaamheid")
    page.locator("#id_contact_name").fill("Daan Hendriks")
    page.locator("#id_contact_email").fill("uitdagingen@zwolle.example")
    page.locator("#id_budget").fill("40000")
    page.locator("#id_prize_description").fill("€ 40.000 voor een pilot van een jaar.")
    page.locator("#id_winner_gets").fill("Een betaalde pilot met de gemeente als eerste klant.")
    page.locator("#id_required_attachments").fill("Plan van aanpak (PDF)")
    page.locator("#id_data_sources").fill(
        "#SensHagen | https://stadsmakers.example/sensoren/senshagen/")
    dates = {
        "opens_at": now - dt.timedelta(hours=1),
        "questions_deadline": now + dt.timedelta(days=1),
        "submission_deadline": now + dt.timedelta(days=2),
        "jury_date": now + dt.timedelta(days=3),
        "award_date": now + dt.timedelta(days=4),
    }
    for name, moment in dates.items():
        page.locator(f"#id_{name}").fill(_local_input(moment))
    for row, (title, weight) in enumerate(CRITERIA):
        page.locator(f"#id_criteria-{row}-title").fill(title)
        page.locator(f"#id_criteria-{row}-weight").fill(weight)


def _publish_challenge(page, civil_servant, now) -> Challenge:
    log_in(page, civil_servant.email)
    page.goto("/uitdagingen/")
    page.get_by_test_id("new-challenge").click()
    page.get_by_test_id("challenge-form").wait_for()
    _fill_challenge_form(page, now)
    # The total is added up while typing (static/js/challenges-criteria.js).
    assert "100%" in page.get_by_test_id("weight-total-line").inner_text()
    assert_accessible(page, label="challenge form")
    _shot(page, "form")
    page.get_by_test_id("save").click()
    page.get_by_test_id("draft-notice").wait_for()
    page.get_by_test_id("publish-challenge").click()
    page.get_by_test_id("publish-ready").wait_for()
    assert_accessible(page, label="publish confirmation")
    page.get_by_test_id("confirm-publish").click()
    page.get_by_test_id("take-part").wait_for()
    challenge = Challenge.objects.get(title=TITLE)
    assert challenge.status == Challenge.Status.OPEN
    assert list(challenge.criteria.values_list("weight", flat=True)) == [60, 25, 15]
    log_out(page)
    return challenge


def _ask_question(page, bidder, challenge):
    log_in(page, bidder.email)
    page.goto("/uitdagingen/")
    assert_accessible(page, label="challenge list")
    _shot(page, "list")
    page.get_by_test_id("challenge-list").get_by_role("link", name=TITLE).click()
    page.get_by_test_id("challenge").wait_for()
    assert page.get_by_test_id("weight-total").inner_text().strip() == "100%"
    assert_accessible(page, label="challenge detail")
    _shot(page, "detail")
    page.get_by_test_id("ask-question").click()
    page.get_by_label("Your question").fill(QUESTION)
    assert_accessible(page, label="question form")
    page.get_by_test_id("send-question").click()
    page.get_by_test_id("my-question").filter(has_text=QUESTION).wait_for()
    assert challenge.questions.get().text == QUESTION
    log_out(page)


def _answer_question(page, civil_servant, challenge):
    log_in(page, civil_servant.email)
    page.goto(challenge.get_absolute_url())
    page.get_by_test_id("manage-challenge").click()
    page.get_by_test_id("pending-question").wait_for()
    assert_accessible(page, label="civil servant dashboard")
    page.get_by_test_id("answer-link").click()
    page.get_by_label("Answer", exact=True).fill(ANSWER)
    assert_accessible(page, label="answer form")
    page.get_by_test_id("publish-answer").click()
    page.wait_for_url(re.compile(r".*/beheer/.*"))
    assert challenge.questions.get().status == "answered"
    log_out(page)


def _write_and_submit_proposal(page, bidder, challenge) -> Proposal:
    log_in(page, bidder.email)
    page.goto(challenge.get_absolute_url())
    answer = page.get_by_test_id("qa").filter(has_text=QUESTION)
    assert ANSWER in answer.get_by_test_id("answer-text").inner_text()
    assert bidder.display_name not in page.get_by_test_id("questions").inner_text()
    page.get_by_test_id("write-proposal").click()
    page.get_by_test_id("proposal-form").wait_for()
    assert_accessible(page, label="proposal form")
    page.get_by_label("Summary", exact=True).fill(SUMMARY)
    page.get_by_label("Approach", exact=True).fill(
        "Per school halen we 200 m² tegels weg en planten bomen. Sensoren meten de temperatuur.")
    page.get_by_label("Team", exact=True).fill("Eva Mulder (ecoloog) en twee hoveniers.")
    page.get_by_label("Planning", exact=True).fill("Voorjaar: aanleg. Zomer: meten.")
    page.get_by_label("Budget in euros", exact=True).fill("38.500")
    page.get_by_label("How success is measured", exact=True).fill(
        "Op hete dagen is het plein 3 graden koeler dan een tegelplein.")
    page.locator("#id_attachment_1").set_input_files({
        "name": "plan-van-aanpak.pdf", "mimeType": "application/pdf",
        "buffer": pdf_document("Plan van aanpak", [SUMMARY]),
    })
    page.get_by_test_id("submit-proposal").click()
    page.get_by_test_id("confirm-form").wait_for()
    assert_accessible(page, label="submit confirmation")
    _shot(page, "submit-confirm")
    page.get_by_test_id("confirm-submit").click()
    page.get_by_test_id("receipt").wait_for()
    proposal = Proposal.objects.get(challenge=challenge)
    assert proposal.status == Proposal.Status.SUBMITTED
    assert page.get_by_test_id("receipt-code").inner_text().strip() == proposal.receipt_code
    assert proposal.attachments.get().original_name == "plan-van-aanpak.pdf"
    assert Notification.objects.filter(recipient=bidder, kind=services.KIND_RECEIPT).exists()
    _shot(page, "receipt")
    log_out(page)
    return proposal


def _appoint_jury_and_start(page, civil_servant, challenge, chair, member):
    log_in(page, civil_servant.email)
    page.goto(f"{challenge.get_absolute_url()}beheer/")
    for person, is_chair in ((chair, True), (member, False)):
        page.get_by_label("Jury member", exact=True).select_option(
            label=f"{person.display_name} ({person.email})")
        if is_chair:
            page.get_by_label("Chair of the jury").check()
        page.get_by_test_id("appoint").click()
        page.get_by_test_id("jury-member").filter(has_text=person.display_name).wait_for()
    assert challenge.jury.get(is_chair=True).user == chair
    page.get_by_test_id("start-assessment").click()
    page.get_by_test_id("start-assessment").wait_for(state="detached")
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.IN_ASSESSMENT
    _shot(page, "manage-in-assessment")
    log_out(page)


def _declare_and_score(page, jury_user, challenge, scores, *, check_accessibility=False):
    log_in(page, jury_user.email)
    page.goto(f"{challenge.get_absolute_url()}jury/")
    page.get_by_test_id("jury-row").wait_for()
    if check_accessibility:
        assert_accessible(page, label="jury overview")
        _shot(page, "jury-overview")
    page.get_by_test_id("jury-row").get_by_role("link").click()
    page.get_by_test_id("declare-form").wait_for()
    assert SUMMARY not in page.locator("main").inner_text()  # not before the declaration
    assert_accessible(page, label="conflict declaration")
    page.get_by_label("No, I have no conflict of interest").check()
    page.get_by_test_id("declare").click()
    page.get_by_test_id("score-form").wait_for()
    assert SUMMARY in page.locator("main").inner_text()
    for (criterion, _weight), score in zip(CRITERIA, scores, strict=True):
        page.get_by_label(f"Score for “{criterion}”").select_option(str(score))
        page.get_by_label(f"Motivation for “{criterion}”").fill(
            f"{criterion}: goed onderbouwd met metingen.")
    if check_accessibility:
        assert_accessible(page, label="scoring page")
        _shot(page, "scoring")
    page.get_by_test_id("save-scores").click()
    page.get_by_test_id("jury-row").filter(has_text="complete").wait_for()
    assert challenge.jury.get(user=jury_user).scores.count() == len(CRITERIA)


def _finalise_and_award(page, challenge):
    page.goto(f"{challenge.get_absolute_url()}jury/rangschikking/")
    page.get_by_test_id("ranking-row").wait_for()
    assert_accessible(page, label="ranking page")
    _shot(page, "ranking")
    page.get_by_test_id("finalise-button").click()
    page.get_by_test_id("ranking-final").wait_for()
    page.get_by_label("Koelteknop B.V.").check()
    page.get_by_label("Motivation of the award").fill(
        "Het grootste effect op hitte, met een duidelijke meting en een eerlijke prijs.")
    assert_accessible(page, label="ranking page, award form")
    page.get_by_test_id("award-button").click()
    page.get_by_test_id("result").wait_for()
    challenge.refresh_from_db()
    assert challenge.status == Challenge.Status.AWARDED
    assert challenge.pilot is not None


def _pilot_completed_and_published(page, civil_servant, colleague, challenge) -> Pilot:
    pilot = challenge.pilot
    log_in(page, civil_servant.email)
    page.goto("/registers/pilots/")
    drafts = page.get_by_role("region", name="In progress (only visible to civil servants)")
    drafts.get_by_role("link", name=pilot.title).click()
    page.get_by_test_id("from-challenge").wait_for()
    assert TITLE in page.get_by_test_id("from-challenge").inner_text()
    assert page.get_by_test_id("summary").inner_text().strip() == SUMMARY
    _shot(page, "pilot-draft")
    page.get_by_test_id("edit").click()
    start = pilot.start_date
    page.locator("#id_neighbourhood").fill("Stadshagen")
    page.locator("#id_alderman").fill("Wethouder Klimaat")
    page.locator("#id_hypothesis").fill(
        "Als we tegels vervangen door groen, dan is het schoolplein op hete dagen 3 graden "
        "koeler, gemeten met sensoren.")
    page.locator("#id_planned_end_date").fill((start + dt.timedelta(days=365)).isoformat())
    page.locator("#id_next_review_date").fill((start + dt.timedelta(days=180)).isoformat())
    page.locator("#id_data_collected").fill("Temperatuur op de pleinen; geen persoonsgegevens.")
    page.get_by_test_id("save").click()
    page.get_by_test_id("submit").click()
    page.get_by_test_id("submit").wait_for(state="detached")
    pilot.refresh_from_db()
    assert pilot.state == "submitted"
    log_out(page)

    log_in(page, colleague.email)
    page.goto(pilot.get_absolute_url())
    page.get_by_test_id("publish").click()
    page.get_by_test_id("publish").wait_for(state="detached")
    pilot.refresh_from_db()
    assert pilot.state == "published"
    log_out(page)
    return pilot


def test_a_challenge_from_publication_through_proposal_and_jury_to_pilot_and_letter(
    page, live_server, clock
):
    english(page.context, live_server.url)
    civil_servant, colleague, startup, bidder, chair, member = _people()
    now = timezone.now()

    challenge = _publish_challenge(page, civil_servant, now)
    _ask_question(page, bidder, challenge)
    _answer_question(page, civil_servant, challenge)
    proposal = _write_and_submit_proposal(page, bidder, challenge)

    # Past the deadline: the beat task closes the challenge (no beat runs in tests).
    clock.shift(dt.timedelta(days=2, hours=1))
    assert services.challenge_close_due() == 1
    _appoint_jury_and_start(page, civil_servant, challenge, chair, member)

    _declare_and_score(page, member, challenge, [8, 7, 6], check_accessibility=True)
    log_out(page)
    _declare_and_score(page, chair, challenge, [9, 7, 7])
    _finalise_and_award(page, challenge)
    _shot(page, "awarded")
    log_out(page)

    pilot = _pilot_completed_and_published(page, civil_servant, colleague, challenge)

    # Anyone: the result on the challenge page, the pilot in the public register.
    page.goto(challenge.get_absolute_url())
    assert page.get_by_test_id("winner").inner_text().strip() == startup.name
    assert page.get_by_test_id("winner-summary").inner_text().strip() == SUMMARY
    assert_accessible(page, label="awarded challenge")
    _shot(page, "detail-awarded")
    page.goto("/registers/pilots/")
    page.get_by_test_id("pilot-list").get_by_role("link", name=pilot.title).click()
    page.get_by_test_id("from-challenge").wait_for()

    # The winner reads the outcome letter.
    log_in(page, bidder.email)
    page.goto("/uitdagingen/")
    page.get_by_test_id("organisation-dashboard-link").click()
    page.get_by_test_id("proposal-table").wait_for()
    assert_accessible(page, label="organisation dashboard")
    page.get_by_role("link", name=re.compile("read the letter")).click()
    page.wait_for_url(f"**{proposal.get_absolute_url()}uitslag/")
    letter = page.get_by_test_id("outcome-letter").inner_text()
    assert "Your proposal has been chosen" in letter or "gekozen" in letter
    assert "goed onderbouwd met metingen" in letter
    assert_accessible(page, label="outcome letter")
    _shot(page, "outcome-letter")

"""The demo challenges (challenges/demo.py): three stages built through the services, every
invariant intact, usable by the demo accounts, and idempotent."""

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import resolve
from django.utils import timezone

from challenges import services
from challenges.demo import pdf_document
from challenges.models import (
    Amendment,
    Challenge,
    ChallengeEvent,
    ConflictDeclaration,
    JuryMember,
    Proposal,
    ProposalAttachment,
    Question,
    Score,
)
from portal.accounts.demo import DEMO_PASSWORD
from portal.accounts.models import Organisation, User
from portal.core.models import Notification
from registry.models import Pilot

pytestmark = pytest.mark.django_db

OPEN, ASSESSMENT, AWARDED = "koel-en-droog-stadshagen", "veilig-naar-school", \
    "slimmer-afval-ophalen"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The demo accounts hash a password each; the slow production hasher is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)


def _user(local_part) -> User:
    return User.objects.get(email=f"{local_part}@demo.stadsmakers.nl")


def _counts():
    models = (Challenge, ChallengeEvent, Amendment, Question, Proposal, ProposalAttachment,
              JuryMember, ConflictDeclaration, Score, Notification, Pilot, User, Organisation)
    return {model.__name__: model.objects.count() for model in models}


def test_loading_the_demo_twice_adds_nothing(demo):
    before = _counts()
    proposals = list(Proposal.objects.order_by("pk").values_list(
        "pk", "status", "receipt_code", "outcome", "final_rank"))

    call_command("load_demo", verbosity=0)

    assert _counts() == before
    assert list(Proposal.objects.order_by("pk").values_list(
        "pk", "status", "receipt_code", "outcome", "final_rank")) == proposals
    assert set(Challenge.objects.values_list("slug", flat=True)) >= {OPEN, ASSESSMENT, AWARDED}


def test_three_challenges_in_three_stages(demo):
    statuses = dict(Challenge.objects.values_list("slug", "status"))
    assert statuses[OPEN] == Challenge.Status.OPEN
    assert statuses[ASSESSMENT] == Challenge.Status.IN_ASSESSMENT
    assert statuses[AWARDED] == Challenge.Status.AWARDED
    for challenge in Challenge.objects.filter(slug__in=[OPEN, ASSESSMENT, AWARDED]):
        assert sum(challenge.criteria.values_list("weight", flat=True)) == 100
        assert challenge.publication_errors() == {}
        assert challenge.events.filter(action=ChallengeEvent.Action.PUBLISH).count() == 1


def test_the_open_challenge_has_answers_a_pending_question_an_amendment_and_proposals(demo):
    heat = Challenge.objects.get(slug=OPEN)
    assert "hitte" in heat.title.lower()
    assert heat.accepts_proposals()
    assert heat.accepts_questions()
    questions = heat.questions.all()
    assert questions.filter(status=Question.Status.ANSWERED).count() == 2
    assert questions.filter(status=Question.Status.PENDING).count() == 1
    amendment = heat.amendments.get()
    assert set(amendment.changes) == {"submission_deadline"}
    assert amendment.reason
    submitted = heat.proposals.get(status=Proposal.Status.SUBMITTED)
    assert submitted.receipt_code
    assert submitted.content_hash == services.content_hash(submitted)
    assert submitted.attachments.get().label == "Plan van aanpak (PDF)"
    assert heat.proposals.filter(status=Proposal.Status.DRAFT).count() == 1
    assert Notification.objects.filter(kind=services.KIND_RECEIPT,
                                       recipient=submitted.submitted_by).exists()


def test_the_heat_challenge_links_to_the_senshagen_sensor_project_page(demo):
    heat = Challenge.objects.get(slug=OPEN)
    links = [source["url"] for source in heat.data_sources]
    match = resolve(urlparse(links[0]).path)
    assert match.view_name == "sensors:project_detail"
    assert match.kwargs == {"slug": "senshagen"}


def test_the_assessment_has_a_conflict_and_leaves_the_chair_work_to_do(demo):
    routes = Challenge.objects.get(slug=ASSESSMENT)
    chair = routes.jury.get(is_chair=True)
    assert chair.user == _user("jury")
    conflict = ConflictDeclaration.objects.get(jury_member__challenge=routes, has_conflict=True)
    assert not Score.objects.filter(jury_member=conflict.jury_member,
                                    proposal=conflict.proposal).exists()
    assert not services.selectors.proposals_visible_to(conflict.jury_member.user, routes) \
        .filter(pk=conflict.proposal.pk).exists()

    with pytest.raises(ValidationError):
        services.ranking_finalise(challenge=routes, by=chair.user)

    # What the demo jury member does on the pages: score the two proposals left, finalise.
    for proposal in routes.proposals.filter(status=Proposal.Status.SUBMITTED):
        for criterion in routes.criteria.all():
            if not Score.objects.filter(jury_member=chair, proposal=proposal,
                                        criterion=criterion).exists():
                services.score_save(jury_member=chair, proposal=proposal, criterion=criterion,
                                    score=7, motivation="Degelijk voorstel.")
    rows = services.ranking_finalise(challenge=routes, by=chair.user)
    assert [row.rank for row in rows] == sorted(row.rank for row in rows)
    assert rows[0].proposal.organisation.slug == "routewijzer"


def test_the_awarded_challenge_has_letters_and_its_pilot_published_four_eyes(demo, client):
    waste = Challenge.objects.get(slug=AWARDED)
    assert waste.ranking_is_final
    winner = waste.awarded_proposal
    assert winner.organisation.slug == "containerwijs"
    assert winner.final_rank == 1
    for proposal in waste.proposals.all():
        assert proposal.outcome_letter
        assert proposal.outcome_sent_at
        assert proposal.organisation.name in proposal.outcome_letter
    assert waste.proposals.filter(outcome=Proposal.Outcome.AWARDED).get() == winner

    pilot = waste.pilot
    assert pilot.state == "published"
    assert pilot.status == "running"
    assert pilot.published_by_id != pilot.submitted_by_id
    assert pilot.title == waste.title
    assert pilot.summary == winner.summary[:400]
    assert winner.summary in client.get(waste.get_absolute_url()).content.decode()
    pilot_page = client.get(pilot.get_absolute_url()).content.decode()
    assert waste.get_absolute_url() in pilot_page


def test_the_story_lies_in_the_past_in_the_right_order(demo):
    now = timezone.now()
    waste = Challenge.objects.get(slug=AWARDED)
    assert now - waste.published_at > dt.timedelta(days=100)
    assert now - waste.created_at > dt.timedelta(days=100)
    moments = list(waste.events.order_by("pk").values_list("at", flat=True))
    assert moments == sorted(moments)
    assert moments[-1] < now - dt.timedelta(days=60)
    for proposal in waste.proposals.all():
        assert proposal.submitted_at <= waste.submission_deadline
        assert proposal.submitted_at < proposal.outcome_sent_at
    assert all(question.asked_at < question.answered_at for question in Question.objects.filter(
        status=Question.Status.ANSWERED))
    assert not Notification.objects.filter(created_at__gt=now).exists()


def test_demo_people_can_log_in_and_have_their_roles(demo):
    for local_part in ("jury.jansen", "jury.postma", "containerwijs", "routewijzer"):
        user = _user(local_part)
        assert user.is_active
        assert user.check_password(DEMO_PASSWORD)
        assert user.emailaddress_set.filter(verified=True, primary=True).exists()
    assert _user("jury.postma").groups.filter(name="jury_member").exists()
    assert Organisation.objects.get(slug="containerwijs").kvk_number == "86431279"
    assert _user("containerwijs").memberships.get().organisation.slug == "containerwijs"


def test_demo_pages_open_for_the_people_who_use_them(demo, client):
    waste = Challenge.objects.get(slug=AWARDED)
    routes = Challenge.objects.get(slug=ASSESSMENT)
    assert client.get("/uitdagingen/").status_code == 200
    for slug in (OPEN, ASSESSMENT, AWARDED):
        assert client.get(f"/uitdagingen/{slug}/").status_code == 200

    client.force_login(_user("containerwijs"))
    assert client.get(f"{waste.awarded_proposal.get_absolute_url()}uitslag/").status_code == 200
    client.force_login(_user("jury"))
    assert client.get(f"/uitdagingen/{routes.slug}/jury/").status_code == 200
    client.force_login(_user("ambtenaar"))
    assert client.get(f"/uitdagingen/{OPEN}/beheer/").status_code == 200


def test_the_demo_attachment_is_a_pdf_the_upload_check_accepts():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from challenges.storage import check_upload

    document = pdf_document("Plan van aanpak", ["Eerste alinea (met haakjes) en € 60.000."])
    assert document.startswith(b"%PDF-1.4")
    assert document.rstrip().endswith(b"%%EOF")
    checked = check_upload(SimpleUploadedFile("plan.pdf", document, "application/pdf"))
    assert checked.content_type == "application/pdf"

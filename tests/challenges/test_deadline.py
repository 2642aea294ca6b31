"""Submission closes at the deadline to the second, on the server's clock (frozen here), whether
or not the beat task has closed the challenge yet; times compare as aware datetimes."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from challenges import services
from challenges.models import Challenge, Proposal
from tests.challenges.builders import (
    bidder,
    civil_servant,
    complete_proposal,
    open_challenge,
    set_clock,
    submitted_proposal,
    timeline,
)

pytestmark = pytest.mark.django_db

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def challenge():
    return open_challenge()


@pytest.fixture
def proposal(challenge):
    return complete_proposal(challenge)


def _member(proposal):
    return proposal.organisation.memberships.get().user


def test_a_submission_one_second_before_the_deadline_is_accepted(challenge, proposal,
                                                                 monkeypatch):
    moment = challenge.submission_deadline - dt.timedelta(seconds=1)
    set_clock(monkeypatch, moment)

    services.proposal_submit(proposal=proposal, by=_member(proposal))

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.submitted_at == moment


def test_a_submission_at_the_deadline_itself_is_accepted(challenge, proposal, monkeypatch):
    set_clock(monkeypatch, challenge.submission_deadline)

    services.proposal_submit(proposal=proposal, by=_member(proposal))

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED


def test_a_submission_one_second_after_the_deadline_is_refused(challenge, proposal,
                                                               monkeypatch):
    set_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(seconds=1))
    # The beat task has not run yet: the challenge is still "open" in the database.
    assert Challenge.objects.get(pk=challenge.pk).status == Challenge.Status.OPEN

    with pytest.raises(ValidationError) as error:
        services.proposal_submit(proposal=proposal, by=_member(proposal))

    assert error.value.code == "deadline_passed"
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.receipt_code == ""
    assert proposal.submitted_at is None


def test_the_explicit_now_of_the_service_is_checked_too(challenge, proposal):
    with pytest.raises(ValidationError):
        services.proposal_submit(proposal=proposal, by=_member(proposal),
                                 now=challenge.submission_deadline + dt.timedelta(seconds=1))
    services.proposal_submit(proposal=proposal, by=_member(proposal),
                             now=challenge.submission_deadline - dt.timedelta(seconds=1))


def test_the_deadline_holds_across_the_summer_time_change(monkeypatch):
    """A deadline at 17:00 Amsterdam time in summer is 15:00 UTC: a submission at 15:00:01 UTC
    is late, whatever the server's own time zone setting shows."""
    deadline = dt.datetime(2031, 7, 1, 17, 0, 0, tzinfo=AMSTERDAM)
    set_clock(monkeypatch, dt.datetime(2031, 6, 1, 12, 0, tzinfo=dt.UTC))
    challenge = open_challenge(**{**timeline(), "submission_deadline": deadline,
                                  "jury_date": deadline + dt.timedelta(days=7),
                                  "award_date": deadline + dt.timedelta(days=14)})
    proposal = complete_proposal(challenge)
    challenge.refresh_from_db()
    assert challenge.submission_deadline == dt.datetime(2031, 7, 1, 15, 0, 0, tzinfo=dt.UTC)

    set_clock(monkeypatch, dt.datetime(2031, 7, 1, 15, 0, 1, tzinfo=dt.UTC))
    with pytest.raises(ValidationError):
        services.proposal_submit(proposal=proposal, by=_member(proposal))


def test_the_refusal_names_the_deadline_in_amsterdam_time(challenge, proposal, monkeypatch):
    from django.utils import translation

    set_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(minutes=5))

    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.proposal_submit(proposal=proposal, by=_member(proposal))

    local = timezone.localtime(challenge.submission_deadline, AMSTERDAM)
    assert local.strftime("%H:%M:%S") in error.value.messages[0]


@pytest.mark.parametrize("action", ["update", "attach", "withdraw", "start"])
def test_after_the_deadline_nothing_changes_any_more(challenge, monkeypatch, action):
    organisation, member = bidder()
    latecomer, late_member = bidder()
    submitted = submitted_proposal(challenge)
    draft = complete_proposal(challenge, organisation, member)
    set_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(seconds=1))
    from tests.challenges.builders import upload

    calls = {
        "update": lambda: services.proposal_update(proposal=draft, by=member, summary="Laat"),
        "attach": lambda: services.attachment_add(proposal=draft, by=member, upload=upload(),
                                                  label="other"),
        "withdraw": lambda: services.proposal_withdraw(proposal=submitted,
                                                       by=_member(submitted)),
        "start": lambda: services.proposal_start(challenge=challenge, organisation=latecomer,
                                                 by=late_member),
    }
    with pytest.raises(ValidationError) as error:
        calls[action]()

    assert error.value.code == "deadline_passed"

    submitted.refresh_from_db()
    draft.refresh_from_db()
    assert submitted.status == Proposal.Status.SUBMITTED
    assert draft.summary != "Laat"
    assert draft.attachments.count() == 1
    assert not Proposal.objects.filter(organisation=latecomer).exists()


def test_closing_does_not_touch_submitted_proposals(challenge, monkeypatch):
    proposal = submitted_proposal(challenge)
    set_clock(monkeypatch, challenge.submission_deadline + dt.timedelta(seconds=1))

    services.challenge_close_due()

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert civil_servant().has_perm("challenges.view_proposal", proposal)

"""Shared by the proposal, jury and confidentiality page tests: a published challenge, an
organisation's proposal in each state, a jury, valid PDF/DOCX uploads and a movable clock.

Everything is built through challenges/services.py, the way the pages build it."""

import datetime as dt
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from challenges import services
from challenges.models import Challenge, JuryMember, Proposal
from portal.accounts import roles
from registry.standard import THEME_VALUES
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, user_for_role

PLAN = "Plan van aanpak"
CRITERIA = [
    {"title": "Impact op hittestress", "description": "Hoeveel koeler wordt de wijk?",
     "weight": 60},
    {"title": "Haalbaarheid", "description": "Kan het binnen een jaar?", "weight": 40},
]
PROPOSAL_TEXT = {
    "summary": "Groene daken en waterpleinen in de Stadhagen-wijk.",
    "approach": "We beginnen met drie daken en meten de temperatuur.",
    "team": "Twee ecologen en een data-analist.",
    "planning": "Januari ontwerp, maart aanleg, juni meting.",
    "budget": "45.000",
    "success_measures": "Twee graden koeler op hete dagen.",
}


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def pdf_upload(name="plan-van-aanpak.pdf", data=None):
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data,
                              content_type="application/pdf")


def civil_servant():
    return user_for_role(roles.CIVIL_SERVANT)


def open_challenge(*, by=None, title="Hittestress in Stadhagen", required=(PLAN,),
                   eligible_kinds=(), days_left=10) -> Challenge:
    """A published (open) challenge whose submission deadline is `days_left` days away."""
    by = by or civil_servant()
    now = timezone.now()
    deadline = now + dt.timedelta(days=days_left)
    challenge = services.challenge_create(
        by=by, title=title, problem="Het wordt te heet in de wijk.",
        for_whom="Ouderen en jonge kinderen.", not_asked="Geen airco's.",
        theme=THEME_VALUES[0], department="Ruimte", contact_name="Anna de Vries",
        contact_email="anna@example.org", prize_description="€ 50.000 voor een pilot",
        winner_gets="Een betaalde pilot", eligible_kinds=list(eligible_kinds),
        opens_at=now - dt.timedelta(days=1), questions_deadline=deadline - dt.timedelta(days=2),
        submission_deadline=deadline, jury_date=deadline + dt.timedelta(days=7),
        award_date=deadline + dt.timedelta(days=14), required_attachments=list(required),
        criteria=CRITERIA,
    )
    return services.challenge_publish(challenge=challenge, by=by)


def member_of(organisation, **kwargs):
    return MembershipFactory(organisation=organisation, user=UserFactory(**kwargs)).user


def bidder(*, name=None):
    """(organisation, one of its members)."""
    organisation = OrganisationFactory(**({"name": name} if name else {}))
    return organisation, member_of(organisation)


def draft_proposal(challenge, organisation, user, **fields) -> Proposal:
    proposal = services.proposal_start(challenge=challenge, organisation=organisation, by=user)
    values = {**PROPOSAL_TEXT, "budget": 45000, **fields}
    return services.proposal_update(proposal=proposal, by=user, **values)


def submitted_proposal(challenge, organisation=None, user=None, **fields) -> Proposal:
    if organisation is None:
        organisation, user = bidder()
    proposal = draft_proposal(challenge, organisation, user, **fields)
    for label in challenge.required_attachments:
        services.attachment_add(proposal=proposal, by=user, upload=pdf_upload(), label=label)
    return services.proposal_submit(proposal=proposal, by=user)


def jury_user(**kwargs):
    return user_for_role(roles.JURY_MEMBER, **kwargs)


def appoint(challenge, user=None, *, chair=False, by=None) -> JuryMember:
    return services.jury_appoint(challenge=challenge, by=by or civil_servant(),
                                 user=user or jury_user(), is_chair=chair)


def move_clock(monkeypatch, moment):
    """From now on the server's clock says `moment` (aware)."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def past_deadline(monkeypatch, challenge, *, seconds=1):
    """Move the clock past the submission deadline and close the challenge, as beat does."""
    moment = challenge.submission_deadline + dt.timedelta(seconds=seconds)
    move_clock(monkeypatch, moment)
    services.challenge_close_due(now=moment)
    challenge.refresh_from_db()
    return moment


def in_assessment(monkeypatch, challenge, by=None):
    past_deadline(monkeypatch, challenge)
    services.challenge_assessment_start(challenge=challenge, by=by or civil_servant())
    challenge.refresh_from_db()
    return challenge


def score_all(member, proposal, *, score=7, motivation="Sterk en goed onderbouwd."):
    for criterion in proposal.challenge.criteria.all():
        services.score_save(jury_member=member, proposal=proposal, criterion=criterion,
                            score=score, motivation=motivation)


# --- URLs -------------------------------------------------------------------------------------


def edit_url(challenge, organisation=None):
    url = reverse("challenges:proposal_edit", kwargs={"slug": challenge.slug})
    return f"{url}?organisatie={organisation.slug}" if organisation is not None else url


def detail_url(proposal):
    return reverse("challenges:proposal_detail", kwargs={"public_id": proposal.public_id})


def attachment_url(attachment):
    return reverse("challenges:attachment_download", kwargs={
        "public_id": attachment.proposal.public_id, "attachment_id": attachment.public_id})


def letter_url(proposal):
    return reverse("challenges:outcome_letter", kwargs={"public_id": proposal.public_id})


def jury_url(name, challenge, proposal=None):
    kwargs = {"slug": challenge.slug}
    if proposal is not None:
        kwargs["public_id"] = proposal.public_id
    return reverse(f"challenges:{name}", kwargs=kwargs)

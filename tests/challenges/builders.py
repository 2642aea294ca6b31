"""Builders for the challenges domain tests (services, rules, deadline, privacy, role matrix):
a published challenge, bidders, proposals in each state, a jury, uploads, a movable clock.
Everything goes through challenges/services.py."""

import datetime as dt
import io
import uuid
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from challenges import services
from challenges.models import Challenge, JuryMember, Proposal
from portal.accounts import roles
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

PLAN = "Plan van aanpak (PDF)"
BEGROTING = "Begroting"
CRITERIA = [
    {"title": "Effect op hittestress", "description": "Hoeveel koeler wordt de wijk?",
     "weight": 50},
    {"title": "Haalbaarheid", "description": "Kan het binnen een jaar?", "weight": 30},
    {"title": "Prijs", "description": "", "weight": 20},
]
CONTENT = {
    "title": "Hittestress in Stadhagen",
    "problem": "Op hete dagen wordt het in Stadhagen te warm voor ouderen.",
    "for_whom": "Ouderen en jonge kinderen in Stadhagen.",
    "not_asked": "We schrijven geen oplossing voor; geen airco's.",
    "theme": "Natuur en milieu",
    "sdg_goals": [3, 11, 13],
    "department": "Ruimte en Wonen",
    "contact_name": "Anna de Vries",
    "contact_email": "uitdagingen@stadhagen.example",
    "budget": 50000,
    "prize_description": "€ 50.000 voor een pilot van een jaar",
    "winner_gets": "Een betaalde pilot als launching customer",
    "required_attachments": [PLAN],
    "data_sources": [{"title": "Hittekaart", "url": "https://data.stadhagen.example/hitte"}],
}
PROPOSAL = {
    "summary": "Groene daken en waterpleinen in Stadhagen.",
    "approach": "We beginnen met drie daken en meten de temperatuur.",
    "team": "Twee ecologen en een data-analist.",
    "planning": "Januari ontwerp, maart aanleg, juni meting.",
    "budget": 45000,
    "success_measures": "Twee graden koeler op hete dagen.",
}


def civil_servant(**kwargs):
    return UserFactory(groups=[roles.CIVIL_SERVANT], **kwargs)


def jury_user(**kwargs):
    return UserFactory(groups=[roles.JURY_MEMBER], **kwargs)


def timeline(now=None, *, days_left=10) -> dict:
    now = now or timezone.now()
    deadline = (now + dt.timedelta(days=days_left)).replace(microsecond=0)
    return {
        "opens_at": now - dt.timedelta(days=1),
        "questions_deadline": deadline - (deadline - now) / 3,
        "submission_deadline": deadline,
        "jury_date": deadline + dt.timedelta(days=7),
        "award_date": deadline + dt.timedelta(days=14),
    }


def draft_challenge(*, by=None, criteria=CRITERIA, **fields) -> Challenge:
    by = by or civil_servant()
    values = {**CONTENT, **timeline(), **fields}
    return services.challenge_create(by=by, criteria=criteria, **values)


def open_challenge(*, by=None, **fields) -> Challenge:
    by = by or civil_servant()
    challenge = draft_challenge(by=by, **fields)
    return services.challenge_publish(challenge=challenge, by=by)


def bidder(name=None, kind="startup"):
    """(organisation, one of its members)."""
    organisation = OrganisationFactory(kind=kind, **({"name": name} if name else {}))
    return organisation, member_of(organisation)


def member_of(organisation, **kwargs):
    return MembershipFactory(organisation=organisation, user=UserFactory(**kwargs)).user


def pdf_bytes() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def zip_bytes(entries: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<document/>"})


def odt_bytes() -> bytes:
    return zip_bytes({"mimetype": "application/vnd.oasis.opendocument.text",
                      "content.xml": "<office:document-content/>"})


def upload(name="plan.pdf", data=None, content_type="application/pdf"):
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data,
                              content_type=content_type)


def draft_proposal(challenge, organisation=None, user=None, **fields) -> Proposal:
    if organisation is None:
        organisation, user = bidder()
    proposal = services.proposal_start(challenge=challenge, organisation=organisation, by=user)
    return services.proposal_update(proposal=proposal, by=user, **{**PROPOSAL, **fields})


def complete_proposal(challenge, organisation=None, user=None, **fields) -> Proposal:
    """A draft with every field and every required attachment."""
    if organisation is None:
        organisation, user = bidder()
    proposal = draft_proposal(challenge, organisation, user, **fields)
    for label in challenge.required_attachments:
        services.attachment_add(proposal=proposal, by=user, upload=upload(), label=label)
    return proposal


def submitted_proposal(challenge, organisation=None, user=None, **fields) -> Proposal:
    if organisation is None:
        organisation, user = bidder()
    proposal = complete_proposal(challenge, organisation, user, **fields)
    return services.proposal_submit(proposal=proposal, by=user)


def appoint(challenge, user=None, *, chair=False, by=None) -> JuryMember:
    return services.jury_appoint(challenge=challenge, by=by or civil_servant(),
                                 user=user or jury_user(), is_chair=chair)


def set_clock(monkeypatch, moment):
    """From now on the server's clock says `moment` (aware)."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def close(monkeypatch, challenge) -> Challenge:
    """Move the clock one second past the submission deadline and close, as beat does."""
    moment = challenge.submission_deadline + dt.timedelta(seconds=1)
    set_clock(monkeypatch, moment)
    services.challenge_close_due()
    challenge.refresh_from_db()
    return challenge


def start_assessment(monkeypatch, challenge, by=None) -> Challenge:
    close(monkeypatch, challenge)
    services.challenge_assessment_start(challenge=challenge, by=by or civil_servant())
    challenge.refresh_from_db()
    return challenge


def declare_and_score(member, proposal, scores, motivation="Goed onderbouwd."):
    """No conflict, then `scores` (one per criterion, in order; an int for all)."""
    services.conflict_declare(jury_member=member, proposal=proposal, has_conflict=False)
    criteria = list(proposal.challenge.criteria.all())
    if isinstance(scores, int):
        scores = [scores] * len(criteria)
    for criterion, score in zip(criteria, scores, strict=True):
        services.score_save(jury_member=member, proposal=proposal, criterion=criterion,
                            score=score, motivation=f"{motivation} ({criterion.title})")


# --- light objects for the role matrix (ORM only: hundreds of them are built) ----------------


def matrix_challenge(*, status=Challenge.Status.OPEN, jury=True, chair=True) -> Challenge:
    """A challenge with one criterion; every user in the jury member group is appointed to it
    (the first as chair), so that the jury role acts on it."""
    from django.contrib.auth import get_user_model

    from challenges.models import Criterion

    now = timezone.now()
    challenge = Challenge.objects.create(
        slug=f"matrix-{uuid.uuid4().hex}",
        **{**CONTENT, "required_attachments": []}, **timeline(now),
    )
    Criterion.objects.create(challenge=challenge, title="Effect", weight=100)
    if status != Challenge.Status.DRAFT:  # status is bookkeeping: the content guard allows it
        Challenge.objects.filter(pk=challenge.pk).update(status=status, published_at=now)
        challenge.refresh_from_db()
    if jury:
        for position, user in enumerate(
            get_user_model().objects.filter(groups__name=roles.JURY_MEMBER).order_by("pk")
        ):
            JuryMember.objects.create(challenge=challenge, user=user,
                                      is_chair=chair and position == 0)
    return challenge


def matrix_proposal(organisation, *, status=Challenge.Status.IN_ASSESSMENT,
                    declared=True) -> Proposal:
    """A submitted proposal of `organisation` with an attachment; the appointed jury declared no
    conflict for it (unless `declared` is False)."""
    from challenges.models import ConflictDeclaration, ProposalAttachment

    challenge = matrix_challenge(status=status)
    proposal = Proposal.objects.create(
        challenge=challenge, organisation=organisation, status=Proposal.Status.SUBMITTED,
        submitted_at=timezone.now(), **{k: v for k, v in PROPOSAL.items()},
    )
    ProposalAttachment.objects.create(
        proposal=proposal, label="other", file="challenges/matrix/none", original_name="a.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64,
    )
    if declared:
        for member in challenge.jury.all():
            ConflictDeclaration.objects.create(jury_member=member, proposal=proposal,
                                               has_conflict=False)
    return proposal

"""Challenges and the person's rights: the challenges section of "Mijn gegevens" (export and
erasure). Registered with portal.consent in `ChallengesConfig.ready` (consent never imports
challenges).

- Export: the person's questions, the proposals they started or submitted for an
  organisation, the challenges they follow and their jury memberships (with the number of
  scores given; the scores themselves belong to the confidential assessment). One query per
  list.
- Erasure (account deletion): questions that never became public (pending or declined) go;
  answered questions stay, without the asker (they were always shown anonymously). Proposals
  belong to the organisation and stay, without the person as creator or submitter; the same
  for attachments, jury memberships (with their scores: part of the record of the decision),
  timeline rows and amendments. Follows go.
"""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    Amendment,
    Challenge,
    ChallengeEvent,
    ChallengeFollow,
    JuryMember,
    Proposal,
    ProposalAttachment,
    Question,
)


def _iso(value):
    return value.isoformat() if value else None


def export_challenges(user) -> dict[str, list[dict]]:
    """Everything challenges holds about `user`, as flat rows. Four queries."""
    questions = [
        {
            "challenge_title": q.challenge.title,
            "text": q.text,
            "status": q.status,
            "status_display": str(q.get_status_display()),
            "answer": q.answer,
            "asked_at": _iso(q.asked_at),
            "answered_at": _iso(q.answered_at),
        }
        for q in Question.objects.filter(asked_by=user).select_related("challenge")
        .order_by("-asked_at", "-pk")
    ]
    proposals = [
        {
            "challenge_title": p.challenge.title,
            "organisation": p.organisation.name,
            "started_by_you": p.created_by_id == user.pk,
            "submitted_by_you": p.submitted_by_id == user.pk,
            "status": p.status,
            "status_display": str(p.get_status_display()),
            "created_at": _iso(p.created_at),
            "submitted_at": _iso(p.submitted_at),
            "receipt_code": p.receipt_code,
        }
        for p in (Proposal.objects.filter(created_by=user)
                  | Proposal.objects.filter(submitted_by=user))
        .select_related("challenge", "organisation").distinct().order_by("-created_at", "-pk")
    ]
    follows = [
        {"challenge_title": f.challenge.title, "created_at": _iso(f.created_at)}
        for f in ChallengeFollow.objects.filter(user=user).select_related("challenge")
        .order_by("-created_at", "-pk")
    ]
    jury = [
        {
            "challenge_title": m.challenge.title,
            "is_chair": m.is_chair,
            "appointed_at": _iso(m.appointed_at),
            "scores_given": m.score_count,
        }
        for m in JuryMember.objects.filter(user=user).select_related("challenge")
        .annotate(score_count=Count("scores")).order_by("-appointed_at", "-pk")
    ]
    return {"questions": questions, "proposals": proposals, "follows": follows, "jury": jury}


def erase_challenges(user) -> str:
    """Runs inside account_delete's transaction, before the User row goes."""
    unpublished = Question.objects.filter(
        asked_by=user, status__in=[Question.Status.PENDING, Question.Status.DECLINED]
    )
    deleted_questions, _rows = unpublished.delete()
    kept_questions = Question.objects.filter(asked_by=user).update(asked_by=None)
    Question.objects.filter(answered_by=user).update(answered_by=None)
    proposals = (Proposal.objects.filter(created_by=user).update(created_by=None)
                 + Proposal.objects.filter(submitted_by=user).update(submitted_by=None))
    Proposal.objects.filter(updated_by=user).update(updated_by=None)
    ProposalAttachment.objects.filter(uploaded_by=user).update(uploaded_by=None)
    jury = JuryMember.objects.filter(user=user).update(user=None)
    JuryMember.objects.filter(appointed_by=user).update(appointed_by=None)
    follows, _rows = ChallengeFollow.objects.filter(user=user).delete()
    ChallengeEvent.objects.filter(by=user).update(by=None)
    Amendment.objects.filter(by=user).update(by=None)
    Challenge.objects.filter(created_by=user).update(created_by=None)
    Challenge.objects.filter(ranking_finalised_by=user).update(ranking_finalised_by=None)
    return (f"{deleted_questions} unpublished questions deleted, {kept_questions} answered "
            f"questions anonymised, {proposals} proposal links and {jury} jury memberships "
            f"kept without the person, {follows} follows deleted")


def register() -> None:
    """Called from ChallengesConfig.ready (may run twice: the registry replaces by code)."""
    from portal.consent.personal_data import PersonalDataSection, register_personal_data_section

    register_personal_data_section(PersonalDataSection(
        code="challenges", title=_("Challenges"), exporter=export_challenges,
        eraser=erase_challenges,
        lists={
            "questions": _("Your questions about challenges"),
            "proposals": _("Proposals you started or submitted"),
            "follows": _("Challenges you follow"),
            "jury": _("Your jury memberships"),
        },
        columns={
            "questions": {"challenge_title": _("Challenge"), "text": _("Question"),
                          "status_display": _("Status"), "asked_at": _("Asked")},
            "proposals": {"challenge_title": _("Challenge"), "organisation": _("Organisation"),
                          "status_display": _("Status"), "submitted_at": _("Submitted")},
            "follows": {"challenge_title": _("Challenge"), "created_at": _("Since")},
            "jury": {"challenge_title": _("Challenge"), "is_chair": _("Chair"),
                     "appointed_at": _("Appointed")},
        },
        order=60,
    ))

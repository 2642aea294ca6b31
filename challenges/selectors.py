"""Reads of challenges used in more than one place: the ranking, jury progress, what a person may
see, and the dashboards. Each function runs a fixed number of queries, whatever the number of
proposals, jury members or scores."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone

from challenges.models import (
    Challenge,
    ConflictDeclaration,
    Criterion,
    JuryMember,
    Proposal,
    Question,
    Score,
)
from challenges.rules import is_editor, jury_membership
from portal.accounts.models import Organisation

Status = Challenge.Status
TWO_PLACES = Decimal("0.01")


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# --- the ranking -------------------------------------------------------------------------------


@dataclass
class CriterionResult:
    criterion: Criterion
    mean: Decimal | None  # 0..10 over the non-conflicted jury members who scored it
    count: int
    motivations: list[str] = field(default_factory=list)


@dataclass
class RankingRow:
    proposal: Proposal
    score: Decimal | None  # weighted 0..10; None until every criterion has a score
    criteria: list[CriterionResult]
    scorers: int  # jury members (without a conflict) who scored at least one criterion
    rank: int | None = None


def _valid_scores(challenge: Challenge, proposal_ids) -> list:
    """The scores of submitted proposals, without any of a jury member who declared a
    conflict for that proposal (the service deletes those, this is the second line)."""
    conflicted = set(
        ConflictDeclaration.objects.filter(proposal_id__in=proposal_ids, has_conflict=True)
        .values_list("jury_member_id", "proposal_id")
    )
    rows = Score.objects.filter(
        proposal_id__in=proposal_ids, jury_member__challenge=challenge
    ).values_list("jury_member_id", "proposal_id", "criterion_id", "score", "motivation")
    return [row for row in rows if (row[0], row[1]) not in conflicted]


def _weighted(criteria: list[Criterion], results: list[CriterionResult]) -> Decimal | None:
    if not results or any(result.mean is None for result in results):
        return None
    return _round(sum(
        (Decimal(criterion.weight) / 100 * result.mean
         for criterion, result in zip(criteria, results, strict=True)),
        Decimal(0),
    ))


def _assign_ranks(rows: list[RankingRow]) -> None:
    """Competition ranking (1, 1, 3): equal scores share a place; unscored rows get none."""
    previous_score, previous_rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row.score is None:
            continue
        row.rank = previous_rank if row.score == previous_score else position
        previous_score, previous_rank = row.score, row.rank


def ranking(challenge: Challenge) -> list[RankingRow]:
    """The submitted proposals, best first: weighted score 0..10 = sum over the criteria of
    weight/100 × the mean score of the jury members without a conflict. Four queries."""
    criteria = list(challenge.criteria.all())
    proposals = list(
        challenge.proposals.filter(status=Proposal.Status.SUBMITTED)
        .select_related("organisation").order_by("submitted_at", "pk")
    )
    by_cell: dict[tuple[int, int], list[tuple[int, str]]] = defaultdict(list)
    scorers: dict[int, set[int]] = defaultdict(set)
    for member_id, proposal_id, criterion_id, score, motivation in _valid_scores(
        challenge, [p.pk for p in proposals]
    ):
        by_cell[proposal_id, criterion_id].append((score, motivation))
        scorers[proposal_id].add(member_id)
    rows = []
    for proposal in proposals:
        results = []
        for criterion in criteria:
            cell = by_cell.get((proposal.pk, criterion.pk), [])
            mean = (_round(Decimal(sum(s for s, _m in cell)) / len(cell)) if cell else None)
            results.append(CriterionResult(criterion=criterion, mean=mean, count=len(cell),
                                           motivations=[m for _s, m in cell]))
        rows.append(RankingRow(proposal=proposal, score=_weighted(criteria, results),
                               criteria=results, scorers=len(scorers[proposal.pk])))
    rows.sort(key=lambda row: (row.score is None, -(row.score or 0)))
    _assign_ranks(rows)
    return rows


# --- the jury ----------------------------------------------------------------------------------


@dataclass
class JuryProgressRow:
    member: JuryMember
    declared: int  # proposals with a declaration
    conflicts: int
    scored: int  # proposals (without conflict) with a score for every criterion
    to_score: int  # submitted proposals minus conflicts
    proposals: int  # submitted proposals

    @property
    def undeclared(self) -> int:
        return self.proposals - self.declared

    @property
    def is_complete(self) -> bool:
        return self.declared == self.proposals and self.scored == self.to_score


def jury_progress(challenge: Challenge) -> list[JuryProgressRow]:
    """Per jury member (chair first): declarations made and proposals fully scored."""
    members = list(challenge.jury.select_related("user"))
    submitted = list(challenge.proposals.filter(status=Proposal.Status.SUBMITTED)
                     .values_list("pk", flat=True))
    criteria_count = challenge.criteria.count()
    declarations = defaultdict(dict)
    for member_id, proposal_id, has_conflict in ConflictDeclaration.objects.filter(
        jury_member__challenge=challenge, proposal_id__in=submitted
    ).values_list("jury_member_id", "proposal_id", "has_conflict"):
        declarations[member_id][proposal_id] = has_conflict
    score_counts = {
        (row["jury_member_id"], row["proposal_id"]): row["n"]
        for row in Score.objects.filter(jury_member__challenge=challenge,
                                        proposal_id__in=submitted)
        .values("jury_member_id", "proposal_id").annotate(n=Count("pk"))
    }
    rows = []
    for member in members:
        declared = declarations[member.pk]
        conflicts = sum(1 for has_conflict in declared.values() if has_conflict)
        scored = sum(
            1 for proposal_id, has_conflict in declared.items()
            if not has_conflict and criteria_count
            and score_counts.get((member.pk, proposal_id), 0) >= criteria_count
        )
        rows.append(JuryProgressRow(member=member, declared=len(declared), conflicts=conflicts,
                                    scored=scored, to_score=len(submitted) - conflicts,
                                    proposals=len(submitted)))
    return rows


@dataclass
class JuryProposalRow:
    proposal: Proposal
    declaration: ConflictDeclaration | None
    scored: int  # criteria this member scored for it
    criteria: int

    @property
    def may_see(self) -> bool:
        return self.declaration is not None and not self.declaration.has_conflict

    @property
    def is_scored(self) -> bool:
        return self.may_see and self.criteria > 0 and self.scored >= self.criteria


def jury_overview(jury_member: JuryMember) -> list[JuryProposalRow]:
    """The submitted proposals of the member's challenge with their declaration and scoring
    progress. Only the organisation's name is for everyone on the jury; the content is for
    those who declared no conflict (`may_see`)."""
    challenge = jury_member.challenge
    proposals = list(challenge.proposals.filter(status=Proposal.Status.SUBMITTED)
                     .select_related("organisation").order_by("organisation__name", "pk"))
    declarations = {d.proposal_id: d for d in jury_member.declarations.all()}
    counts = dict(jury_member.scores.values("proposal_id").annotate(n=Count("pk"))
                  .values_list("proposal_id", "n"))
    criteria = challenge.criteria.count()
    return [JuryProposalRow(proposal=p, declaration=declarations.get(p.pk),
                            scored=counts.get(p.pk, 0), criteria=criteria) for p in proposals]


# --- who sees what -----------------------------------------------------------------------------


def proposals_visible_to(user, challenge: Challenge):
    """The proposals of `challenge` that `user` may read: their own organisations' (any
    status); civil servants: the submitted ones; a jury member of the challenge: the submitted
    ones they declared no conflict for."""
    base = challenge.proposals.select_related("organisation")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return base.none()
    visible = Q(organisation__memberships__user=user)
    if is_editor(user):
        visible |= Q(status=Proposal.Status.SUBMITTED)
    member = jury_membership(user, challenge)
    if member is not None:
        visible |= Q(status=Proposal.Status.SUBMITTED, declarations__jury_member=member,
                     declarations__has_conflict=False)
    return base.filter(pk__in=challenge.proposals.filter(visible).values("pk"))


def challenges_public():
    """Published challenges: the open ones first (nearest deadline first), then the rest
    (newest first)."""
    return (
        Challenge.objects.public()
        .annotate(
            open_first=Case(When(status=Status.OPEN, then=Value(0)), default=Value(1),
                            output_field=IntegerField()),
            open_deadline=Case(When(status=Status.OPEN, then=F("submission_deadline"))),
        )
        .order_by("open_first", "open_deadline", "-published_at", "-pk")
    )


def questions_public(challenge: Challenge):
    """The answered questions, oldest first. Never with the asker: the page says "a bidder"."""
    return challenge.questions.filter(status=Question.Status.ANSWERED).only(
        "public_id", "challenge_id", "text", "answer", "answered_at", "asked_at", "status"
    ).order_by("answered_at", "pk")


def organisation_dashboard(user) -> dict:
    """For a member of one or more organisations: their organisations, their proposals (with
    the challenge and its deadline) and the open challenges they may still take part in."""
    organisations = list(Organisation.objects.filter(memberships__user=user).order_by("name"))
    proposals = list(
        Proposal.objects.filter(organisation__in=organisations)
        .select_related("challenge", "organisation")
        .order_by("challenge__submission_deadline", "organisation__name")
    )
    now = timezone.now()
    started = {(p.challenge_id, p.organisation_id) for p in proposals}
    open_challenges = [
        challenge for challenge in Challenge.objects.filter(
            status=Status.OPEN, opens_at__lte=now, submission_deadline__gte=now,
        ).order_by("submission_deadline")
        if any(challenge.is_eligible(o) and (challenge.pk, o.pk) not in started
               for o in organisations)
    ]
    return {"organisations": organisations, "proposals": proposals,
            "open_challenges": open_challenges}


def civil_servant_dashboard(challenge: Challenge) -> dict:
    """For the civil servants of a challenge: questions to answer, proposals in, the jury."""
    questions = challenge.questions.select_related("organisation")
    submitted = list(challenge.proposals.filter(status=Proposal.Status.SUBMITTED)
                     .select_related("organisation").order_by("submitted_at", "pk"))
    jury = jury_progress(challenge)
    has_chair = any(row.member.is_chair for row in jury)
    return {
        "questions_pending": list(questions.filter(status=Question.Status.PENDING)
                                  .order_by("asked_at", "pk")),
        "questions_answered": questions.filter(status=Question.Status.ANSWERED).count(),
        "questions_declined": questions.filter(status=Question.Status.DECLINED).count(),
        "proposals_submitted": submitted,
        "proposals_in_progress": challenge.proposals.exclude(
            status=Proposal.Status.SUBMITTED).count(),
        "jury": jury,
        "has_chair": has_chair,
        "jury_complete": bool(jury) and all(row.is_complete for row in jury),
        "can_start_assessment": (challenge.status == Status.CLOSED and has_chair
                                 and bool(submitted)),
    }

"""Every write to challenges. Keyword-only functions; every status change writes a
`ChallengeEvent`.

The life of a challenge (TRANSITIONS):

    draft --publish--> open --close (at the submission deadline, Celery beat)--> closed
    closed --assessment_start--> in_assessment --(ranking_finalise)--> award --> awarded
    closed | in_assessment --not_award--> not_awarded

An open challenge changes only by a dated, public amendment (`challenge_amend`). Questions are
asked until the questions deadline and answered publicly without the asker. A proposal is a
draft of one organisation, co-edited by its members, submitted (and withdrawn, and submitted
again) until the submission deadline to the second. The jury declares conflicts per proposal
before seeing it, scores each criterion with a motivation, and the chair finalises the ranking
and awards; every bidder gets a motivated outcome letter, and the award creates the pilot in
the pilot register.
"""

import hashlib
import json
import secrets

import rules
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext as _

from challenges import selectors, storage
from challenges.models import (
    OTHER_ATTACHMENT,
    Amendment,
    Challenge,
    ChallengeEvent,
    ChallengeFollow,
    ConflictDeclaration,
    Criterion,
    JuryMember,
    Proposal,
    ProposalAttachment,
    Question,
    Score,
)
from portal.accounts.models import Membership
from portal.accounts.roles import JURY_MEMBER
from portal.core.models import Notification
from portal.core.services import notification_send

Status = Challenge.Status
Action = ChallengeEvent.Action
ProposalStatus = Proposal.Status
Outcome = Proposal.Outcome

# action -> (allowed from-statuses, to-status). Amending and finalising keep the status.
TRANSITIONS = {
    Action.PUBLISH: ({Status.DRAFT}, Status.OPEN),
    Action.AMEND: ({Status.OPEN}, Status.OPEN),
    Action.CLOSE: ({Status.OPEN}, Status.CLOSED),
    Action.ASSESSMENT_START: ({Status.CLOSED}, Status.IN_ASSESSMENT),
    Action.RANKING_FINALISE: ({Status.IN_ASSESSMENT}, Status.IN_ASSESSMENT),
    Action.AWARD: ({Status.IN_ASSESSMENT}, Status.AWARDED),
    Action.NOT_AWARD: ({Status.CLOSED, Status.IN_ASSESSMENT}, Status.NOT_AWARDED),
}

# The statuses a proposal can be edited in (a withdrawn one may be changed and resubmitted).
EDITABLE_PROPOSAL_STATUSES = (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN)
MAX_ATTACHMENTS = 10

# Notification kinds.
KIND_ANSWER = "challenge_answer"
KIND_DECLINED = "challenge_question_declined"
KIND_AMENDMENT = "challenge_amendment"
KIND_RECEIPT = "challenge_receipt"
KIND_OUTCOME = "challenge_outcome"
KIND_JURY = "challenge_jury_appointed"

# Paths under /uitdagingen/ a slug must not shadow.
RESERVED_SLUGS = {"nieuw", "voorstellen", "mijn-organisatie", "feed"}


# --- helpers -----------------------------------------------------------------------------------


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _require_rule(user, perm: str, obj=None) -> None:
    """The rule itself, without Django's superuser shortcut (jury decisions)."""
    if not rules.has_perm(perm, user, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _invalid(message, code: str, field: str | None = None, **params) -> ValidationError:
    if params:
        message = message % params
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def _clean(value):
    return value.strip() if isinstance(value, str) else value


def _only(fields: dict, allowed) -> dict:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    return {key: _clean(value) for key, value in fields.items()}


# The pages' paths as the design fixes them, for when a URL name is not (yet) routed.
FALLBACK_PATHS = {
    "challenges:detail": "/uitdagingen/{slug}/",
    "challenges:proposal_detail": "/uitdagingen/voorstellen/{public_id}/",
    "challenges:outcome_letter": "/uitdagingen/voorstellen/{public_id}/uitslag/",
    "challenges:jury_overview": "/uitdagingen/{slug}/jury/",
}


def _url(name: str, fragment: str = "", **kwargs) -> str:
    """A site path for a notification link."""
    try:
        path = reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        path = FALLBACK_PATHS[name].format(**kwargs)
    return path + fragment


def _local(moment) -> str:
    """A moment as people read it: Europe/Amsterdam, e.g. "1 maart 2026 17:00:00"."""
    return formats.date_format(timezone.localtime(moment), "j F Y H:i:s")


def _event(*, challenge, action, by, from_status="", to_status="", reason="") -> ChallengeEvent:
    return ChallengeEvent.objects.create(
        challenge=challenge, action=action, from_status=from_status, to_status=to_status,
        by=by, reason=reason,
    )


def _locked(challenge: Challenge) -> Challenge:
    return Challenge.objects.select_for_update().get(pk=challenge.pk)


def _check_transition(challenge: Challenge, action) -> tuple[str, str]:
    from_statuses, to_status = TRANSITIONS[action]
    if challenge.status not in from_statuses:
        raise _invalid(_("This is not possible now: the challenge is %(status)s."),
                       "invalid_transition", status=challenge.get_status_display().lower())
    return challenge.status, to_status


def _move(challenge: Challenge, *, action, by, reason="", **changes) -> Challenge:
    """Check the table, set the new status (and `changes`), save and write the event."""
    from_status, to_status = _check_transition(challenge, action)
    challenge.status = to_status
    for name, value in changes.items():
        setattr(challenge, name, value)
    challenge.updated_at = timezone.now()
    challenge.save()
    _event(challenge=challenge, action=action, by=by, from_status=from_status,
           to_status=to_status, reason=reason)
    return challenge


def _unique_slug(title: str) -> str:
    base = slugify(title)[:100].strip("-") or "uitdaging"
    slug, counter = base, 2
    while slug in RESERVED_SLUGS or Challenge.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def _send_once(recipients, *, kind: str, url: str, message) -> int:
    """One notification per person for the occasion (kind, url): a redelivered task or a
    second call notifies nobody twice. `message()` gives (title, body), in the site's
    language. Returns the number sent."""
    already = set(Notification.objects.filter(kind=kind, url=url)
                  .values_list("recipient_id", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        title, body = message()
    sent = 0
    for user in recipients:
        if user.pk in already or not user.is_active:
            continue
        notification_send(recipient=user, kind=kind, title=title, body=body, url=url)
        already.add(user.pk)
        sent += 1
    return sent


def _organisation_members(organisation):
    return get_user_model().objects.filter(
        memberships__organisation=organisation, is_active=True
    ).order_by("pk")


# --- the challenge -----------------------------------------------------------------------------


def _set_content(challenge: Challenge, fields: dict) -> None:
    for name, value in fields.items():
        setattr(challenge, name, value)


@transaction.atomic
def challenge_create(*, by, slug: str | None = None, criteria: list[dict] | None = None,
                     **fields) -> Challenge:
    """A new challenge as a draft. Only the title is needed for a draft; `criteria` (optional)
    as for criteria_set. The slug is made from the title unless given; it never changes."""
    _require(by, "challenges.add_challenge")
    fields = _only(fields, Challenge.CONTENT_FIELDS)
    challenge = Challenge(created_by=by)
    _set_content(challenge, fields)
    if slug is not None and (slug in RESERVED_SLUGS
                             or Challenge.objects.filter(slug=slug).exists()):
        raise _invalid(_("This slug is already in use."), "slug_taken", "slug")
    challenge.slug = slug or _unique_slug(challenge.title)
    challenge.full_clean()
    challenge.save()
    _event(challenge=challenge, action=Action.CREATE, by=by, to_status=Status.DRAFT)
    if criteria is not None:
        _replace_criteria(challenge, _checked_criteria(criteria))
    return challenge


def _require_draft(challenge: Challenge) -> None:
    if challenge.status != Status.DRAFT:
        raise _invalid(
            _("A published challenge can only be changed by an amendment."), "not_a_draft"
        )


@transaction.atomic
def challenge_update(*, challenge: Challenge, by, **fields) -> Challenge:
    """Change a draft. A published challenge changes only through challenge_amend."""
    _require(by, "challenges.change_challenge", challenge)
    fields = _only(fields, Challenge.CONTENT_FIELDS)
    challenge = _locked(challenge)
    _require_draft(challenge)
    _set_content(challenge, fields)
    challenge.updated_at = timezone.now()
    challenge.full_clean()
    challenge.save()
    return challenge


def _checked_criteria(criteria: list[dict]) -> list[Criterion]:
    """Unsaved, validated criteria from [{title, description, weight}] (in this order)."""
    if not isinstance(criteria, list | tuple):
        raise _invalid(_("Give the criteria as a list."), "invalid_criteria", "criteria")
    checked = []
    for position, values in enumerate(criteria, start=1):
        values = _only(dict(values), ("title", "description", "weight"))
        criterion = Criterion(position=position, title=values.get("title") or "",
                              description=values.get("description") or "",
                              weight=values.get("weight"))
        try:
            criterion.full_clean(exclude=["challenge"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError({"criteria": [
                _("Criterion %(position)d: %(problem)s") % {
                    "position": position, "problem": " ".join(error.messages),
                }
            ]}) from error
        checked.append(criterion)
    return checked


def _replace_criteria(challenge: Challenge, criteria: list[Criterion]) -> None:
    # A queryset delete: the content guard lives on the instances (Criterion.save/delete), and
    # the callers have checked that the challenge is a draft or is being amended.
    challenge.criteria.all().delete()
    for criterion in criteria:
        criterion.challenge = challenge
        criterion._amending = True
        criterion.save()


def _criteria_as_data(criteria) -> list[dict]:
    return [{"title": c.title, "description": c.description, "weight": c.weight}
            for c in criteria]


@transaction.atomic
def criteria_set(*, challenge: Challenge, by, criteria: list[dict]) -> list[Criterion]:
    """Replace the criteria of a draft: [{title, description, weight}] in order. The weights
    must add up to 100 before publication (challenge_publish checks it)."""
    _require(by, "challenges.change_challenge", challenge)
    challenge = _locked(challenge)
    _require_draft(challenge)
    checked = _checked_criteria(criteria)
    _replace_criteria(challenge, checked)
    challenge.updated_at = timezone.now()
    challenge.save(update_fields=["updated_at"])
    return checked


def _publication_errors(challenge: Challenge, now) -> dict:
    try:
        challenge.full_clean()
        errors = {}
    except ValidationError as error:
        errors = dict(error.message_dict)
    for name, messages in challenge.publication_errors().items():
        errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    deadline = challenge.submission_deadline
    if deadline is not None and deadline <= now and "submission_deadline" not in errors:
        errors["submission_deadline"] = [_("The deadline for proposals has already passed.")]
    return errors


@transaction.atomic
def challenge_publish(*, challenge: Challenge, by) -> Challenge:
    """Publish a complete draft: it opens (for questions and proposals from `opens_at`).
    Raises ValidationError with a message per problem (missing fields, dates out of order,
    criteria weights not adding up to 100)."""
    _require(by, "challenges.publish_challenge", challenge)
    challenge = _locked(challenge)
    _check_transition(challenge, Action.PUBLISH)
    now = timezone.now()
    errors = _publication_errors(challenge, now)
    if errors:
        raise ValidationError(errors)
    return _move(challenge, action=Action.PUBLISH, by=by, published_at=now)


def _json_value(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _content_snapshot(challenge: Challenge) -> dict:
    return {name: _json_value(getattr(challenge, name)) for name in Challenge.CONTENT_FIELDS}


def _changes(before: dict, after: dict) -> dict:
    """field -> {"old", "new"} for the fields that differ (values as JSON)."""
    return {name: {"old": before[name], "new": after[name]}
            for name in before if before[name] != after[name]}


@transaction.atomic
def challenge_amend(*, challenge: Challenge, by, reason: str,
                    criteria: list[dict] | None = None, **fields) -> Amendment:
    """Change an open challenge before its submission deadline, by a numbered, dated and public
    amendment with its reason and what changed (criteria included). Followers and the
    organisations with a proposal are notified."""
    _require(by, "challenges.amend_challenge", challenge)
    fields = _only(fields, Challenge.CONTENT_FIELDS)
    challenge = _locked(challenge)
    _check_transition(challenge, Action.AMEND)
    now = timezone.now()
    if challenge.submission_deadline is not None and challenge.submission_deadline < now:
        raise _invalid(_("The deadline for proposals has passed: the challenge can no longer "
                         "be amended."), "deadline_passed")
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(_("Give the reason for the amendment: it is published."),
                       "reason_required", "reason")
    before = _content_snapshot(challenge)
    old_criteria = _criteria_as_data(challenge.criteria.all())
    _set_content(challenge, fields)
    if criteria is not None:
        # Written now, inside the transaction: the checks below read them, and an error rolls
        # them back.
        _replace_criteria(challenge, _checked_criteria(criteria))
    # Cleans the values too (full_clean), so that the comparison sees what would be stored.
    errors = _publication_errors(challenge, now)
    if errors:
        raise ValidationError(errors)
    changes = _changes(before, _content_snapshot(challenge))
    new_criteria = _criteria_as_data(challenge.criteria.all())
    if new_criteria != old_criteria:
        changes["criteria"] = {"old": old_criteria, "new": new_criteria}
    if not changes:
        raise _invalid(_("Nothing was changed."), "no_changes")
    challenge._amending = True
    challenge.updated_at = now
    challenge.save()
    number = (challenge.amendments.aggregate(n=Max("number"))["n"] or 0) + 1
    amendment = Amendment.objects.create(challenge=challenge, number=number, published_at=now,
                                         by=by, reason=reason, changes=changes)
    _event(challenge=challenge, action=Action.AMEND, by=by, from_status=challenge.status,
           to_status=challenge.status, reason=reason)
    amendment_id = amendment.pk
    transaction.on_commit(lambda: _queue("amendment_notify_task", amendment_id))
    return amendment


def _queue(task_name: str, *args) -> None:
    from challenges import tasks

    getattr(tasks, task_name).delay(*args)


def amendment_notify(*, amendment: Amendment) -> int:
    """Tell the followers and the members of organisations with a proposal about an
    amendment, once per person."""
    challenge = amendment.challenge
    users = get_user_model().objects.filter(
        challenge_follows__challenge=challenge
    ) | get_user_model().objects.filter(
        memberships__organisation__challenge_proposals__challenge=challenge
    )
    url = _url("challenges:detail", f"#wijziging-{amendment.number}", slug=challenge.slug)

    def message():
        title = _("The challenge “%(title)s” was amended") % {"title": challenge.title}
        return title, amendment.reason

    return _send_once(users.distinct().order_by("pk"), kind=KIND_AMENDMENT, url=url,
                      message=message)


@transaction.atomic
def challenge_close_due(*, now=None) -> int:
    """Close every open challenge whose submission deadline has passed (Celery beat).
    Returns the number closed. Submission itself is refused after the deadline to the second
    anyway: this only moves the status on."""
    now = now or timezone.now()
    closed = 0
    due = Challenge.objects.select_for_update().filter(status=Status.OPEN,
                                                       submission_deadline__lt=now)
    for challenge in due:
        _move(challenge, action=Action.CLOSE, by=None, closed_at=now)
        closed += 1
    return closed


@transaction.atomic
def challenge_assessment_start(*, challenge: Challenge, by) -> Challenge:
    """Closed -> in assessment: the jury may now score. Needs a chair and a submitted
    proposal (with none, the challenge is closed without award: challenge_not_award)."""
    _require(by, "challenges.manage_challenge", challenge)
    challenge = _locked(challenge)
    _check_transition(challenge, Action.ASSESSMENT_START)
    if not challenge.jury.filter(is_chair=True).exists():
        raise _invalid(_("Appoint a chair of the jury first."), "no_chair")
    if not challenge.proposals.filter(status=ProposalStatus.SUBMITTED).exists():
        raise _invalid(_("No proposal was submitted: close the challenge without an award."),
                       "no_proposals")
    return _move(challenge, action=Action.ASSESSMENT_START, by=by)


# --- following ---------------------------------------------------------------------------------


@transaction.atomic
def challenge_follow(*, challenge: Challenge, user) -> ChallengeFollow:
    """`user` follows a published challenge (idempotent)."""
    _require(user, "challenges.follow_challenge", challenge)
    if not challenge.is_public:
        raise _invalid(_("Only a published challenge can be followed."), "not_published")
    follow, _created = ChallengeFollow.objects.get_or_create(challenge=challenge, user=user)
    return follow


@transaction.atomic
def challenge_unfollow(*, challenge: Challenge, user) -> bool:
    """`user` stops following (idempotent). True if they followed it."""
    deleted, _rows = ChallengeFollow.objects.filter(challenge=challenge, user=user).delete()
    return bool(deleted)


# --- questions ---------------------------------------------------------------------------------


def _asking_organisation(user, organisation):
    memberships = Membership.objects.filter(user=user).select_related("organisation")
    if organisation is not None:
        membership = memberships.filter(organisation=organisation).first()
        if membership is None:
            raise PermissionDenied(_("You are not a member of this organisation."))
        return membership.organisation
    membership = memberships.order_by("organisation__name").first()
    if membership is None:
        raise PermissionDenied(_("Only members of an organisation can ask questions."))
    return membership.organisation


@transaction.atomic
def question_ask(*, challenge: Challenge, by, text: str, organisation=None) -> Question:
    """A member of an organisation asks a question, until the questions deadline (to the
    second). The answer will be public; the asker never is. The asker follows the challenge."""
    if not challenge.is_public:
        raise PermissionDenied(_("You are not allowed to do this."))
    # The clear message first: after the deadline the permission itself no longer holds.
    if not challenge.accepts_questions(timezone.now()):
        raise _invalid(_("This challenge does not take questions (any more)."),
                       "deadline_passed")
    _require(by, "challenges.ask_question", challenge)
    organisation = _asking_organisation(by, organisation)
    text = (text or "").strip()
    if not text:
        raise _invalid(_("Write your question."), "required", "text")
    question = Question(challenge=challenge, asked_by=by, organisation=organisation, text=text)
    question.full_clean()
    question.save()
    ChallengeFollow.objects.get_or_create(challenge=challenge, user=by)
    return question


def _locked_question(question: Question) -> Question:
    return Question.objects.select_for_update().select_related("challenge").get(pk=question.pk)


def _require_pending(question: Question) -> None:
    if question.status != Question.Status.PENDING:
        raise _invalid(_("This question has been dealt with already."), "not_pending")


@transaction.atomic
def question_answer(*, question: Question, by, answer: str) -> Question:
    """Answer a question publicly. Followers of the challenge (the asker among them) are
    notified, once each, after the commit."""
    _require(by, "challenges.answer_question", question.challenge)
    question = _locked_question(question)
    _require_pending(question)
    answer = (answer or "").strip()
    if not answer:
        raise _invalid(_("Write the answer."), "required", "answer")
    question.answer, question.answered_by, question.answered_at = answer, by, timezone.now()
    question.status = Question.Status.ANSWERED
    question.full_clean()
    question.save()
    question_id = question.pk
    transaction.on_commit(lambda: _queue("question_answer_notify_task", question_id))
    return question


def question_answer_notify(*, question: Question) -> int:
    """Tell the followers and the asker that a question was answered (once each)."""
    question = Question.objects.select_related("challenge").get(pk=question.pk)
    if question.status != Question.Status.ANSWERED:
        return 0
    challenge = question.challenge
    users = get_user_model().objects.filter(challenge_follows__challenge=challenge)
    if question.asked_by_id:
        users = users | get_user_model().objects.filter(pk=question.asked_by_id)
    url = _url("challenges:detail", f"#vraag-{question.public_id}", slug=challenge.slug)

    def message():
        title = _("New answer to a question about “%(title)s”") % {"title": challenge.title}
        return title, Truncator(question.answer).chars(300)

    return _send_once(users.distinct().order_by("pk"), kind=KIND_ANSWER, url=url,
                      message=message)


@transaction.atomic
def question_decline(*, question: Question, by, reason: str) -> Question:
    """Do not answer a question (e.g. already answered, or about one bidder only), with the
    reason, which goes to the asker only."""
    _require(by, "challenges.answer_question", question.challenge)
    question = _locked_question(question)
    _require_pending(question)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid(_("Give the reason."), "reason_required", "reason")
    question.status, question.decline_reason = Question.Status.DECLINED, reason
    question.answered_by, question.answered_at = by, timezone.now()
    question.full_clean()
    question.save()
    if question.asked_by_id and question.asked_by.is_active:
        challenge = question.challenge
        with translation.override(settings.LANGUAGE_CODE):
            notification_send(
                recipient=question.asked_by, kind=KIND_DECLINED,
                title=_("Your question about “%(title)s” was not answered")
                % {"title": challenge.title},
                body=reason, url=_url("challenges:detail", slug=challenge.slug),
            )
    return question


# --- proposals ---------------------------------------------------------------------------------


def _require_member(user, organisation) -> None:
    """Explicit, besides the rules: an admin is not a member of every organisation."""
    if not organisation.memberships.filter(user=user).exists():
        raise PermissionDenied(_("Only members of the organisation can do this."))


def _require_open_for_proposals(challenge: Challenge, now=None) -> None:
    now = now or timezone.now()
    if not challenge.accepts_proposals(now):
        if challenge.submission_deadline is not None and now > challenge.submission_deadline:
            raise _invalid(_("The deadline for proposals has passed (%(deadline)s)."),
                           "deadline_passed", deadline=_local(challenge.submission_deadline))
        raise _invalid(_("This challenge does not accept proposals now."), "not_open")


@transaction.atomic
def proposal_start(*, challenge: Challenge, organisation, by) -> Proposal:
    """The organisation's proposal for the challenge: the existing one, or a new draft. One
    proposal per organisation per challenge."""
    _require_member(by, organisation)
    existing = Proposal.objects.filter(challenge=challenge, organisation=organisation).first()
    if existing is not None:
        return existing
    if not challenge.is_public:
        raise PermissionDenied(_("You are not allowed to do this."))
    # The clear messages first: after the deadline the permission itself no longer holds.
    _require_open_for_proposals(challenge)
    if not challenge.is_eligible(organisation):
        raise _invalid(_("Organisations of this type cannot take part in this challenge."),
                       "not_eligible")
    _require(by, "challenges.add_proposal", challenge)
    try:
        with transaction.atomic():
            return Proposal.objects.create(challenge=challenge, organisation=organisation,
                                           created_by=by, updated_by=by,
                                           updated_at=timezone.now())
    except IntegrityError:
        # A colleague started it at the same moment.
        return Proposal.objects.get(challenge=challenge, organisation=organisation)


def _locked_proposal(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().select_related(
        "challenge", "organisation").get(pk=proposal.pk)


def _require_editable(proposal: Proposal) -> None:
    if proposal.status not in EDITABLE_PROPOSAL_STATUSES:
        raise _invalid(_("A submitted proposal cannot be changed; withdraw it first."),
                       "not_editable")
    _require_open_for_proposals(proposal.challenge)


@transaction.atomic
def proposal_update(*, proposal: Proposal, by, **fields) -> Proposal:
    """Members of the organisation change their draft (or withdrawn) proposal until the
    deadline."""
    _require(by, "challenges.change_proposal", proposal)
    fields = _only(fields, Proposal.CONTENT_FIELDS)
    proposal = _locked_proposal(proposal)
    _require_member(by, proposal.organisation)
    _require_editable(proposal)
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.updated_at, proposal.updated_by = timezone.now(), by
    proposal.full_clean()
    proposal.save()
    return proposal


@transaction.atomic
def attachment_add(*, proposal: Proposal, by, upload, label: str) -> ProposalAttachment:
    """Add a PDF, ODT or DOCX (checked by content; at most CHALLENGES_ATTACHMENT_MAX_BYTES; at
    most 10 per proposal). `label` is one of the challenge's required attachments (a new file
    replaces the one before) or "other"."""
    _require(by, "challenges.change_proposal", proposal)
    proposal = _locked_proposal(proposal)
    _require_member(by, proposal.organisation)
    _require_editable(proposal)
    label = _attachment_label(proposal.challenge, label)
    checked = storage.check_upload(upload)
    replaced = (list(proposal.attachments.filter(label=label)) if label != OTHER_ATTACHMENT
                else [])
    if proposal.attachments.count() - len(replaced) >= MAX_ATTACHMENTS:
        raise _invalid(_("A proposal has at most %(count)d attachments."), "too_many", "file",
                       count=MAX_ATTACHMENTS)
    for old in replaced:
        _attachment_delete(old)
    attachment = ProposalAttachment(
        proposal=proposal, label=label, original_name=checked.name,
        content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
        uploaded_by=by,
    )
    upload.seek(0)
    attachment.file.save(checked.name, upload, save=False)
    try:
        attachment.save()
        _touch(proposal, by)
    except Exception:
        # The file is written before its row: leave nothing behind under PRIVATE_MEDIA_ROOT.
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def _touch(proposal: Proposal, by) -> None:
    proposal.updated_at, proposal.updated_by = timezone.now(), by
    proposal.save(update_fields=["updated_at", "updated_by"])


def _attachment_label(challenge: Challenge, label: str) -> str:
    label = (label or "").strip()
    if label == OTHER_ATTACHMENT:
        return label
    for required in challenge.required_attachments:
        if required.casefold() == label.casefold():
            return required
    raise _invalid(_("Choose which attachment this is."), "invalid_label", "label")


def _attachment_delete(attachment: ProposalAttachment) -> None:
    file_storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    transaction.on_commit(lambda: file_storage.delete(name))


@transaction.atomic
def attachment_remove(*, attachment: ProposalAttachment, by) -> None:
    """Remove an attachment of a draft (or withdrawn) proposal; the file goes after the
    commit."""
    proposal = attachment.proposal
    _require(by, "challenges.change_proposal", proposal)
    proposal = _locked_proposal(proposal)
    _require_member(by, proposal.organisation)
    _require_editable(proposal)
    attachment = ProposalAttachment.objects.get(pk=attachment.pk, proposal=proposal)
    _attachment_delete(attachment)
    _touch(proposal, by)


def content_hash(proposal: Proposal) -> str:
    """SHA-256 of the submitted content and the attachments' hashes: the receipt's
    fingerprint. Anyone holding the same text and files can recompute it."""
    content = {name: str(getattr(proposal, name) if getattr(proposal, name) is not None
                         else "") for name in Proposal.CONTENT_FIELDS}
    content["attachments"] = sorted(
        [a.label, a.original_name, a.sha256]
        for a in proposal.attachments.all()
    )
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


@transaction.atomic
def proposal_submit(*, proposal: Proposal, by, now=None) -> Proposal:
    """Submit a complete proposal. Refused after the submission deadline to the second
    (server time, compared as aware datetimes). Sets the receipt code and the fingerprint
    and sends the receipt to the submitter."""
    _require(by, "challenges.submit_proposal", proposal)
    now = now or timezone.now()
    proposal = _locked_proposal(proposal)
    _require_member(by, proposal.organisation)
    if proposal.status not in EDITABLE_PROPOSAL_STATUSES:
        raise _invalid(_("This proposal has been submitted already."), "already_submitted")
    _require_open_for_proposals(proposal.challenge, now)
    errors = proposal.submission_errors()
    if errors:
        raise ValidationError(errors)
    proposal.status = ProposalStatus.SUBMITTED
    proposal.submitted_at, proposal.submitted_by = now, by
    proposal.receipt_code = _receipt_code()
    proposal.content_hash = content_hash(proposal)
    proposal.updated_at, proposal.updated_by = now, by
    proposal.save()
    _send_receipt(proposal, by)
    return proposal


def _send_receipt(proposal: Proposal, user) -> None:
    challenge = proposal.challenge
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Receipt: your proposal for “%(title)s”") % {"title": challenge.title}
        body = _(
            "We received the proposal of %(organisation)s on %(moment)s (Amsterdam time).\n"
            "Receipt code: %(code)s\nFingerprint (SHA-256): %(hash)s\n"
            "You can withdraw and resubmit it until %(deadline)s."
        ) % {
            "organisation": proposal.organisation.name, "moment": _local(proposal.submitted_at),
            "code": proposal.receipt_code, "hash": proposal.content_hash,
            "deadline": _local(challenge.submission_deadline),
        }
    notification_send(recipient=user, kind=KIND_RECEIPT, title=title, body=body,
                      url=_url("challenges:proposal_detail", public_id=proposal.public_id))


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, by) -> Proposal:
    """Withdraw a submitted proposal before the deadline; it may be changed and submitted
    again. The receipt of the withdrawn submission no longer counts."""
    _require(by, "challenges.withdraw_proposal", proposal)
    proposal = _locked_proposal(proposal)
    _require_member(by, proposal.organisation)
    if proposal.status != ProposalStatus.SUBMITTED:
        raise _invalid(_("Only a submitted proposal can be withdrawn."), "not_submitted")
    _require_open_for_proposals(proposal.challenge)
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.receipt_code, proposal.content_hash = "", ""
    proposal.submitted_at, proposal.submitted_by = None, None
    proposal.updated_at, proposal.updated_by = timezone.now(), by
    proposal.save()
    return proposal


# --- the jury ----------------------------------------------------------------------------------


def _require_jury_changeable(challenge: Challenge) -> None:
    if not challenge.is_public or challenge.is_decided:
        raise _invalid(_("The jury of this challenge can no longer change."), "jury_closed")
    if challenge.ranking_is_final:
        raise _invalid(_("The ranking is final: the jury can no longer change."), "jury_closed")


@transaction.atomic
def jury_appoint(*, challenge: Challenge, by, user, is_chair: bool = False) -> JuryMember:
    """Appoint a jury member (a user in the jury member group), or make an appointed member
    the chair (the previous chair stays a member). The appointee is notified."""
    _require(by, "challenges.appoint_jury", challenge)
    challenge = _locked(challenge)
    _require_jury_changeable(challenge)
    if not user.is_active or not user.groups.filter(name=JURY_MEMBER).exists():
        raise _invalid(_("%(name)s is not a jury member. An administrator gives people that "
                         "role."), "not_jury", "user", name=str(user))
    if challenge.proposals.filter(organisation__memberships__user=user).exists():
        raise _invalid(_("%(name)s is a member of an organisation with a proposal for this "
                         "challenge."), "member_of_bidder", "user", name=str(user))
    if is_chair:
        challenge.jury.filter(is_chair=True).exclude(user=user).update(is_chair=False)
    member, created = JuryMember.objects.get_or_create(
        challenge=challenge, user=user,
        defaults={"is_chair": is_chair, "appointed_by": by},
    )
    if not created and is_chair and not member.is_chair:
        member.is_chair = True
        member.save(update_fields=["is_chair"])
    if created:
        with translation.override(settings.LANGUAGE_CODE):
            notification_send(
                recipient=user, kind=KIND_JURY,
                title=_("You are on the jury of “%(title)s”") % {"title": challenge.title},
                body=_("You will assess the proposals after the deadline of %(deadline)s.")
                % {"deadline": _local(challenge.submission_deadline)},
                url=_url("challenges:jury_overview", slug=challenge.slug),
            )
    return member


@transaction.atomic
def jury_remove(*, by, jury_member: JuryMember | None = None, challenge: Challenge | None = None,
                user=None) -> None:
    """Remove a jury member (by `jury_member`, or by `challenge` and `user`) with their
    declarations and scores, until the ranking is final."""
    if jury_member is None:
        jury_member = JuryMember.objects.get(challenge=challenge, user=user)
    _require(by, "challenges.appoint_jury", jury_member.challenge)
    _require_jury_changeable(_locked(jury_member.challenge))
    jury_member.delete()


def _acting_member(jury_member: JuryMember) -> JuryMember:
    member = JuryMember.objects.select_related("challenge", "user").get(pk=jury_member.pk)
    if member.user is None:
        raise PermissionDenied(_("You are not allowed to do this."))
    return member


def _require_assessable(proposal: Proposal, member: JuryMember) -> None:
    if proposal.challenge_id != member.challenge_id:
        raise PermissionDenied(_("This proposal is not for your challenge."))
    if proposal.status != ProposalStatus.SUBMITTED:
        raise _invalid(_("Only submitted proposals are assessed."), "not_submitted")
    if member.challenge.ranking_is_final:
        raise _invalid(_("The ranking is final."), "ranking_final")


@transaction.atomic
def conflict_declare(*, jury_member: JuryMember, proposal: Proposal, has_conflict: bool,
                     explanation: str = "") -> ConflictDeclaration:
    """The jury member declares, before seeing the proposal, whether they have a conflict of
    interest with it. A conflict hides the proposal from them and leaves them out of its
    ranking; it cannot be taken back. "No conflict" can later become "conflict" (their scores
    for it are then deleted)."""
    member = _acting_member(jury_member)
    _require_rule(member.user, "challenges.declare_conflict", member.challenge)
    _require_assessable(proposal, member)
    if member.challenge.status not in (Status.CLOSED, Status.IN_ASSESSMENT):
        raise _invalid(_("Conflicts are declared once the deadline has passed."), "not_closed")
    explanation = (explanation or "").strip()
    existing = ConflictDeclaration.objects.select_for_update().filter(
        jury_member=member, proposal=proposal).first()
    if existing is not None:
        if existing.has_conflict and not has_conflict:
            raise _invalid(_("A declared conflict of interest cannot be taken back."),
                           "conflict_final")
        if existing.has_conflict == bool(has_conflict):
            return existing
    declaration = existing or ConflictDeclaration(jury_member=member, proposal=proposal)
    declaration.has_conflict, declaration.explanation = bool(has_conflict), explanation
    declaration.declared_at = timezone.now()
    declaration.full_clean()
    declaration.save()
    if declaration.has_conflict:
        Score.objects.filter(jury_member=member, proposal=proposal).delete()
    return declaration


@transaction.atomic
def score_save(*, jury_member: JuryMember, proposal: Proposal, criterion: Criterion, score,
               motivation: str) -> Score:
    """A jury member's score (0–10) with a written motivation for one criterion; changeable
    until the chair finalises the ranking. Only after declaring no conflict."""
    member = _acting_member(jury_member)
    _require_rule(member.user, "challenges.score_proposal", proposal)
    _require_assessable(proposal, member)
    if member.challenge.status != Status.IN_ASSESSMENT:
        raise _invalid(_("Scoring starts when the assessment starts."), "not_in_assessment")
    if criterion.challenge_id != member.challenge_id:
        raise _invalid(_("This criterion is not part of the challenge."), "wrong_criterion")
    motivation = (motivation or "").strip()
    if not motivation:
        raise _invalid(_("Motivate your score."), "required", "motivation")
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = None
    if value is None or str(value) != str(score).strip() or not Score.MIN <= value <= Score.MAX:
        raise _invalid(_("Give a whole number from 0 to 10."), "invalid_score", "score")
    row, _created = Score.objects.update_or_create(
        jury_member=member, proposal=proposal, criterion=criterion,
        defaults={"score": value, "motivation": motivation, "updated_at": timezone.now()},
    )
    return row


def _ranking_gaps(challenge: Challenge) -> list[str]:
    """What is missing before the ranking can be final (one message per jury member)."""
    gaps = []
    for row in selectors.jury_progress(challenge):
        if row.member.user_id is None:
            continue
        if not row.is_complete:
            gaps.append(_("%(name)s has not yet declared for or scored every proposal "
                          "(%(done)d of %(total)d done).") % {
                "name": str(row.member.user), "done": row.scored + row.conflicts,
                "total": row.proposals,
            })
    return gaps


@transaction.atomic
def ranking_finalise(*, challenge: Challenge, by) -> list:
    """The chair makes the ranking final: every jury member without a conflict has scored
    every criterion of every submitted proposal. Scores can no longer change. Returns the
    ranking (selectors.ranking), whose places and scores are kept on the proposals."""
    _require_rule(by, "challenges.finalise_ranking", challenge)
    challenge = _locked(challenge)
    _check_transition(challenge, Action.RANKING_FINALISE)
    gaps = _ranking_gaps(challenge)
    rows = selectors.ranking(challenge)
    unscored = [row.proposal.organisation.name for row in rows if row.score is None]
    if unscored:
        gaps.append(_("Nobody without a conflict has scored the proposal of %(names)s.")
                    % {"names": ", ".join(unscored)})
    if gaps:
        raise ValidationError(gaps, code="ranking_incomplete")
    for row in rows:
        Proposal.objects.filter(pk=row.proposal.pk).update(final_rank=row.rank,
                                                           final_score=row.score)
    now = timezone.now()
    _move(challenge, action=Action.RANKING_FINALISE, by=by, ranking_finalised_at=now,
          ranking_finalised_by=by)
    return rows


# --- the decision: outcome letters and the pilot -----------------------------------------------


def _letter(*, challenge: Challenge, row, total: int, awarded: bool, motivation: str) -> str:
    """A motivated outcome letter (plain text, in the site's language)."""
    proposal = row.proposal
    lines = [
        _("Outcome of the challenge “%(title)s”") % {"title": challenge.title},
        "",
        _("To: %(organisation)s") % {"organisation": proposal.organisation.name},
        "",
        (_("Your proposal has been chosen. Congratulations!") if awarded
         else _("Your proposal has not been chosen.")),
    ]
    if row.rank is not None and challenge.ranking_is_final:
        lines += ["", _("Your place in the ranking: %(rank)d of %(total)d.") % {
            "rank": row.rank, "total": total}]
        lines.append(_("Your weighted score: %(score)s of 10.") % {
            "score": formats.number_format(row.score, 2)})
        lines += ["", _("The jury's assessment per criterion:")]
        for result in row.criteria:
            lines.append(_("- %(criterion)s (weight %(weight)d%%): average %(mean)s of 10")
                         % {"criterion": result.criterion.title,
                            "weight": result.criterion.weight,
                            "mean": formats.number_format(result.mean, 1)
                            if result.mean is not None else "–"})
            lines += [f"  · {text}" for text in result.motivations]
    lines += ["", _("Motivation of the decision:"), motivation]
    return "\n".join(lines)


def _send_outcomes(challenge: Challenge, *, winner: Proposal | None, motivation: str,
                   now) -> int:
    """Write the outcome letter of every submitted proposal and notify the members of each
    organisation (in the site, and by e-mail per their preference)."""
    rows = selectors.ranking(challenge)
    total = len(rows)
    sent = 0
    for row in rows:
        proposal = row.proposal
        awarded = winner is not None and proposal.pk == winner.pk
        with translation.override(settings.LANGUAGE_CODE):
            letter = _letter(challenge=challenge, row=row, total=total, awarded=awarded,
                             motivation=motivation)
            title = (_("Your proposal for “%(title)s” has been chosen") if awarded
                     else _("Outcome of your proposal for “%(title)s”")) % {
                "title": challenge.title}
        proposal.outcome = Outcome.AWARDED if awarded else Outcome.NOT_AWARDED
        proposal.outcome_letter, proposal.outcome_sent_at = letter, now
        proposal.save(update_fields=["outcome", "outcome_letter", "outcome_sent_at"])
        url = _url("challenges:outcome_letter", public_id=proposal.public_id)
        sent += _send_once(_organisation_members(proposal.organisation), kind=KIND_OUTCOME,
                           url=url, message=lambda title=title, letter=letter: (title, letter))
    return sent


def _pilot_author(by, challenge: Challenge):
    """Who creates the pilot: the chair if they may, else the challenge's author."""
    for user in (by, challenge.created_by):
        if user is not None and user.is_active and user.has_perm("registry.add_pilot"):
            return user
    raise _invalid(_("A civil servant must create the pilot, but neither the chair nor the "
                     "author of the challenge can."), "no_pilot_author")


def _pilot_fields(challenge: Challenge, proposal: Proposal) -> dict:
    """The pilot's fields, prefilled from the challenge and the winning proposal. What neither
    says (hypothesis, dates, alderman…) the civil servant completes before publication."""
    organisation = proposal.organisation
    partners = _("%(name)s (%(kind)s): the winner of the challenge “%(title)s”.") % {
        "name": organisation.name, "kind": organisation.get_kind_display(),
        "title": challenge.title,
    }
    if proposal.team:
        partners = f"{partners}\n\n{proposal.team}"
    return {
        "title": Truncator(challenge.title).chars(200),
        "summary": Truncator(proposal.summary).chars(400),
        "theme": challenge.theme,
        "department": challenge.department,
        "problem": Truncator(challenge.problem).chars(5000),
        "goal": Truncator(challenge.for_whom).chars(5000),
        "intervention": Truncator(proposal.approach).chars(5000),
        "evaluation_design": Truncator(proposal.success_measures).chars(5000),
        "partners": Truncator(partners).chars(5000),
        "budget": proposal.budget,
        "start_date": timezone.localdate(challenge.award_date) if challenge.award_date else None,
    }


def _create_pilot(challenge: Challenge, proposal: Proposal, by):
    """The pilot in the register, as a draft, submitted for publication when complete (a
    colleague publishes it: four-eyes). An incomplete pilot stays a draft for the civil
    servant to complete."""
    from registry.services import pilot_create, pilot_submit

    author = _pilot_author(by, challenge)
    with translation.override(settings.LANGUAGE_CODE):
        fields = _pilot_fields(challenge, proposal)
    pilot = pilot_create(by=author, **fields)
    if not pilot.publication_errors():
        try:
            with transaction.atomic():
                pilot = pilot_submit(pilot=pilot, by=author)
        except (ValidationError, PermissionDenied):
            pass
    return pilot


def _require_decision_motivation(motivation: str) -> str:
    motivation = (motivation or "").strip()
    if not motivation:
        raise _invalid(_("Motivate the decision: every bidder reads it."), "required",
                       "motivation")
    return motivation


@transaction.atomic
def challenge_award(*, challenge: Challenge, by, proposal: Proposal, motivation: str):
    """The chair awards the challenge to a submitted proposal, after finalising the ranking.
    Every bidder gets a motivated outcome letter, the winner's summary becomes public, and
    the pilot is created in the pilot register (linked both ways). Returns the pilot."""
    _require_rule(by, "challenges.award", challenge)
    challenge = _locked(challenge)
    _check_transition(challenge, Action.AWARD)
    if not challenge.ranking_is_final:
        raise _invalid(_("Finalise the ranking first."), "ranking_not_final")
    motivation = _require_decision_motivation(motivation)
    proposal = Proposal.objects.select_related("organisation").get(pk=proposal.pk)
    if proposal.challenge_id != challenge.pk or proposal.status != ProposalStatus.SUBMITTED:
        raise _invalid(_("Choose one of the submitted proposals."), "invalid_proposal",
                       "proposal")
    now = timezone.now()
    pilot = _create_pilot(challenge, proposal, by)
    _move(challenge, action=Action.AWARD, by=by, reason=motivation, awarded_proposal=proposal,
          award_motivation=motivation, awarded_at=now, pilot=pilot)
    _send_outcomes(challenge, winner=proposal, motivation=motivation, now=now)
    return pilot


@transaction.atomic
def challenge_not_award(*, challenge: Challenge, by, motivation: str) -> Challenge:
    """Close the challenge without a winner (the chair, or a civil servant, e.g. when nothing
    suitable came in). Every bidder gets a motivated letter."""
    _require(by, "challenges.not_award", challenge)
    challenge = _locked(challenge)
    _check_transition(challenge, Action.NOT_AWARD)
    motivation = _require_decision_motivation(motivation)
    now = timezone.now()
    _move(challenge, action=Action.NOT_AWARD, by=by, reason=motivation,
          award_motivation=motivation, awarded_at=now)
    _send_outcomes(challenge, winner=None, motivation=motivation, now=now)
    return challenge


"""Every write to ideas. Keyword-only functions; every decision writes an `IdeaEvent`.

Moderation of an idea (the `moderation` field; see models.py):

    draft --submit--> pending --publish--> published
      ^  (post-moderated theme: submit publishes at once)   |
      |                  +--request_changes--> changes_requested --submit--> pending
      |                  +--reject--> rejected --appeal (once)--> appealed
      |                                                        +--uphold--> published
      |                                                        +--dismiss--> rejected (final)
    published --reject (hide, e.g. after reports)--> rejected

Status of a published idea (the `status` field), changed by a civil servant with an official
answer that is shown on the idea and sent to the author, supporters and followers.
"""

import rules
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.roles import CIVIL_SERVANT
from portal.consent.selectors import consent_has
from portal.ideas.models import (
    Appeal,
    Comment,
    Follow,
    Idea,
    IdeaEvent,
    IdeaLink,
    Moderation,
    ModerationMode,
    ReasonCode,
    Report,
    Status,
    Support,
    ThemeSettings,
)

Action = IdeaEvent.Action

# The consent purpose that lets an idea or comment show its author's name.
AUTHOR_NAME_PURPOSE = "idea-author-name"

# action -> (allowed from-states, to-state): moderation decisions on an idea.
MODERATION_TRANSITIONS = {
    Action.PUBLISH: ({Moderation.PENDING}, Moderation.PUBLISHED),
    Action.REQUEST_CHANGES: ({Moderation.PENDING}, Moderation.CHANGES_REQUESTED),
    Action.REJECT: ({Moderation.PENDING, Moderation.PUBLISHED}, Moderation.REJECTED),
}

# to-status -> allowed from-statuses: the municipality's answer to a published idea.
STATUS_TRANSITIONS = {
    Status.UNDER_CONSIDERATION: {Status.PUBLISHED},
    Status.ACCEPTED: {Status.PUBLISHED, Status.UNDER_CONSIDERATION},
    Status.NOT_FEASIBLE: {Status.PUBLISHED, Status.UNDER_CONSIDERATION, Status.ACCEPTED},
    Status.ALREADY_PLANNED: {Status.PUBLISHED, Status.UNDER_CONSIDERATION},
    Status.REALISED: {Status.ACCEPTED, Status.ALREADY_PLANNED},
}

COMMENT_DECISIONS = {Action.PUBLISH, Action.REJECT}


def _field_error(field: str, message, code: str) -> ValidationError:
    """An error on one field that keeps its code (a dict of plain messages would drop it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _require(user, perm: str, obj=None) -> None:
    if not user.has_perm(perm, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _require_rule(user, perm: str, obj=None) -> None:
    """The rule itself, without Django's superuser shortcut (for resident-only actions)."""
    if not rules.has_perm(perm, user, obj):
        raise PermissionDenied(_("You are not allowed to do this."))


def _require_author(user, idea: Idea) -> None:
    if idea.author_id is None or idea.author_id != getattr(user, "pk", None):
        raise PermissionDenied(_("Only the author can do this."))


def _event(*, idea, action, by, from_state="", to_state="", comment=None, reason_code="",
           text="", duplicate_of=None) -> IdeaEvent:
    return IdeaEvent.objects.create(
        idea=idea, comment=comment, action=action, from_state=from_state, to_state=to_state,
        reason_code=reason_code, text=text, duplicate_of=duplicate_of, by=by,
        by_role=_role_of(by),
    )


def _role_of(user) -> str:
    """The role someone acted in, shown on the timeline instead of a staff member's name."""
    if user is None:
        return ""
    if getattr(user, "bsn_pseudonym", None):
        return "resident"
    names = set(user.groups.values_list("name", flat=True))
    for role in ("moderator", CIVIL_SERVANT):
        if role in names:
            return role
    return "admin" if user.is_superuser else ""


def _locked(idea: Idea) -> Idea:
    return Idea.objects.select_for_update().get(pk=idea.pk)


def theme_moderation(theme: str) -> tuple[str, str]:
    """(idea moderation, comment moderation) for a theme: pre/post."""
    row = ThemeSettings.objects.filter(theme=theme).first()
    if row is None:
        return ModerationMode.PRE, ModerationMode.POST
    return row.idea_moderation, row.comment_moderation


def _author_name_allowed(user, requested: bool) -> bool:
    if not requested:
        return False
    if not consent_has(user=user, purpose_code=AUTHOR_NAME_PURPOSE):
        raise _field_error("show_author_name", _(
                "To show your name you first give consent for that. Untick the box to publish "
                "as an anonymous resident."
            ), "consent_required")
    return True


# --- the author's idea ------------------------------------------------------------------------

IDEA_FIELDS = ("title", "body", "theme", "neighbourhood", "latitude", "longitude")


def _clean_fields(fields: dict) -> dict:
    unknown = set(fields) - set(IDEA_FIELDS) - {"show_author_name"}
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    return {key: value.strip() if isinstance(value, str) else value
            for key, value in fields.items()}


def _check_location(idea: Idea) -> None:
    if not idea.has_location:
        if (idea.latitude is None) != (idea.longitude is None):
            raise _field_error("latitude", _("Give both latitude and longitude, or neither."),
                               "location_incomplete")
        return
    south, west, north, east = settings.MAP_BOUNDS
    if not (south <= float(idea.latitude) <= north and west <= float(idea.longitude) <= east):
        raise _field_error("latitude", _("The location lies outside the municipality."),
                           "location_outside")


@transaction.atomic
def idea_create(*, author, show_author_name: bool = False, **fields) -> Idea:
    """A new idea, saved as a draft of `author` (a resident)."""
    _require_rule(author, "ideas.add_idea")
    fields = _clean_fields(fields)
    idea = Idea(author=author, moderation=Moderation.DRAFT, **fields)
    idea.show_author_name = _author_name_allowed(author, show_author_name)
    # Constraints are left to _check_location (a clear message on the field; the database
    # enforces them too): full_clean would report "Constraint ... is violated".
    idea.full_clean(validate_constraints=False)
    _check_location(idea)
    idea.save()
    _event(idea=idea, action=Action.CREATE, by=author, to_state=Moderation.DRAFT)
    return idea


@transaction.atomic
def idea_update(*, idea: Idea, by, **fields) -> Idea:
    """The author changes a draft, or an idea whose changes a moderator asked for."""
    idea = _locked(idea)
    _require_author(by, idea)
    _require_rule(by, "ideas.change_idea", idea)
    fields = _clean_fields(fields)
    show_author_name = fields.pop("show_author_name", None)
    for field, value in fields.items():
        setattr(idea, field, value)
    if show_author_name is not None:
        idea.show_author_name = _author_name_allowed(by, show_author_name)
    # Constraints are left to _check_location (a clear message on the field; the database
    # enforces them too): full_clean would report "Constraint ... is violated".
    idea.full_clean(validate_constraints=False)
    _check_location(idea)
    idea.save()
    return idea


@transaction.atomic
def idea_submit(*, idea: Idea, by) -> Idea:
    """The author hands a draft in. Pre-moderated themes go to the moderators' queue;
    post-moderated themes are published at once (and moderated afterwards)."""
    idea = _locked(idea)
    _require_author(by, idea)
    if idea.moderation not in (Moderation.DRAFT, Moderation.CHANGES_REQUESTED):
        raise ValidationError(_("This idea has already been submitted."), code="not_a_draft")
    idea.full_clean()
    now = timezone.now()
    from_state = idea.moderation
    idea.submitted_at = now
    idea_mode, _comment_mode = theme_moderation(idea.theme)
    if idea_mode == ModerationMode.POST:
        idea.moderation = Moderation.PUBLISHED
        idea.published_at = idea.published_at or now
    else:
        idea.moderation = Moderation.PENDING
    idea.save()
    _event(idea=idea, action=Action.SUBMIT, by=by, from_state=from_state,
           to_state=Moderation.PENDING)
    if idea.moderation == Moderation.PUBLISHED:
        _event(idea=idea, action=Action.PUBLISH, by=None, from_state=Moderation.PENDING,
               to_state=Moderation.PUBLISHED, text=_("Published at once (post-moderation)."))
    return idea


@transaction.atomic
def idea_delete_draft(*, idea: Idea, by) -> None:
    idea = _locked(idea)
    _require_author(by, idea)
    if idea.moderation != Moderation.DRAFT:
        raise ValidationError(_("Only a draft can be deleted."), code="not_a_draft")
    for image in idea.images.all():
        image.file.delete(save=False)
    idea.delete()


# --- moderation -------------------------------------------------------------------------------


def _check_reason(*, action, reason_code: str, statement: str, duplicate_of) -> None:
    errors = {}
    if action in (Action.REJECT, Action.APPEAL_DISMISSED):
        if reason_code not in ReasonCode.values:
            errors["reason_code"] = [_("Choose a reason from the list.")]
        if reason_code == ReasonCode.DUPLICATE and duplicate_of is None:
            errors["duplicate_of"] = [_("Say which idea this is a duplicate of.")]
    if action in (Action.REJECT, Action.REQUEST_CHANGES, Action.APPEAL_DISMISSED) and not statement:
        errors["statement"] = [_("Write the statement of reasons that the author will read.")]
    if errors:
        raise ValidationError(errors, code="reason_required")


@transaction.atomic
def idea_moderate(*, idea: Idea, by, action, reason_code: str = "", statement: str = "",
                  duplicate_of: Idea | None = None) -> Idea:
    """A moderator publishes, rejects (with a reason code and a statement of reasons) or asks
    for changes. Rejecting a published idea hides it; its open reports are resolved."""
    _require(by, "ideas.moderate", idea)
    idea = _locked(idea)
    if action not in MODERATION_TRANSITIONS:
        raise ValueError(f"not a moderation decision: {action}")
    allowed_from, to_state = MODERATION_TRANSITIONS[action]
    if idea.moderation not in allowed_from:
        raise ValidationError(
            _("This is not possible now: the idea is %(state)s."),
            params={"state": idea.get_moderation_display()}, code="invalid_transition",
        )
    statement = (statement or "").strip()
    if action != Action.REJECT:
        reason_code, duplicate_of = "", None
    _check_reason(action=action, reason_code=reason_code, statement=statement,
                  duplicate_of=duplicate_of)
    if duplicate_of is not None and duplicate_of.pk == idea.pk:
        raise _field_error("duplicate_of", _("An idea cannot duplicate itself."), "self_duplicate")
    from_state = idea.moderation
    idea.moderation = to_state
    if to_state == Moderation.PUBLISHED:
        idea.published_at = idea.published_at or timezone.now()
    idea.save()
    _reports_resolve(idea=idea, comment=None)
    if to_state == Moderation.REJECTED:
        _comment_reports_resolve(idea=idea)
    event = _event(idea=idea, action=action, by=by, from_state=from_state, to_state=to_state,
                   reason_code=reason_code, text=statement, duplicate_of=duplicate_of)
    _notify_author_of_decision(idea=idea, event=event)
    return idea


@transaction.atomic
def idea_appeal(*, idea: Idea, by, text: str) -> Appeal:
    """The author appeals a rejection, once."""
    idea = _locked(idea)
    _require_author(by, idea)
    text = (text or "").strip()
    if idea.moderation != Moderation.REJECTED:
        raise ValidationError(_("Only a rejected idea can be appealed."), code="not_rejected")
    if Appeal.objects.filter(idea=idea).exists():
        raise ValidationError(_("You have already appealed this decision."),
                              code="already_appealed")
    if not text:
        raise _field_error("text", _("Explain why the decision should change."), "text_required")
    rejection = (idea.events.filter(action=Action.REJECT, comment__isnull=True)
                 .order_by("-created_at", "-pk").first())
    appeal = Appeal(idea=idea, text=text, rejected_by=rejection.by if rejection else None)
    appeal.full_clean()
    appeal.save()
    idea.moderation = Moderation.APPEALED
    idea.save(update_fields=["moderation", "updated_at"])
    _event(idea=idea, action=Action.APPEAL, by=by, from_state=Moderation.REJECTED,
           to_state=Moderation.APPEALED, text=text)
    return appeal


@transaction.atomic
def idea_appeal_decide(*, idea: Idea, by, uphold: bool, statement: str = "",
                       reason_code: str = "", duplicate_of: Idea | None = None) -> Idea:
    """A moderator other than the one who rejected decides the appeal: uphold (publish) or
    dismiss (rejected for good, with a reason code and a statement; `duplicate_of` when the
    reason is "duplicate")."""
    idea = _locked(idea)
    appeal = Appeal.objects.select_for_update().filter(idea=idea).first()
    if appeal is None:
        raise ValidationError(_("This idea has no appeal to decide."), code="no_appeal")
    if appeal.rejected_by_id is not None and appeal.rejected_by_id == by.pk:
        raise PermissionDenied(_("A different moderator decides the appeal."))
    _require(by, "ideas.decide_appeal", idea)
    if idea.moderation != Moderation.APPEALED or appeal.decided_at is not None:
        raise ValidationError(_("This appeal has already been decided."), code="decided")
    statement = (statement or "").strip()
    action = Action.APPEAL_UPHELD if uphold else Action.APPEAL_DISMISSED
    if uphold or reason_code != ReasonCode.DUPLICATE:
        duplicate_of = None
    if uphold:
        reason_code = ""
    _check_reason(action=action, reason_code=reason_code, statement=statement,
                  duplicate_of=duplicate_of)
    if duplicate_of is not None and duplicate_of.pk == idea.pk:
        raise _field_error("duplicate_of", _("An idea cannot duplicate itself."), "self_duplicate")
    to_state = Moderation.PUBLISHED if uphold else Moderation.REJECTED
    appeal.decided_at = timezone.now()
    appeal.upheld = uphold
    appeal.save(update_fields=["decided_at", "upheld"])
    idea.moderation = to_state
    if uphold:
        idea.published_at = idea.published_at or timezone.now()
    idea.save()
    event = _event(idea=idea, action=action, by=by, from_state=Moderation.APPEALED,
                   to_state=to_state, reason_code=reason_code, text=statement,
                   duplicate_of=duplicate_of)
    _notify_author_of_decision(idea=idea, event=event)
    return idea


def _notify_author_of_decision(*, idea: Idea, event: IdeaEvent) -> None:
    from portal.core.services import notification_send

    if idea.author_id is None:
        return
    titles = {
        Action.PUBLISH: _("Your idea has been published"),
        Action.REJECT: _("Your idea has not been published"),
        Action.REQUEST_CHANGES: _("Please change your idea"),
        Action.APPEAL_UPHELD: _("Your appeal has been upheld: your idea is published"),
        Action.APPEAL_DISMISSED: _("Your appeal has been dismissed"),
    }
    notification_send(
        recipient=idea.author, kind=f"idea_{event.action}",
        title=f"{titles[event.action]}: {idea.title}", body=event.text,
        url=idea.get_absolute_url(),
    )


# --- comments ---------------------------------------------------------------------------------


@transaction.atomic
def comment_create(*, idea: Idea, author, body: str, parent: Comment | None = None) -> Comment:
    """A comment on a published idea, or a reply to a top-level comment. Post-moderated
    themes publish it at once; pre-moderated ones send it to the queue."""
    _require(author, "ideas.comment_on_idea", idea)
    idea = _locked(idea)
    if not idea.is_public:
        raise ValidationError(_("You can only respond to a published idea."),
                              code="idea_not_public")
    if parent is not None:
        if parent.idea_id != idea.pk:
            raise ValidationError(_("That comment belongs to another idea."), code="wrong_idea")
        if parent.parent_id is not None:
            raise ValidationError(_("You can only reply to a comment, not to a reply."),
                                  code="reply_depth")
        if not parent.is_public:
            raise ValidationError(_("This comment cannot be replied to."), code="parent_hidden")
    body = (body or "").strip()
    by_municipality = author.groups.filter(name=CIVIL_SERVANT).exists()
    comment = Comment(
        idea=idea, parent=parent, author=author, body=body, by_municipality=by_municipality,
        show_author_name=consent_has(user=author, purpose_code=AUTHOR_NAME_PURPOSE),
    )
    _idea_mode, comment_mode = theme_moderation(idea.theme)
    comment.moderation = (
        Moderation.PUBLISHED if comment_mode == ModerationMode.POST or by_municipality
        else Moderation.PENDING
    )
    if not body:
        raise _field_error("body", _("Write a comment first."), "empty")
    comment.full_clean()
    comment.save()
    if comment.is_public:
        Idea.objects.filter(pk=idea.pk).update(comment_count=F("comment_count") + 1)
    return comment


@transaction.atomic
def comment_moderate(*, comment: Comment, by, action, reason_code: str = "",
                     statement: str = "") -> Comment:
    """Publish a pending comment, or reject (hide) a pending or published one."""
    _require(by, "ideas.moderate", comment.idea)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if action not in COMMENT_DECISIONS:
        raise ValueError(f"not a comment decision: {action}")
    allowed_from, to_state = MODERATION_TRANSITIONS[action]
    if comment.moderation not in allowed_from:
        raise ValidationError(
            _("This is not possible now: the comment is %(state)s."),
            params={"state": comment.get_moderation_display()}, code="invalid_transition",
        )
    statement = (statement or "").strip()
    if action == Action.PUBLISH:
        reason_code = ""
    _check_reason(action=action, reason_code=reason_code, statement=statement, duplicate_of=None)
    from_state = comment.moderation
    comment.moderation = to_state
    comment.save(update_fields=["moderation"])
    delta = 1 if to_state == Moderation.PUBLISHED else (-1 if from_state == Moderation.PUBLISHED
                                                        else 0)
    if delta:
        Idea.objects.filter(pk=comment.idea_id).update(
            comment_count=Greatest(F("comment_count") + delta, 0)
        )
    _reports_resolve(idea=comment.idea, comment=comment)
    _event(idea=comment.idea, comment=comment, action=action, by=by, from_state=from_state,
           to_state=to_state, reason_code=reason_code, text=statement)
    return comment


# --- reports ----------------------------------------------------------------------------------


@transaction.atomic
def report_create(*, reporter, idea: Idea, comment: Comment | None = None, reason_code: str,
                  explanation: str = "") -> Report:
    """Anyone logged in reports a published idea or comment once; it goes back to the queue."""
    _require(reporter, "ideas.report_content", idea)
    if comment is not None and comment.idea_id != idea.pk:
        raise ValidationError(_("That comment belongs to another idea."), code="wrong_idea")
    target = comment or idea
    if not idea.is_public or not target.is_public:
        raise ValidationError(_("Only published content can be reported."), code="not_public")
    if reason_code not in ReasonCode.values:
        raise _field_error("reason_code", _("Choose a reason from the list."), "invalid_reason")
    report = Report(idea=idea, comment=comment, reporter=reporter, reason_code=reason_code,
                    explanation=(explanation or "").strip())
    report.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as error:
        raise ValidationError(_("You have already reported this."), code="already_reported") \
            from error
    type(target).objects.filter(pk=target.pk).update(open_report_count=F("open_report_count") + 1)
    return report


def _reports_resolve(*, idea: Idea, comment: Comment | None) -> int:
    reports = Report.objects.filter(idea=idea, comment=comment, resolved_at__isnull=True)
    resolved = reports.update(resolved_at=timezone.now())
    target = comment or idea
    type(target).objects.filter(pk=target.pk).update(open_report_count=0)
    return resolved


def _comment_reports_resolve(*, idea: Idea) -> None:
    """A hidden idea hides its discussion too: reports on its comments need no decision."""
    Report.objects.filter(idea=idea, comment__isnull=False, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    Comment.objects.filter(idea=idea, open_report_count__gt=0).update(open_report_count=0)


@transaction.atomic
def reports_dismiss(*, idea: Idea, by, comment: Comment | None = None) -> int:
    """The moderator keeps the reported idea or comment online; its reports are resolved."""
    _require(by, "ideas.moderate", idea)
    resolved = _reports_resolve(idea=idea, comment=comment)
    if resolved:
        _event(idea=idea, comment=comment, action=Action.REPORTS_DISMISSED, by=by,
               text=_("%(count)s report(s): kept online.") % {"count": resolved})
    return resolved


# --- support and following --------------------------------------------------------------------


@transaction.atomic
def idea_support(*, idea: Idea, user) -> Support:
    """A verified resident supports a published idea; once (a second time changes nothing)."""
    _require_rule(user, "ideas.support_idea", idea)
    idea = _locked(idea)
    if not idea.is_public:
        raise ValidationError(_("Only a published idea can be supported."), code="not_public")
    support, created = Support.objects.get_or_create(idea=idea, user=user)
    if created:
        Idea.objects.filter(pk=idea.pk).update(support_count=F("support_count") + 1)
    return support


@transaction.atomic
def idea_support_withdraw(*, idea: Idea, user) -> bool:
    deleted, _rows = Support.objects.filter(idea=idea, user=user).delete()
    if deleted:
        Idea.objects.filter(pk=idea.pk).update(support_count=Greatest(F("support_count") - 1, 0))
    return bool(deleted)


@transaction.atomic
def idea_follow(*, idea: Idea, user) -> Follow:
    _require(user, "ideas.follow_idea", idea)
    if not idea.is_public:
        raise ValidationError(_("Only a published idea can be followed."), code="not_public")
    follow, _created = Follow.objects.get_or_create(idea=idea, user=user)
    return follow


@transaction.atomic
def idea_unfollow(*, idea: Idea, user) -> bool:
    deleted, _rows = Follow.objects.filter(idea=idea, user=user).delete()
    return bool(deleted)


# --- the municipality's answer ----------------------------------------------------------------


@transaction.atomic
def idea_status_change(*, idea: Idea, by, status: str, answer: str) -> IdeaEvent:
    """A civil servant moves a published idea on, with the official answer that is shown on the
    idea and sent (Celery) to the author, the supporters and the followers."""
    _require(by, "ideas.change_idea_status", idea)
    idea = _locked(idea)
    if not idea.is_public:
        raise ValidationError(_("Only a published idea gets a status."), code="not_public")
    if status not in STATUS_TRANSITIONS:
        raise _field_error("status", _("Choose a status from the list."), "invalid_status")
    if idea.status not in STATUS_TRANSITIONS[status]:
        raise ValidationError(
            _("From %(from)s the idea cannot become %(to)s."),
            params={"from": idea.get_status_display(), "to": Status(status).label},
            code="invalid_transition",
        )
    answer = (answer or "").strip()
    if not answer:
        raise _field_error("answer", _("Write the official answer."), "answer_required")
    from_status = idea.status
    idea.status = status
    idea.status_changed_at = timezone.now()
    idea.save(update_fields=["status", "status_changed_at", "updated_at"])
    event = _event(idea=idea, action=Action.STATUS, by=by, from_state=from_status,
                   to_state=status, text=answer)
    event_id = event.pk
    from portal.ideas.tasks import idea_status_notify_task

    transaction.on_commit(lambda: idea_status_notify_task.delay(event_id))
    return event


STATUS_NOTIFY_KIND = "idea_status_changed"


def idea_status_notify(*, event: IdeaEvent) -> int:
    """Notify the author, supporters and followers of a status change: one notification per
    person (e-mail per their preference). Idempotent: a redelivered task notifies nobody twice.
    Returns the number of notifications sent."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from portal.core.models import Notification
    from portal.core.services import notification_send

    idea = event.idea
    url = reverse("ideas:detail", kwargs={"public_id": idea.public_id}) + f"#event-{event.pk}"
    already = Notification.objects.filter(kind=STATUS_NOTIFY_KIND, url=url).values("recipient")
    people = (
        get_user_model().objects
        .filter(Q(pk=idea.author_id) | Q(idea_supports__idea=idea) | Q(idea_follows__idea=idea),
                is_active=True)
        .exclude(pk__in=already).distinct().order_by("pk")
    )
    title = _("New status for the idea \"%(title)s\": %(status)s") % {
        "title": idea.title, "status": Status(event.to_state).label,
    }
    sent = 0
    for person in people:
        notification_send(recipient=person, kind=STATUS_NOTIFY_KIND, title=title,
                          body=event.text, url=url)
        sent += 1
    return sent


@transaction.atomic
def idea_link_add(*, idea: Idea, by, pilot=None, algorithm=None, challenge=None,
                  note: str = "") -> IdeaLink:
    """"You said, we did": link a published idea to the pilot, algorithm or challenge it led
    to. A challenge must be public (no longer a draft): the idea's page links to it."""
    _require(by, "ideas.link_idea", idea)
    if not idea.is_public:
        raise ValidationError(_("Only a published idea can be linked."), code="not_public")
    if [pilot, algorithm, challenge].count(None) != 2:
        raise ValidationError(_("Link to one pilot, algorithm or challenge."),
                              code="one_target")
    if challenge is not None and not challenge.is_public:
        raise ValidationError(_("Only a published challenge can be linked."),
                              code="challenge_not_public")
    link = IdeaLink(idea=idea, pilot=pilot, algorithm=algorithm, challenge=challenge,
                    note=(note or "").strip(), created_by=by)
    link.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as error:
        raise ValidationError(_("This idea is already linked to it."), code="already_linked") \
            from error
    _event(idea=idea, action=Action.LINK, by=by, text=link.note or str(link.target))
    return link


# --- images -----------------------------------------------------------------------------------

IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_COUNT = 3
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_MAX_SIDE = 2000
# Pillow format -> (extension, content type); anything else is refused.
IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
                 "WEBP": ("webp", "image/webp")}


def _image_reencoded(upload) -> tuple[bytes, str, int, int]:
    """Check an upload by its content (not its name) and re-encode it, which drops EXIF data
    such as GPS positions. Returns (bytes, Pillow format, width, height)."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size > IMAGE_MAX_BYTES:
        raise _field_error("image", _("The image is too large: at most %(mb)s MB.") % {
                "mb": IMAGE_MAX_BYTES // (1024 * 1024)}, "too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            image_format = probe.format
            if probe.width * probe.height > IMAGE_MAX_PIXELS:
                raise _field_error("image", _("The image has too many pixels."), "too_many_pixels")
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
            if image_format not in IMAGE_FORMATS:
                raise _field_error("image", _("Upload a JPEG, PNG or WebP image."), "invalid_type")
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format=image_format)
            return out.getvalue(), image_format, image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as error:
        raise _field_error("image", _("This file is not an image we can read."),
                           "invalid_image") from error


@transaction.atomic
def idea_image_add(*, idea: Idea, by, upload, alt_text: str):
    """The author adds an image (JPEG, PNG or WebP; at most 5 MB and 3 per idea)."""
    from django.core.files.base import ContentFile

    from portal.ideas.models import IdeaImage

    idea = _locked(idea)
    _require_author(by, idea)
    _require_rule(by, "ideas.change_idea", idea)
    alt_text = (alt_text or "").strip()
    if not alt_text:
        raise _field_error("alt_text", _("Describe the image for people who cannot see "
                                              "it."), "alt_required")
    if idea.images.count() >= IMAGE_MAX_COUNT:
        raise _field_error("image", _("An idea has at most %(count)s images.") % {
            "count": IMAGE_MAX_COUNT}, "too_many")
    data, image_format, width, height = _image_reencoded(upload)
    extension, content_type = IMAGE_FORMATS[image_format]
    image = IdeaImage(idea=idea, alt_text=alt_text, extension=extension,
                      content_type=content_type, width=width, height=height)
    image.full_clean(exclude=["file"])
    image.file.save(f"image.{extension}", ContentFile(data), save=False)
    image.save()
    return image


@transaction.atomic
def idea_image_delete(*, image, by) -> None:
    idea = _locked(image.idea)
    _require_author(by, idea)
    _require_rule(by, "ideas.change_idea", idea)
    stored = image.file.name
    image.delete()
    transaction.on_commit(lambda: image.file.storage.delete(stored))

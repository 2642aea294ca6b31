"""Pages for moderators (the queue, decisions on ideas and comments), the public moderation
statistics, and the civil servants' pages (status with the official answer, "you said, we did"
links). Permissions come from rules.py; every write goes through services.py."""

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Count, Prefetch, Q, Value, When
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challenges.models import Challenge
from portal.core.forms import apply_validation_error
from portal.core.text import render_simple_text
from portal.ideas import moderation_forms as forms
from portal.ideas import selectors, services
from portal.ideas.models import (
    Appeal,
    Comment,
    Idea,
    IdeaEvent,
    Moderation,
    ModerationMode,
    ReasonCode,
    Report,
    Status,
    Theme,
    ThemeSettings,
)
from registry import selectors as registry_selectors
from registry.models import Pilot

Action = IdeaEvent.Action

QUEUE_PAGE_SIZE = 25
STATISTICS_MONTHS = 12

ROLE_LABELS = {
    "resident": gettext_lazy("Resident"),
    "moderator": gettext_lazy("Moderator"),
    "civil_servant": gettext_lazy("Municipality"),
    "admin": gettext_lazy("Administrator"),
}


def _staff_only(permission: str):
    """Visitors go to the login page; logged-in people without the permission get a 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- the queue --------------------------------------------------------------------------------

_REPORTED = Q(moderation=Moderation.PUBLISHED, open_report_count__gt=0)

# kind -> (label, "ideas" or "comments", condition on the queue's queryset)
QUEUE_KINDS = {
    "pending": (gettext_lazy("Ideas awaiting moderation"), "ideas",
                Q(moderation=Moderation.PENDING)),
    "appeals": (gettext_lazy("Appeals"), "ideas", Q(moderation=Moderation.APPEALED)),
    "reported": (gettext_lazy("Reported ideas"), "ideas", _REPORTED),
    "pending_comments": (gettext_lazy("Comments awaiting moderation"), "comments",
                         Q(moderation=Moderation.PENDING)),
    "reported_comments": (gettext_lazy("Reported comments"), "comments", _REPORTED),
}
ROW_LABELS = {
    "pending": gettext_lazy("Awaiting moderation"),
    "appeals": gettext_lazy("Appeal"),
    "reported": gettext_lazy("Reported"),
    "pending_comments": gettext_lazy("Awaiting moderation"),
    "reported_comments": gettext_lazy("Reported"),
}


def _open_reports(*, comments: bool) -> Prefetch:
    reports = Report.objects.filter(resolved_at__isnull=True).order_by("created_at", "pk")
    if not comments:
        reports = reports.filter(comment__isnull=True)
    return Prefetch("reports", queryset=reports, to_attr="open_reports")


def _reasons(reports) -> list[dict]:
    """Open reports summed up per reason, most frequent first."""
    labels = dict(ReasonCode.choices)
    counts = Counter(report.reason_code for report in reports)
    return [{"label": labels.get(code, code), "count": count}
            for code, count in counts.most_common()]


def _idea_row(idea: Idea) -> dict:
    reports = idea.open_reports
    if idea.moderation == Moderation.APPEALED:
        kind = "appeals"
        appeal = getattr(idea, "appeal", None)
        since = appeal.created_at if appeal else idea.updated_at
    elif idea.moderation == Moderation.PUBLISHED:
        kind = "reported"
        since = reports[0].created_at if reports else idea.updated_at
    else:
        kind = "pending"
        since = idea.submitted_at or idea.created_at
    return {"idea": idea, "kind": kind, "label": ROW_LABELS[kind], "since": since,
            "report_count": len(reports), "reasons": _reasons(reports)}


def _comment_row(comment: Comment) -> dict:
    reports = comment.open_reports
    if comment.moderation == Moderation.PENDING:
        kind, since = "pending_comments", comment.created_at
    else:
        kind = "reported_comments"
        since = reports[0].created_at if reports else comment.created_at
    return {"comment": comment, "kind": kind, "label": ROW_LABELS[kind], "since": since,
            "report_count": len(reports), "reasons": _reasons(reports)}


@_staff_only("ideas.moderate")
def moderation_queue(request):
    kind = request.GET.get("kind", "")
    if kind not in QUEUE_KINDS:
        kind = ""
    ideas = selectors.moderation_queue_ideas()
    comments = selectors.moderation_queue_comments()
    counts = ideas.aggregate(**{
        key: Count("pk", filter=condition)
        for key, (_label, target, condition) in QUEUE_KINDS.items() if target == "ideas"
    })
    counts.update(comments.aggregate(**{
        key: Count("pk", filter=condition)
        for key, (_label, target, condition) in QUEUE_KINDS.items() if target == "comments"
    }))

    idea_page = comment_page = None
    target = QUEUE_KINDS[kind][1] if kind else ""
    if target in ("", "ideas"):
        if kind:
            ideas = ideas.filter(QUEUE_KINDS[kind][2])
        ideas = ideas.prefetch_related(_open_reports(comments=False))
        idea_page = Paginator(ideas, QUEUE_PAGE_SIZE).get_page(request.GET.get("ideas_page"))
    if target in ("", "comments"):
        if kind:
            comments = comments.filter(QUEUE_KINDS[kind][2])
        comments = comments.prefetch_related(_open_reports(comments=True))
        comment_page = Paginator(comments, QUEUE_PAGE_SIZE).get_page(
            request.GET.get("comments_page"))

    return render(request, "ideas/moderation/queue.html", {
        "kind": kind,
        "kind_label": QUEUE_KINDS[kind][0] if kind else "",
        "kinds": [{"key": key, "label": label, "count": counts[key], "current": key == kind}
                  for key, (label, _target, _condition) in QUEUE_KINDS.items()],
        "total": sum(counts.values()),
        "idea_page": idea_page,
        "idea_rows": [_idea_row(idea) for idea in idea_page] if idea_page else [],
        "comment_page": comment_page,
        "comment_rows": [_comment_row(comment) for comment in comment_page]
        if comment_page else [],
    })


# --- deciding on an idea ----------------------------------------------------------------------


def _timeline(events, idea: Idea) -> list[dict]:
    """The full timeline, as the moderators see it (roles, not names, of who decided)."""
    rows = []
    for event in events:
        role = ROLE_LABELS.get(event.by_role, "")
        if event.by_role == "resident" and event.by_id and event.by_id == idea.author_id:
            role = _("Author")
        elif not event.by_role and event.by_id is None and event.action == Action.PUBLISH:
            role = _("Automatically (post-moderation)")
        rows.append({
            "event": event,
            "role": role,
            "reason": event.get_reason_code_display() if event.reason_code else "",
            "new_status": Status(event.to_state).label
            if event.action == Action.STATUS and event.to_state in Status.values else "",
        })
    return rows


def _idea_decisions(idea: Idea) -> dict:
    labels = forms.DECISION_LABELS
    if idea.moderation == Moderation.PENDING:
        return {key: labels[key] for key in (forms.PUBLISH, forms.REQUEST_CHANGES, forms.REJECT)}
    if idea.moderation == Moderation.PUBLISHED:
        decisions = {}
        if idea.open_report_count:
            decisions[forms.DISMISS_REPORTS] = labels[forms.DISMISS_REPORTS]
        decisions[forms.REJECT] = forms.HIDE_LABEL
        return decisions
    return {}


SUCCESS_MESSAGES = {
    forms.PUBLISH: gettext_lazy("“%(title)s” has been published."),
    forms.REQUEST_CHANGES: gettext_lazy("The author of “%(title)s” has been asked for changes."),
    forms.REJECT: gettext_lazy("“%(title)s” has been rejected. The author has been told why."),
    forms.DISMISS_REPORTS: gettext_lazy("The reports have been dismissed: “%(title)s” stays "
                                        "online."),
    forms.UPHOLD: gettext_lazy("The appeal has been upheld: “%(title)s” has been published."),
    forms.DISMISS: gettext_lazy("The appeal has been dismissed: “%(title)s” stays rejected."),
}


def _last_rejection(events):
    rejection = None
    for event in events:
        if event.comment_id is None and event.action == Action.REJECT:
            rejection = event
    return rejection


@_staff_only("ideas.moderate")
def moderate_idea(request, public_id):
    idea = get_object_or_404(
        Idea.objects.select_related("author", "neighbourhood"), public_id=public_id,
    )
    appeal = Appeal.objects.filter(idea=idea).first()
    events = list(selectors.idea_visible_events(idea=idea, full=True))
    rejection = _last_rejection(events)

    appeal_open = (idea.moderation == Moderation.APPEALED and appeal is not None
                   and appeal.decided_at is None)
    own_rejection = appeal_open and appeal.rejected_by_id == request.user.pk
    if appeal_open:
        decisions = {key: forms.DECISION_LABELS[key] for key in (forms.UPHOLD, forms.DISMISS)}
    else:
        decisions = _idea_decisions(idea)
    if own_rejection:
        decisions = {}

    initial = {}
    if appeal_open and rejection is not None:
        # Dismissing the appeal keeps the rejection: start from its reason.
        initial = {"reason_code": rejection.reason_code,
                   "duplicate_of": rejection.duplicate_of.get_absolute_url()
                   if rejection.duplicate_of else ""}

    status = 200
    form = forms.IdeaDecisionForm(decisions=decisions, initial=initial) if decisions else None
    if request.method == "POST":
        if own_rejection:
            raise PermissionDenied(_("A different moderator decides the appeal."))
        if not decisions:
            messages.error(request, _("There is nothing to decide on this idea now."))
            return redirect("ideas:moderate-idea", public_id=idea.public_id)
        form = forms.IdeaDecisionForm(request.POST, decisions=decisions)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            reasons = {"reason_code": form.cleaned_data["reason_code"],
                       "statement": form.cleaned_data["statement"]}
            try:
                if decision == forms.DISMISS_REPORTS:
                    services.reports_dismiss(idea=idea, by=request.user)
                elif decision in (forms.UPHOLD, forms.DISMISS):
                    services.idea_appeal_decide(
                        idea=idea, by=request.user, uphold=decision == forms.UPHOLD,
                        duplicate_of=form.cleaned_data["duplicate_of"], **reasons,
                    )
                else:
                    services.idea_moderate(
                        idea=idea, by=request.user, action=decision,
                        duplicate_of=form.cleaned_data["duplicate_of"], **reasons,
                    )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, SUCCESS_MESSAGES[decision] % {"title": idea.title})
                return redirect("ideas:queue")
        status = 400

    return render(request, "ideas/moderation/idea.html", {
        "idea": idea,
        "body_html": render_simple_text(idea.body),
        "images": list(idea.images.all()),
        "reports": list(idea.reports.filter(comment__isnull=True, resolved_at__isnull=True)
                        .order_by("created_at", "pk")),
        "timeline": _timeline(events, idea),
        "appeal": appeal,
        "appeal_open": appeal_open,
        "own_rejection": own_rejection,
        "rejection": rejection,
        "form": form,
    }, status=status)


# --- deciding on a comment --------------------------------------------------------------------


def _comment_decisions(comment: Comment) -> dict:
    labels = forms.DECISION_LABELS
    if comment.moderation == Moderation.PENDING:
        return {forms.PUBLISH: labels[forms.PUBLISH], forms.REJECT: labels[forms.REJECT]}
    if comment.moderation == Moderation.PUBLISHED:
        decisions = {}
        if comment.open_report_count:
            decisions[forms.DISMISS_REPORTS] = labels[forms.DISMISS_REPORTS]
        decisions[forms.REJECT] = forms.HIDE_LABEL
        return decisions
    return {}


COMMENT_SUCCESS_MESSAGES = {
    forms.PUBLISH: gettext_lazy("The comment has been published."),
    forms.REJECT: gettext_lazy("The comment has been hidden. Its author has been told why."),
    forms.DISMISS_REPORTS: gettext_lazy("The reports have been dismissed: the comment stays "
                                        "online."),
}


@_staff_only("ideas.moderate")
def moderate_comment(request, public_id):
    comment = get_object_or_404(
        Comment.objects.select_related("idea", "parent", "author"), public_id=public_id,
    )
    decisions = _comment_decisions(comment)
    status = 200
    form = forms.DecisionForm(decisions=decisions, with_duplicate=False) if decisions else None
    if request.method == "POST":
        if not decisions:
            messages.error(request, _("There is nothing to decide on this comment now."))
            return redirect("ideas:moderate-comment", public_id=comment.public_id)
        form = forms.DecisionForm(request.POST, decisions=decisions, with_duplicate=False)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            try:
                if decision == forms.DISMISS_REPORTS:
                    services.reports_dismiss(idea=comment.idea, comment=comment, by=request.user)
                else:
                    services.comment_moderate(
                        comment=comment, by=request.user, action=decision,
                        reason_code=form.cleaned_data["reason_code"],
                        statement=form.cleaned_data["statement"],
                    )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, COMMENT_SUCCESS_MESSAGES[decision])
                return redirect("ideas:queue")
        status = 400

    events = IdeaEvent.objects.filter(comment=comment).order_by("created_at", "pk")
    return render(request, "ideas/moderation/comment.html", {
        "comment": comment,
        "idea": comment.idea,
        "body_html": render_simple_text(comment.body),
        "parent_html": render_simple_text(comment.parent.body) if comment.parent else "",
        "reports": list(comment.reports.filter(resolved_at__isnull=True)
                        .order_by("created_at", "pk")),
        "timeline": _timeline(events, comment.idea),
        "form": form,
    }, status=status)


# --- public statistics ------------------------------------------------------------------------

IDEA_COLUMNS = [
    (Action.PUBLISH, gettext_lazy("Published")),
    (Action.REQUEST_CHANGES, gettext_lazy("Changes requested")),
    (Action.REJECT, gettext_lazy("Rejected or hidden")),
    (Action.REPORTS_DISMISSED, gettext_lazy("Reports dismissed")),
]
COMMENT_COLUMNS = [
    (Action.PUBLISH, gettext_lazy("Published")),
    (Action.REJECT, gettext_lazy("Hidden")),
    (Action.REPORTS_DISMISSED, gettext_lazy("Reports dismissed")),
]
APPEAL_COLUMNS = [
    (Action.APPEAL, gettext_lazy("Appeals lodged")),
    (Action.APPEAL_UPHELD, gettext_lazy("Upheld")),
    (Action.APPEAL_DISMISSED, gettext_lazy("Dismissed")),
]


def _month_starts(now: dt.datetime, count: int) -> list[dt.date]:
    """The first days of the last `count` months (the current one included), newest first."""
    year, month = now.year, now.month
    months = []
    for _number in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _table(months, counts, columns, *, key) -> dict:
    """Rows per month (newest first) with a total per row and per column."""
    rows = []
    for month in months:
        cells = [counts.get((month, key, action), 0) for action, _label in columns]
        rows.append({"month": month, "cells": cells, "total": sum(cells)})
    totals = [sum(row["cells"][index] for row in rows) for index in range(len(columns))]
    return {"columns": [label for _action, label in columns], "rows": rows, "totals": totals,
            "total": sum(totals)}


def moderation_statistics_data(*, now: dt.datetime | None = None) -> dict:
    """Moderation decisions of the last 12 months per month (Europe/Amsterdam): one query."""
    amsterdam = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    now = timezone.localtime(now or timezone.now(), amsterdam)
    months = _month_starts(now, STATISTICS_MONTHS)
    start = dt.datetime.combine(months[-1], dt.time.min, tzinfo=amsterdam)
    next_month = months[0].replace(year=months[0].year + months[0].month // 12,
                                   month=months[0].month % 12 + 1)
    end = dt.datetime.combine(next_month, dt.time.min, tzinfo=amsterdam)
    rows = (
        IdeaEvent.objects
        .filter(created_at__gte=start, created_at__lt=end,
                action__in=[*IdeaEvent.MODERATION_DECISIONS, Action.APPEAL])
        .annotate(
            month=TruncMonth("created_at", tzinfo=amsterdam),
            # Published at once in a post-moderated theme: nobody decided.
            automatic=Case(When(action=Action.PUBLISH, by__isnull=True, by_role="",
                                then=Value(True)),
                           default=Value(False), output_field=BooleanField()),
            on_comment=Case(When(comment__isnull=False, then=Value(True)),
                            default=Value(False), output_field=BooleanField()),
        )
        .values("month", "action", "reason_code", "automatic", "on_comment")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = defaultdict(int)
    reasons = defaultdict(int)
    automatic = 0
    for row in rows:
        month = timezone.localtime(row["month"], amsterdam).date() \
            if isinstance(row["month"], dt.datetime) else row["month"]
        if row["automatic"]:
            automatic += row["count"]
            continue
        target = "comment" if row["on_comment"] else "idea"
        if row["action"] in (Action.APPEAL, Action.APPEAL_UPHELD, Action.APPEAL_DISMISSED):
            target = "appeal"
        counts[(month, target, row["action"])] += row["count"]
        if row["action"] == Action.REJECT:
            reasons[(month, "reason", row["reason_code"])] += row["count"]
    reason_columns = [(code, label) for code, label in ReasonCode.choices]
    return {
        "months": months,
        "ideas": _table(months, counts, IDEA_COLUMNS, key="idea"),
        "comments": _table(months, counts, COMMENT_COLUMNS, key="comment"),
        "appeals": _table(months, counts, APPEAL_COLUMNS, key="appeal"),
        "reasons": _table(months, reasons, reason_columns, key="reason"),
        "automatic": automatic,
    }


def moderation_statistics(request):
    settings_by_theme = {row.theme: row for row in ThemeSettings.objects.all()}
    themes = []
    for value, label in Theme.choices:
        row = settings_by_theme.get(value)
        themes.append({
            "label": label,
            "ideas_pre": (row.idea_moderation if row else ModerationMode.PRE)
            == ModerationMode.PRE,
            "comments_pre": (row.comment_moderation if row else ModerationMode.POST)
            == ModerationMode.PRE,
        })
    return render(request, "ideas/moderation/statistics.html", {
        **moderation_statistics_data(),
        "themes": themes,
        "reason_labels": [label for _value, label in ReasonCode.choices],
    })


# --- the municipality's answer ----------------------------------------------------------------


def _allowed_statuses(idea: Idea) -> list[tuple[str, str]]:
    if not idea.is_public:
        return []
    return [(status, Status(status).label)
            for status, allowed_from in services.STATUS_TRANSITIONS.items()
            if idea.status in allowed_from]


@_staff_only("ideas.change_idea_status")
def idea_status(request, public_id):
    idea = get_object_or_404(Idea.objects.select_related("neighbourhood"), public_id=public_id)
    statuses = _allowed_statuses(idea)
    form = forms.StatusForm(statuses=statuses)
    status = 200
    if request.method == "POST":
        form = forms.StatusForm(request.POST, statuses=statuses)
        if form.is_valid():
            try:
                services.idea_status_change(idea=idea, by=request.user,
                                            status=form.cleaned_data["status"],
                                            answer=form.cleaned_data["answer"])
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _(
                    "The status has been changed. The author, the supporters and the "
                    "followers will get the official answer."
                ))
                return redirect(idea.get_absolute_url())
        status = 400
    answers = (idea.events.filter(action=Action.STATUS).select_related(None)
               .order_by("-created_at", "-pk"))
    return render(request, "ideas/staff/status.html", {
        "idea": idea,
        "form": form if statuses else None,
        "answers": [{"event": event, "status": Status(event.to_state).label
                     if event.to_state in Status.values else event.to_state}
                    for event in answers],
    }, status=status)


# --- "you said, we did" -----------------------------------------------------------------------


def _link_targets(idea: Idea, links) -> dict[str, list]:
    """The public pilots, algorithms and challenges this idea is not linked to yet."""
    if not idea.is_public:
        return {"pilots": [], "algorithms": [], "challenges": []}
    linked = {(link.target_kind, getattr(link, f"{link.target_kind}_id")) for link in links}
    pilots = Pilot.objects.filter(state=Pilot.State.PUBLISHED).order_by("title", "pk")
    algorithms = registry_selectors.algorithm_public_list(include_withdrawn=False)
    challenges = Challenge.objects.public().order_by("title", "pk")
    return {
        "pilots": [pilot for pilot in pilots if ("pilot", pilot.pk) not in linked],
        "algorithms": [algorithm for algorithm in algorithms
                       if ("algorithm", algorithm.pk) not in linked],
        "challenges": [challenge for challenge in challenges
                       if ("challenge", challenge.pk) not in linked],
    }


@_staff_only("ideas.link_idea")
def idea_link(request, public_id):
    idea = get_object_or_404(Idea, public_id=public_id)
    links = list(idea.links.select_related("pilot", "algorithm__current_version", "challenge")
                 .order_by("created_at", "pk"))
    targets = _link_targets(idea, links)
    form = forms.LinkForm(**targets)
    status = 200
    if request.method == "POST":
        form = forms.LinkForm(request.POST, **targets)
        if form.is_valid():
            kind, target = form.cleaned_data["target"]
            try:
                services.idea_link_add(idea=idea, by=request.user, note=form.cleaned_data["note"],
                                       **{kind: target})
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The idea has been linked to “%(target)s”.")
                                 % {"target": target})
                return redirect(idea.get_absolute_url())
        status = 400
    return render(request, "ideas/staff/link.html", {
        "idea": idea,
        "links": links,
        "form": form if any(targets.values()) else None,
    }, status=status)

"""Public pages of challenges: the list (open first, with a countdown to the deadline), a
challenge (problem, criteria, timeline, amendments, questions and answers, and the result after
the jury decided), following, and asking a question. The civil servants' pages are in
staff_views.py, the proposal and jury pages in proposal_views.py (see urls.py).

Every page costs the same number of SQL queries however many challenges, criteria, events or
questions there are.
"""

import datetime as dt
from decimal import Decimal

import rules
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format, number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from challenges import selectors, services
from challenges.forms import ChallengeFilterForm, QuestionForm, sdg_label
from challenges.models import (
    Amendment,
    Challenge,
    ChallengeEvent,
    ChallengeFollow,
    Criterion,
    Proposal,
    Question,
)
from portal.accounts.models import Organisation
from portal.core.forms import apply_validation_error
from portal.core.ratelimit import RateLimited, rate_limit_check
from portal.core.text import plain_excerpt, render_simple_text

PAGE_SIZE = 20
EXCERPT_LENGTH = 240
QUESTION_RATE_LIMIT = "challenges.question"
Status = Challenge.Status

# The planned dates on the timeline, in order.
PLANNED_DATES = [
    ("opens_at", gettext_lazy("Opens for questions and proposals")),
    ("questions_deadline", gettext_lazy("Deadline for questions")),
    ("submission_deadline", gettext_lazy("Deadline for proposals")),
    ("jury_date", gettext_lazy("The jury assesses the proposals")),
    ("award_date", gettext_lazy("Award")),
]
TIMELINE_DATE_FIELDS = {name for name, _label in PLANNED_DATES}


# --- shared helpers -------------------------------------------------------------------------------


def challenge_for_viewer(request, slug) -> Challenge:
    """The challenge if this person may see it; 404 otherwise, so a draft does not reveal that
    it exists."""
    challenge = get_object_or_404(
        Challenge.objects.select_related("pilot", "awarded_proposal__organisation"), slug=slug,
    )
    if not request.user.has_perm("challenges.view_challenge", challenge):
        raise Http404
    return challenge


def public_challenge(slug) -> Challenge:
    return get_object_or_404(Challenge.objects.public(), slug=slug)


def countdown(deadline, now=None) -> str:
    """"12 days left", "5 hours left"... until a deadline; empty once it has passed."""
    now = now or timezone.now()
    if deadline is None or deadline < now:
        return ""
    remaining = deadline - now
    if remaining.days >= 1:
        return ngettext("%(count)s day left", "%(count)s days left",
                        remaining.days) % {"count": remaining.days}
    hours = remaining.seconds // 3600
    if hours >= 1:
        return ngettext("%(count)s hour left", "%(count)s hours left", hours) % {"count": hours}
    return _("less than an hour left")


def notice(request, *, heading, paragraphs, links=(), status=200):
    """A short page that explains why something cannot be done, and what can."""
    return render(request, "challenges/notice.html", {
        "heading": heading, "paragraphs": paragraphs, "links": links,
    }, status=status)


def messages_of(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# --- the list -------------------------------------------------------------------------------------


def _public_status_choices():
    return [(value, label) for value, label in Status.choices if value != Status.DRAFT]


def _list_rows(challenges, now) -> list[dict]:
    return [
        {
            "challenge": challenge,
            "excerpt": plain_excerpt(challenge.problem, EXCERPT_LENGTH),
            "countdown": countdown(challenge.submission_deadline, now)
            if challenge.status == Status.OPEN else "",
        }
        for challenge in challenges
    ]


@require_GET
def challenge_list(request):
    filter_form = ChallengeFilterForm(request.GET or None,
                                      status_choices=_public_status_choices())
    filters = filter_form.filters()
    challenges = selectors.challenges_public()
    if filters["theme"]:
        challenges = challenges.filter(theme=filters["theme"])
    if filters["status"]:
        challenges = challenges.filter(status=filters["status"])
    paginator = Paginator(challenges, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    user = request.user
    can_add = user.has_perm("challenges.add_challenge")
    return render(request, "challenges/challenge_list.html", {
        "filter_form": filter_form,
        "is_filtered": bool(filters["theme"] or filters["status"]),
        "page_obj": page_obj,
        "paginator": paginator,
        "is_paginated": page_obj.has_other_pages(),
        "query_string": query.urlencode(),
        "rows": _list_rows(page_obj.object_list, timezone.now()),
        "can_add": can_add,
        "drafts": list(Challenge.objects.filter(status=Status.DRAFT)
                       .only("slug", "title", "updated_at").order_by("-updated_at", "-pk"))
        if can_add else [],
        "show_organisation_link": bool(user.is_authenticated
                                       and user.memberships.exists()),
    })


# --- one challenge --------------------------------------------------------------------------------


def _timeline(challenge: Challenge, events, now) -> list[dict]:
    """Planned dates and what happened, in time order, with a marker for now."""
    rows = [
        {"kind": "planned", "at": getattr(challenge, name), "label": label,
         "past": getattr(challenge, name) <= now}
        for name, label in PLANNED_DATES if getattr(challenge, name) is not None
    ]
    rows += [
        {"kind": "event", "pk": event.pk, "at": event.at, "label": event.get_action_display(),
         "from_label": event.from_label if event.from_status != event.to_status else "",
         "to_label": event.to_label if event.from_status != event.to_status else "",
         "reason": event.reason, "by": event.by}
        for event in events
    ]
    rows.sort(key=lambda row: row["at"])
    position = next((index for index, row in enumerate(rows) if row["at"] > now), len(rows))
    rows.insert(position, {"kind": "today", "at": now})
    return rows


def _visible_events(challenge: Challenge, *, staff: bool):
    events = ChallengeEvent.objects.filter(challenge=challenge).select_related("by")
    if not staff:
        events = events.filter(action__in=ChallengeEvent.PUBLIC_ACTIONS)
    return list(events.order_by("at", "pk"))


def display_value(field: str, value) -> str:
    """A value of an amendment's before/after as a reader should see it."""
    if value in (None, "", []):
        return ""
    if field in TIMELINE_DATE_FIELDS:
        moment = parse_datetime(value) if isinstance(value, str) else value
        if isinstance(moment, dt.datetime):
            return date_format(timezone.localtime(moment), "j F Y H:i")
    if field == "criteria" and isinstance(value, list):
        return "\n".join(_criterion_line(item) for item in value)
    if field == "eligible_kinds" and isinstance(value, list):
        return ", ".join(str(Organisation.Kind(kind).label) if kind in Organisation.Kind.values
                         else str(kind) for kind in value)
    if field == "sdg_goals" and isinstance(value, list):
        return "\n".join(sdg_label(goal) for goal in value)
    if field == "data_sources" and isinstance(value, list):
        return "\n".join(f"{item.get('title', '')}: {item.get('url', '')}" for item in value
                         if isinstance(item, dict))
    if field == "budget":
        return euros(value)
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def euros(value) -> str:
    """An amount as "€ 25.000" (Dutch grouping in Dutch), cents only when there are any."""
    amount = Decimal(str(value))
    places = 0 if amount == amount.to_integral_value() else 2
    return "€ " + number_format(amount, decimal_pos=places, force_grouping=True)


def _criterion_line(item) -> str:
    if not isinstance(item, dict):
        return str(item)
    return f"{item.get('title', '')} ({item.get('weight', '')}%)"


def change_rows(changes: dict) -> list[dict]:
    rows = []
    for field, change in changes.items():
        if field == "criteria":
            label = Criterion._meta.verbose_name_plural
        else:
            try:
                label = Challenge._meta.get_field(field).verbose_name
            except FieldDoesNotExist:  # a field that no longer exists keeps its name
                label = field
        rows.append({"field": field, "label": str(label),
                     "old": display_value(field, change.get("old")),
                     "new": display_value(field, change.get("new"))})
    return rows


def _amendments(challenge: Challenge) -> list[dict]:
    return [
        {"number": amendment.number, "published_at": amendment.published_at,
         "reason": amendment.reason, "changes": change_rows(amendment.changes)}
        for amendment in Amendment.objects.filter(challenge=challenge).order_by("number")
    ]


def _result(challenge: Challenge) -> dict | None:
    """The outcome once decided: the winner's organisation, its summary (the only part of a
    proposal that becomes public) and the motivation, and the pilot."""
    if challenge.status == Status.NOT_AWARDED:
        return {"kind": "not_awarded", "motivation": challenge.award_motivation,
                "decided_at": challenge.awarded_at}
    if challenge.status != Status.AWARDED:
        return None
    winner = challenge.awarded_proposal
    pilot = challenge.pilot
    pilot_public = bool(pilot is not None and pilot.is_public)
    return {
        "kind": "awarded",
        "organisation": winner.organisation.name if winner else "",
        "summary": winner.summary if winner else "",
        "motivation": challenge.award_motivation,
        "decided_at": challenge.awarded_at,
        "pilot_url": pilot.get_absolute_url() if pilot_public else "",
        "pilot_title": pilot.title if pilot_public else "",
        "pilot_pending": pilot is not None and not pilot_public,
    }


def _own_proposal(user, challenge: Challenge) -> Proposal | None:
    if not user.is_authenticated:
        return None
    return (Proposal.objects.filter(challenge=challenge,
                                    organisation__memberships__user=user)
            .only("public_id").first())


def _take_part(request, challenge: Challenge) -> dict:
    """What this visitor can do here (write a proposal, ask a question), and if not, why."""
    user = request.user
    now = timezone.now()
    proposal = _own_proposal(user, challenge)
    can_propose = rules.has_perm("challenges.add_proposal", user, challenge)
    can_ask = rules.has_perm("challenges.ask_question", user, challenge)
    state = {
        "can_ask": can_ask,
        "has_proposal": proposal is not None,
        "proposal_url": reverse("challenges:proposal_edit", kwargs={"slug": challenge.slug})
        if (can_propose or proposal is not None) else "",
        "notes": [], "login_url": "", "register_url": "",
    }
    if challenge.status != Status.OPEN:
        if challenge.is_public and challenge.status in (Status.CLOSED, Status.IN_ASSESSMENT):
            state["notes"].append(_("The deadline for proposals has passed. The jury assesses "
                                    "the proposals that were sent in."))
        return state
    if not user.is_authenticated:
        state["notes"].append(_("Startups, companies and knowledge institutions take part with "
                                "an organisation account: log in to ask a question or write a "
                                "proposal."))
        state["login_url"] = reverse("account_login") + "?" + urlencode({"next": request.path})
        return state
    if user.has_perm("challenges.manage_challenge", challenge):
        return state  # staff do not take part; their actions are in the staff panel
    if not can_propose and proposal is None:
        state["notes"].append(_why_not(user, challenge, now))
        if not user.memberships.exists() and not getattr(user, "bsn_pseudonym", None):
            state["register_url"] = reverse("accounts:organisation_create")
    if (can_propose or proposal is not None) and not challenge.accepts_questions(now):
        state["notes"].append(_("The deadline for questions has passed. Read the answers "
                                "below."))
    return state


def _why_not(user, challenge: Challenge, now) -> str:
    if getattr(user, "bsn_pseudonym", None):
        return _("Proposals and questions come from organisations. You are logged in with "
                 "DigiD as a resident; you can follow this challenge.")
    memberships = list(user.memberships.select_related("organisation"))
    if not memberships:
        return _("Proposals and questions come from organisations. Register your organisation "
                 "(with its KvK number) or ask a colleague to add you to it.")
    if not any(challenge.is_eligible(membership.organisation) for membership in memberships):
        return _("Your organisation cannot send in a proposal: this challenge is open to "
                 "%(kinds)s.") % {"kinds": ", ".join(challenge.eligible_kind_labels())}
    if not challenge.accepts_proposals(now):
        return _("The deadline for proposals has passed.")
    return _("You cannot take part in this challenge.")


def _staff_actions(user, challenge: Challenge) -> dict | None:
    actions = {
        "can_edit": challenge.status == Status.DRAFT
        and user.has_perm("challenges.change_challenge", challenge),
        "can_publish": challenge.status == Status.DRAFT
        and user.has_perm("challenges.publish_challenge", challenge),
        "can_amend": challenge.status == Status.OPEN
        and user.has_perm("challenges.amend_challenge", challenge),
        "can_manage": user.has_perm("challenges.manage_challenge", challenge),
    }
    return actions if any(actions.values()) else None


@require_GET
def challenge_detail(request, slug):
    challenge = challenge_for_viewer(request, slug)
    user = request.user
    now = timezone.now()
    staff = _staff_actions(user, challenge)
    criteria = list(challenge.criteria.all())
    questions = list(selectors.questions_public(challenge))
    following = bool(user.is_authenticated
                     and ChallengeFollow.objects.filter(challenge=challenge, user=user).exists())
    return render(request, "challenges/challenge_detail.html", {
        "challenge": challenge,
        "countdown": countdown(challenge.submission_deadline, now)
        if challenge.status == Status.OPEN else "",
        "problem_html": render_simple_text(challenge.problem),
        "for_whom_html": render_simple_text(challenge.for_whom),
        "not_asked_html": render_simple_text(challenge.not_asked),
        "prize_html": render_simple_text(challenge.prize_description),
        "winner_gets_html": render_simple_text(challenge.winner_gets),
        "sdg_labels": [sdg_label(goal) for goal in challenge.sdg_goals],
        "eligible_labels": challenge.eligible_kind_labels(),
        "criteria": criteria,
        "weight_total": sum(criterion.weight for criterion in criteria),
        "timeline": _timeline(challenge, _visible_events(challenge, staff=bool(staff)), now),
        "show_names": bool(staff),
        "amendments": _amendments(challenge),
        "questions": questions,
        "result": _result(challenge),
        "take_part": _take_part(request, challenge),
        "following": following,
        "staff": staff,
        "idea_links": _idea_links(challenge),
    })


def _idea_links(challenge) -> list:
    """Published ideas that led to this challenge. The link lives in portal.ideas (IdeaLink);
    challenges reads it through the reverse relation and never imports ideas."""
    return list(challenge.idea_links.filter(idea__moderation="published")
                .select_related("idea").order_by("created_at", "pk"))


# --- following ------------------------------------------------------------------------------------


@require_POST
def challenge_follow(request, slug):
    challenge = public_challenge(slug)
    if not request.user.is_authenticated:
        return redirect_to_login(challenge.get_absolute_url())
    try:
        services.challenge_follow(challenge=challenge, user=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("You now follow this challenge. You get an e-mail when a "
                                    "question is answered or the challenge changes."))
    return redirect(challenge.get_absolute_url() + "#take-part-heading")


@require_POST
def challenge_unfollow(request, slug):
    challenge = public_challenge(slug)
    if not request.user.is_authenticated:
        return redirect_to_login(challenge.get_absolute_url())
    services.challenge_unfollow(challenge=challenge, user=request.user)
    messages.success(request, _("You no longer follow this challenge."))
    return redirect(challenge.get_absolute_url() + "#take-part-heading")


def _error_text(error) -> str:
    if isinstance(error, ValidationError):
        return messages_of(error)
    return str(error) or _("You may not do this.")


# --- asking a question ----------------------------------------------------------------------------


def _cannot_ask(request, challenge: Challenge):
    now = timezone.now()
    if challenge.status != Status.OPEN or not challenge.accepts_questions(now):
        paragraphs = [_("Questions about “%(title)s” could be asked until %(date)s.") % {
            "title": challenge.title,
            "date": date_format(timezone.localtime(challenge.questions_deadline), "j F Y H:i")
            if challenge.questions_deadline else "-"},
            _("The answers to all questions are on the challenge page.")]
        heading = _("The deadline for questions has passed")
    else:
        heading = _("Questions come from organisations")
        paragraphs = [_why_not(request.user, challenge, now)]
    return notice(request, heading=heading, paragraphs=paragraphs,
                  links=[(challenge.get_absolute_url() + "#vragen",
                          _("Read the questions and answers"))],
                  status=403)


def _my_questions(user, challenge: Challenge) -> list[Question]:
    return list(Question.objects.filter(challenge=challenge, asked_by=user)
                .order_by("-asked_at", "-pk"))


def _render_question_form(request, challenge, form, *, status=200):
    return render(request, "challenges/question_form.html", {
        "challenge": challenge, "form": form, "my_questions": _my_questions(request.user,
                                                                            challenge),
        "questions_countdown": countdown(challenge.questions_deadline),
    }, status=status)


@require_http_methods(["GET", "POST"])
def question_ask(request, slug):
    challenge = public_challenge(slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not rules.has_perm("challenges.ask_question", request.user, challenge):
        return _cannot_ask(request, challenge)
    if request.method == "GET":
        return _render_question_form(request, challenge, QuestionForm())
    form = QuestionForm(request.POST)
    try:
        rate_limit_check(request, QUESTION_RATE_LIMIT)
    except RateLimited as limited:
        form.full_clean()
        form.add_error(None, limited.message)
        return _render_question_form(request, challenge, form, status=429)
    if not form.is_valid():
        return _render_question_form(request, challenge, form, status=400)
    try:
        services.question_ask(challenge=challenge, by=request.user, text=form.cleaned_data["text"])
    except ValidationError as error:
        apply_validation_error(form, error)
        return _render_question_form(request, challenge, form, status=400)
    except PermissionDenied:
        return _cannot_ask(request, challenge)
    messages.success(request, _("Your question has been received. The municipality publishes "
                                "the answer on this page for every bidder, without your name."))
    return redirect("challenges:ask", slug=challenge.slug)

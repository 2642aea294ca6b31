"""The civil servants' pages of a challenge: writing the draft with its criteria, publishing,
amending a published challenge, and the per-challenge dashboard (questions to answer, proposals
in, the jury and its progress, starting the assessment, closing without an award).

Views check the permission, call one service and render; the rules live in services.py and
rules.py. A draft is a 404 for everyone who may not see it (views.challenge_for_viewer); a
person who may see the challenge but not do this gets a 403.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from challenges import selectors, services
from challenges.forms import (
    AmendmentForm,
    AnswerForm,
    ChallengeForm,
    DeclineForm,
    JuryAppointForm,
    NotAwardForm,
    criteria_initial,
    criterion_formset,
)
from challenges.models import Challenge, Criterion, JuryMember, Question
from challenges.views import challenge_for_viewer, change_rows, messages_of, notice
from portal.core.forms import apply_validation_error

Status = Challenge.Status


def _staff_challenge(request, slug, perm: str) -> Challenge:
    challenge = challenge_for_viewer(request, slug)
    if not request.user.has_perm(perm, challenge):
        raise PermissionDenied
    return challenge


def _field_label(name: str) -> str:
    if name == "criteria":
        label = Criterion._meta.verbose_name_plural
    elif name == "__all__":
        return ""
    else:
        try:
            label = Challenge._meta.get_field(name).verbose_name
        except FieldDoesNotExist:  # a key that is not a field: show it as it is
            return name
    return str(label)[:1].upper() + str(label)[1:]


def problem_rows(errors: dict) -> list[dict]:
    """{field: [messages]} as rows a civil servant can act on."""
    return [{"field": name, "label": _field_label(name), "message": " ".join(map(str, found))}
            for name, found in errors.items()]


# --- writing a draft ------------------------------------------------------------------------------


def _render_challenge_form(request, form, formset, challenge, *, status=200):
    return render(request, "challenges/staff/challenge_form.html", {
        "form": form,
        "formset": formset,
        "challenge": challenge,
        "heading": _("Edit the draft") if challenge else _("New challenge"),
        "cancel_url": challenge.get_absolute_url() if challenge else reverse("area-challenges"),
        "weight_total": formset.weight_total(),
    }, status=status)


def _save_draft(user, challenge, fields: dict, criteria: list[dict]) -> Challenge:
    with transaction.atomic():
        if challenge is None:
            return services.challenge_create(by=user, criteria=criteria, **fields)
        challenge = services.challenge_update(challenge=challenge, by=user, **fields)
        services.criteria_set(challenge=challenge, by=user, criteria=criteria)
        return challenge


def _challenge_form(request, *, challenge: Challenge | None):
    initial_criteria = criteria_initial(challenge) if challenge else []
    if request.method == "GET":
        form = ChallengeForm(initial=ChallengeForm.initial_for(challenge) if challenge else None)
        formset = criterion_formset(initial=initial_criteria)
        return _render_challenge_form(request, form, formset, challenge)
    form = ChallengeForm(request.POST)
    formset = criterion_formset(data=request.POST, initial=initial_criteria)
    form_valid, formset_valid = form.is_valid(), formset.is_valid()  # both: show every error
    if not (form_valid and formset_valid):
        return _render_challenge_form(request, form, formset, challenge, status=400)
    try:
        saved = _save_draft(request.user, challenge, form.challenge_fields(), formset.criteria())
    except ValidationError as error:
        apply_validation_error(form, error)
        return _render_challenge_form(request, form, formset, challenge, status=400)
    messages.success(request, _("The draft has been saved. Only civil servants see it until "
                                "it is published."))
    return redirect(saved)


@login_required
@require_http_methods(["GET", "POST"])
def challenge_create(request):
    if not request.user.has_perm("challenges.add_challenge"):
        raise PermissionDenied
    return _challenge_form(request, challenge=None)


@login_required
@require_http_methods(["GET", "POST"])
def challenge_edit(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.change_challenge")
    if challenge.status != Status.DRAFT:
        links = [(challenge.get_absolute_url(), _("Back to the challenge"))]
        if request.user.has_perm("challenges.amend_challenge", challenge) \
                and challenge.status == Status.OPEN:
            links.insert(0, (reverse("challenges:amend", kwargs={"slug": challenge.slug}),
                             _("Amend the challenge")))
        return notice(request, heading=_("A published challenge is not edited"), paragraphs=[
            _("Bidders rely on what was published. A published challenge changes only through "
              "a dated, public amendment with its reason, while it is open.")], links=links)
    return _challenge_form(request, challenge=challenge)


# --- publishing -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def challenge_publish(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.publish_challenge")
    if challenge.status != Status.DRAFT:
        messages.info(request, _("This challenge has been published already."))
        return redirect(challenge)
    status = 200
    if request.method == "POST":
        try:
            services.challenge_publish(challenge=challenge, by=request.user)
        except ValidationError as error:
            problems = problem_rows(error.message_dict if hasattr(error, "error_dict")
                                    else {"__all__": error.messages})
            status = 400
        else:
            messages.success(request, _("The challenge has been published. Organisations can "
                                        "now read it, ask questions and send in proposals."))
            return redirect(challenge)
    else:
        problems = problem_rows(challenge.publication_errors())
    return render(request, "challenges/staff/publish_confirm.html", {
        "challenge": challenge, "problems": problems,
        "criteria": list(challenge.criteria.all()),
    }, status=status)


# --- amending -------------------------------------------------------------------------------------


def _same(old, new) -> bool:
    if isinstance(old, dt.datetime) and isinstance(new, dt.datetime):
        # The form has minutes; a stored time with seconds is the same minute.
        return old.replace(second=0, microsecond=0) == new
    if old in (None, "") and new in (None, ""):
        return True
    return old == new


def _changed_fields(challenge: Challenge, fields: dict) -> dict:
    return {name: value for name, value in fields.items()
            if not _same(getattr(challenge, name), value)}


def _render_amend_form(request, challenge, form, formset, *, preview=None, status=200):
    return render(request, "challenges/staff/amend_form.html", {
        "challenge": challenge, "form": form, "formset": formset, "preview": preview,
        "weight_total": formset.weight_total(),
        "previous_amendments": challenge.amendments.count(),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def challenge_amend(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.amend_challenge")
    if not challenge.accepts_proposals(timezone.now()):
        return notice(request, heading=_("This challenge can no longer be amended"), paragraphs=[
            _("A challenge is amended only while it is open, before the deadline for "
              "proposals."), _("The challenge is now: %(status)s.") % {
                "status": challenge.get_status_display()}],
            links=[(challenge.get_absolute_url(), _("Back to the challenge"))])
    current_criteria = criteria_initial(challenge)
    if request.method == "GET":
        form = AmendmentForm(initial=ChallengeForm.initial_for(challenge))
        formset = criterion_formset(initial=current_criteria)
        return _render_amend_form(request, challenge, form, formset)
    form = AmendmentForm(request.POST)
    formset = criterion_formset(data=request.POST, initial=current_criteria)
    form_valid, formset_valid = form.is_valid(), formset.is_valid()
    if not (form_valid and formset_valid):
        return _render_amend_form(request, challenge, form, formset, status=400)
    fields = _changed_fields(challenge, form.challenge_fields())
    criteria = formset.criteria()
    criteria_changed = criteria != current_criteria
    if not fields and not criteria_changed:
        form.add_error(None, _("Nothing was changed. Change the challenge below, then check "
                               "the changes."))
        return _render_amend_form(request, challenge, form, formset, status=400)
    if request.POST.get("action") != "confirm":
        changes = {name: {"old": getattr(challenge, name), "new": value}
                   for name, value in fields.items()}
        if criteria_changed:
            changes["criteria"] = {"old": current_criteria, "new": criteria}
        return _render_amend_form(request, challenge, form, formset,
                                  preview=change_rows(changes))
    try:
        amendment = services.challenge_amend(
            challenge=challenge, by=request.user, reason=form.cleaned_data["reason"],
            criteria=criteria if criteria_changed else None, **fields,
        )
    except ValidationError as error:
        apply_validation_error(form, error)
        return _render_amend_form(request, challenge, form, formset, status=400)
    messages.success(request, _("Amendment %(number)s has been published. Followers and "
                                "organisations with a proposal get a message.")
                     % {"number": amendment.number})
    return redirect(challenge.get_absolute_url() + f"#wijziging-{amendment.number}")


# --- the dashboard --------------------------------------------------------------------------------


def _render_manage(request, challenge: Challenge, *, appoint_form=None, status=200):
    user = request.user
    dashboard = selectors.civil_servant_dashboard(challenge)
    jury_open = (challenge.is_public and not challenge.is_decided
                 and not challenge.ranking_is_final)
    can_appoint = jury_open and user.has_perm("challenges.appoint_jury", challenge)
    return render(request, "challenges/staff/manage.html", {
        "challenge": challenge,
        "dashboard": dashboard,
        # Before the deadline the civil servant sees who sent in a proposal, not what.
        "proposals_readable": challenge.status not in (Status.DRAFT, Status.OPEN),
        "can_appoint": can_appoint,
        "appoint_form": appoint_form or (JuryAppointForm(challenge=challenge)
                                         if can_appoint else None),
        "can_answer": user.has_perm("challenges.answer_question", challenge),
        "can_start_assessment": dashboard["can_start_assessment"]
        and user.has_perm("challenges.manage_challenge", challenge),
        "can_not_award": challenge.status in (Status.CLOSED, Status.IN_ASSESSMENT)
        and user.has_perm("challenges.not_award", challenge),
        "can_amend": challenge.status == Status.OPEN
        and user.has_perm("challenges.amend_challenge", challenge),
        "can_edit": challenge.status == Status.DRAFT
        and user.has_perm("challenges.change_challenge", challenge),
    }, status=status)


@login_required
@require_GET
def challenge_manage(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.manage_challenge")
    return _render_manage(request, challenge)


def _manage_url(challenge: Challenge, anchor: str = "") -> str:
    url = reverse("challenges:manage", kwargs={"slug": challenge.slug})
    return f"{url}#{anchor}" if anchor else url


@login_required
@require_POST
def jury_appoint(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.appoint_jury")
    form = JuryAppointForm(request.POST, challenge=challenge)
    if not form.is_valid():
        return _render_manage(request, challenge, appoint_form=form, status=400)
    try:
        member = services.jury_appoint(challenge=challenge, by=request.user,
                                       user=form.cleaned_data["user"],
                                       is_chair=form.cleaned_data["is_chair"])
    except ValidationError as error:
        apply_validation_error(form, error)
        return _render_manage(request, challenge, appoint_form=form, status=400)
    messages.success(request, _("%(name)s is now on the jury.") % {"name": member.user})
    return redirect(_manage_url(challenge, "jury-heading"))


def _jury_member(request, challenge: Challenge) -> JuryMember:
    member_id = request.POST.get("member", "")
    if not member_id.isdigit():
        raise ValidationError(_("Choose a jury member."))
    return get_object_or_404(JuryMember.objects.select_related("user"), challenge=challenge,
                             pk=int(member_id))


@login_required
@require_POST
def jury_chair(request, slug):
    """Make an appointed jury member the chair (the previous chair stays a member)."""
    challenge = _staff_challenge(request, slug, "challenges.appoint_jury")
    try:
        member = _jury_member(request, challenge)
        services.jury_appoint(challenge=challenge, by=request.user, user=member.user,
                              is_chair=True)
    except ValidationError as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, _("%(name)s is now the chair of the jury.")
                         % {"name": member.user})
    return redirect(_manage_url(challenge, "jury-heading"))


@login_required
@require_POST
def jury_remove(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.appoint_jury")
    try:
        member = _jury_member(request, challenge)
        services.jury_remove(by=request.user, jury_member=member)
    except ValidationError as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, _("%(name)s is no longer on the jury.")
                         % {"name": member.user or _("The jury member")})
    return redirect(_manage_url(challenge, "jury-heading"))


@login_required
@require_POST
def assessment_start(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.manage_challenge")
    try:
        services.challenge_assessment_start(challenge=challenge, by=request.user)
    except ValidationError as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, _("The assessment has started. The jury members can now "
                                    "declare conflicts of interest and score the proposals."))
    return redirect(_manage_url(challenge))


@login_required
@require_http_methods(["GET", "POST"])
def not_award(request, slug):
    challenge = _staff_challenge(request, slug, "challenges.not_award")
    if challenge.status not in (Status.CLOSED, Status.IN_ASSESSMENT):
        messages.info(request, _("Only a closed challenge, or one in assessment, can be closed "
                                 "without an award."))
        return redirect(_manage_url(challenge))
    form = NotAwardForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.challenge_not_award(challenge=challenge, by=request.user,
                                             motivation=form.cleaned_data["motivation"])
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The challenge has been closed without an award. "
                                            "Every bidder gets a letter with the motivation."))
                return redirect(challenge)
        status = 400
    return render(request, "challenges/staff/not_award_form.html", {
        "challenge": challenge, "form": form,
        "proposal_count": challenge.proposals.filter(status="submitted").count(),
    }, status=status)


# --- answering questions --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def question_answer(request, slug, public_id):
    challenge = _staff_challenge(request, slug, "challenges.answer_question")
    question = get_object_or_404(Question, challenge=challenge, public_id=public_id)
    if question.status != Question.Status.PENDING:
        messages.info(request, _("This question has been dealt with already."))
        return redirect(_manage_url(challenge, "questions-heading"))
    answer_form, decline_form = AnswerForm(), DeclineForm()
    status = 200
    if request.method == "POST":
        declining = request.POST.get("action") == "decline"
        form = DeclineForm(request.POST) if declining else AnswerForm(request.POST)
        if declining:
            decline_form = form
        else:
            answer_form = form
        if form.is_valid():
            try:
                _deal_with(question, request.user, declining, form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The question has not been answered; the asker "
                                            "gets the reason.") if declining else
                                 _("The answer has been published. Followers get a message."))
                return redirect(_manage_url(challenge, "questions-heading"))
        status = 400
    return render(request, "challenges/staff/question_answer.html", {
        "challenge": challenge, "question": question, "answer_form": answer_form,
        "decline_form": decline_form,
        "answered": selectors.questions_public(challenge),
    }, status=status)


def _deal_with(question: Question, user, declining: bool, data: dict) -> None:
    if declining:
        services.question_decline(question=question, by=user, reason=data["reason"])
    else:
        services.question_answer(question=question, by=user, answer=data["answer"])

"""The organisation's side of a challenge (writing, co-editing and submitting a proposal, its
attachments, receipt and outcome letter, the organisation dashboard) and the jury's pages
(conflict declarations, scores, ranking, finalising and the award).

Proposals are confidential: a proposal page or attachment that this person may not see is a
404, exactly like one that does not exist, so a URL reveals nothing. Views parse the input,
check the permission, call one service and render; the rules live in services.py and rules.py.
Jury gates use `rules.has_perm`: Django lets a superuser pass every `user.has_perm`, but only
appointed jury members declare conflicts and score.
"""

import uuid

import rules
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from challenges import selectors, services
from challenges.models import (
    Challenge,
    ConflictDeclaration,
    JuryMember,
    Proposal,
    ProposalAttachment,
    Score,
)
from challenges.proposal_forms import (
    AwardForm,
    ConflictDeclarationForm,
    NotAwardForm,
    ProposalForm,
    ScoreForm,
)
from challenges.rules import jury_membership
from challenges.views import countdown, messages_of, notice
from portal.accounts.models import Organisation
from portal.core.forms import apply_validation_error

ORGANISATION_PARAM = "organisatie"
MAX_ATTACHMENTS = services.MAX_ATTACHMENTS
# `loaded_at` of a form shown before the organisation had a proposal.
NOT_STARTED = "new"


# --- shared helpers ------------------------------------------------------------------------------


def _not_found(request):
    """The same answer for a proposal that does not exist and one this person may not see."""
    return render(request, "challenges/proposals/not_found.html", status=404)


def _visible_proposal(request, public_id, perm="challenges.view_proposal") -> Proposal | None:
    """The proposal if this person may read it. Besides the rule: people outside the
    organisation (civil servants, the jury) never see a draft or a withdrawn proposal, and see
    a submitted one only after the deadline, when it can no longer change."""
    proposal_id = _as_uuid(public_id)
    proposal = (
        Proposal.objects.select_related("challenge", "organisation", "submitted_by",
                                        "updated_by")
        .filter(public_id=proposal_id).first() if proposal_id else None
    )
    if proposal is None or not request.user.has_perm(perm, proposal):
        return None
    if not _is_member(request.user, proposal) and not _closed_and_submitted(proposal):
        return None
    return proposal


def _is_member(user, proposal) -> bool:
    return bool(user.is_authenticated
                and proposal.organisation.memberships.filter(user=user).exists())


def _closed_and_submitted(proposal) -> bool:
    return proposal.is_submitted and proposal.challenge.status not in (
        Challenge.Status.DRAFT, Challenge.Status.OPEN)


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _moment(text: str):
    """An aware datetime from an ISO string written by this site; None for anything else."""
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    return moment if moment is not None and timezone.is_aware(moment) else None


def _attachments(proposal):
    return list(proposal.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk"))


def _deadline_context(challenge, now) -> dict:
    deadline = challenge.submission_deadline
    return {
        "deadline": deadline,
        "deadline_countdown": countdown(deadline, now),
        "deadline_passed": deadline is not None and now > deadline,
    }


# --- writing a proposal --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def proposal_edit(request, slug):
    """Start or continue my organisation's proposal: draft, attachments, submit, receipt."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    challenge = get_object_or_404(Challenge.objects.public(), slug=slug)
    organisations = list(
        Organisation.objects.filter(memberships__user=request.user).order_by("name")
    )
    if not organisations:
        return _organisations_only(request, challenge)
    organisation = _chosen_organisation(request, organisations)
    if organisation is None:
        return _choose_organisation(request, challenge, organisations)
    proposal = (Proposal.objects
                .select_related("challenge", "organisation", "submitted_by", "updated_by")
                .filter(challenge=challenge, organisation=organisation).first())
    if proposal is None:
        refusal = _cannot_start(request, challenge, organisation)
        if refusal is not None:
            return refusal
    page = ProposalPage(request, challenge, organisation, proposal, several=len(organisations) > 1)
    if request.method == "GET":
        return page.render(page.form())
    return page.post()


def _chosen_organisation(request, organisations):
    if len(organisations) == 1:
        return organisations[0]
    wanted = request.GET.get(ORGANISATION_PARAM, "")
    return next((org for org in organisations if org.slug == wanted), None)


def _organisations_only(request, challenge):
    return notice(
        request, heading=_("Proposals are written by organisations"),
        paragraphs=[
            _("Startups, SMEs, knowledge institutions and non-profit organisations write "
              "proposals for a challenge. You are not a member of an organisation on this "
              "website."),
            _("Register your organisation (with its KvK number), or ask a colleague to add you "
              "to it, then come back to this challenge."),
        ],
        links=[(reverse("accounts:organisation_create"), _("Register an organisation")),
               (challenge.get_absolute_url(), _("Back to the challenge"))],
        status=403,
    )


def _choose_organisation(request, challenge, organisations):
    proposals = {
        proposal.organisation_id: proposal
        for proposal in Proposal.objects.filter(challenge=challenge,
                                                organisation__in=organisations)
    }
    rows = [{
        "organisation": organisation,
        "proposal": proposals.get(organisation.pk),
        "eligible": challenge.is_eligible(organisation),
        "url": f"{request.path}?{urlencode({ORGANISATION_PARAM: organisation.slug})}",
    } for organisation in organisations]
    return render(request, "challenges/proposals/choose_organisation.html",
                  {"challenge": challenge, "rows": rows})


def _cannot_start(request, challenge, organisation):
    """Why this organisation cannot start a proposal now, as a page; None when it can."""
    back = [(challenge.get_absolute_url(), _("Back to the challenge"))]
    if not challenge.is_eligible(organisation):
        return notice(
            request, heading=_("Your organisation cannot take part in this challenge"),
            paragraphs=[
                _("This challenge is open to: %(kinds)s. “%(name)s” is registered as: "
                  "%(kind)s.") % {"kinds": ", ".join(challenge.eligible_kind_labels()),
                                   "name": organisation.name,
                                   "kind": organisation.get_kind_display()},
            ],
            links=back, status=403,
        )
    if not challenge.accepts_proposals():
        return notice(
            request, heading=_("This challenge does not accept proposals"),
            paragraphs=[_("Proposals can be written while a challenge is open, until its "
                          "deadline. This challenge is now: %(status)s.")
                        % {"status": challenge.get_status_display()}],
            links=back, status=403,
        )
    if not rules.has_perm("challenges.add_proposal", request.user, challenge):
        return notice(
            request, heading=_("You cannot write a proposal for this challenge"),
            paragraphs=[_("Only members of an organisation that may take part can write a "
                          "proposal while the challenge is open.")],
            links=back, status=403,
        )
    return None


class ProposalPage:
    """The proposal form of one organisation for one challenge, and its POST actions:
    save (text and new attachments), submit (a confirmation step first), confirm, remove an
    attachment, withdraw."""

    def __init__(self, request, challenge, organisation, proposal, *, several):
        self.request = request
        self.challenge = challenge
        self.organisation = organisation
        self.proposal = proposal
        self.several = several
        self.now = timezone.now()

    # -- state ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        url = reverse("challenges:proposal_edit", kwargs={"slug": self.challenge.slug})
        if self.several:
            url += "?" + urlencode({ORGANISATION_PARAM: self.organisation.slug})
        return url

    @property
    def editable(self) -> bool:
        if not self.challenge.accepts_proposals(self.now):
            return False
        if self.proposal is None:
            return True
        return (self.proposal.status != Proposal.Status.SUBMITTED
                and self.request.user.has_perm("challenges.change_proposal", self.proposal))

    def missing_labels(self, attachments) -> list[str]:
        present = {attachment.label.casefold() for attachment in attachments}
        return [label for label in self.challenge.required_attachments
                if label.casefold() not in present]

    def form(self, data=None, files=None) -> ProposalForm:
        attachments = _attachments(self.proposal) if self.proposal else []
        initial = (ProposalForm.initial_for(self.proposal) if self.proposal
                   else {"loaded_at": NOT_STARTED})
        return ProposalForm(
            data, files, initial=initial,
            attachment_labels=self.challenge.required_attachments,
            present={attachment.label: attachment.original_name for attachment in attachments
                     if not attachment.is_other},
            other_slot=len(attachments) < MAX_ATTACHMENTS,
        )

    # -- rendering --------------------------------------------------------------------------

    def render(self, form, *, status=200, stale_by=None, lost_uploads=False):
        attachments = _attachments(self.proposal) if self.proposal else []
        context = {
            "challenge": self.challenge,
            "organisation": self.organisation,
            "proposal": self.proposal,
            "form": form,
            "action_url": self.url,
            "editable": self.editable,
            "several_organisations": self.several,
            "attachments": attachments,
            "missing_labels": self.missing_labels(attachments),
            "updated_by": self.proposal.updated_by if self.proposal else None,
            "stale_by": stale_by,
            "lost_uploads": lost_uploads,
            "can_withdraw": self._can_withdraw(),
            "max_attachments": MAX_ATTACHMENTS,
            **_deadline_context(self.challenge, self.now),
        }
        return render(self.request, "challenges/proposals/proposal_form.html", context,
                      status=status)

    def _can_withdraw(self) -> bool:
        return bool(self.proposal and self.proposal.status == Proposal.Status.SUBMITTED
                    and self.challenge.accepts_proposals(self.now)
                    and self.request.user.has_perm("challenges.withdraw_proposal", self.proposal))

    def _redirect(self):
        return redirect(self.url)

    # -- actions ----------------------------------------------------------------------------

    def post(self):
        action = self.request.POST.get("action", "save")
        if action == "withdraw":
            return self._withdraw()
        if not self.editable:
            messages.error(self.request, self._closed_message())
            return self._redirect()
        if action == "remove":
            return self._remove_attachment()
        if action == "confirm":
            return self._confirm()
        return self._save(submitting=action == "submit")

    def _closed_message(self) -> str:
        if self.proposal is not None and self.proposal.status == Proposal.Status.SUBMITTED:
            return _("Your proposal has been submitted, so it can no longer be changed. "
                     "Withdraw it first if you want to change it before the deadline.")
        return _("The deadline for proposals has passed: nothing has been changed.")

    def _save(self, *, submitting: bool):
        form = self.form(self.request.POST, self.request.FILES)
        if not form.is_valid():
            messages.error(self.request, _("Nothing has been saved yet: correct the fields "
                                           "below."))
            return self.render(form, status=400, lost_uploads=bool(self.request.FILES))
        stale_by = self._changed_meanwhile(form.cleaned_data["loaded_at"])
        if stale_by is not None:
            return self._render_stale(form, stale_by)
        try:
            self._write(form.proposal_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.render(form, status=400, lost_uploads=bool(self.request.FILES))
        except PermissionDenied:
            messages.error(self.request, self._closed_message())
            return self._redirect()
        upload_errors = self._add_uploads(form.uploads())
        if upload_errors:
            return self._render_upload_errors(form, upload_errors)
        if submitting:
            return self._confirmation()
        messages.success(self.request, _("Your draft has been saved. Members of %(organisation)s "
                                         "can see and change it; nobody else can.")
                         % {"organisation": self.organisation.name})
        return self._redirect()

    def _changed_meanwhile(self, loaded_at: str):
        """A co-editor saved the proposal after this form was loaded: who (or True)."""
        if self.proposal is None or not loaded_at:
            return None
        if loaded_at == NOT_STARTED:  # a colleague started it after this form was loaded
            return self.proposal.updated_by or True
        loaded = _moment(loaded_at)
        if loaded is None or self.proposal.updated_at <= loaded:
            return None
        editor = self.proposal.updated_by
        if editor is not None and editor.pk == self.request.user.pk:
            return None
        return editor or True

    def _render_stale(self, form, stale_by):
        data = self.request.POST.copy()
        data["loaded_at"] = self.proposal.updated_at.isoformat()
        rebound = self.form(data)
        rebound.full_clean()
        return self.render(rebound, status=409, stale_by=stale_by,
                           lost_uploads=bool(self.request.FILES))

    def _write(self, fields):
        if self.proposal is None:
            self.proposal = services.proposal_start(
                challenge=self.challenge, organisation=self.organisation, by=self.request.user)
        self.proposal = services.proposal_update(proposal=self.proposal, by=self.request.user,
                                                 **fields)

    def _add_uploads(self, uploads) -> list[tuple[str, str, ValidationError]]:
        errors = []
        for name, label, upload in uploads:
            try:
                services.attachment_add(proposal=self.proposal, by=self.request.user,
                                        upload=upload, label=label)
            except ValidationError as error:
                errors.append((name, upload.name, error))
        return errors

    def _render_upload_errors(self, form, errors):
        """The text is saved; some files were refused. Show the form as saved, with why."""
        self.proposal.refresh_from_db()
        data = self.request.POST.copy()
        data["loaded_at"] = self.proposal.updated_at.isoformat()
        rebound = self.form(data)
        rebound.full_clean()
        for name, filename, error in errors:
            field = name if name in rebound.fields else None
            rebound.add_error(field, _("“%(name)s” was not added: %(error)s")
                              % {"name": filename, "error": messages_of(error)})
        messages.warning(self.request, _("Your text has been saved, but not every file could be "
                                         "added. Choose the refused files again after fixing "
                                         "them."))
        return self.render(rebound, status=400)

    def _confirmation(self):
        self.proposal.refresh_from_db()
        errors = self.proposal.submission_errors()
        labels = {field: Proposal._meta.get_field(field).verbose_name
                  for field in Proposal.REQUIRED_FOR_SUBMISSION}
        missing = [(labels[field], messages_list) for field, messages_list in errors.items()
                   if field in labels]
        return render(self.request, "challenges/proposals/submit_confirm.html", {
            "challenge": self.challenge,
            "organisation": self.organisation,
            "proposal": self.proposal,
            "missing_fields": missing,
            "missing_attachments": errors.get("attachments", []),
            "attachments": _attachments(self.proposal),
            "action_url": self.url,
            **_deadline_context(self.challenge, self.now),
        })

    def _confirm(self):
        if self.proposal is None:
            return self._redirect()
        try:
            self.proposal = services.proposal_submit(proposal=self.proposal,
                                                     by=self.request.user)
        except ValidationError as error:
            messages.error(self.request, messages_of(error))
            return self._redirect()
        except PermissionDenied:
            messages.error(self.request, self._closed_message())
            return self._redirect()
        messages.success(self.request, _(
            "Your proposal has been submitted. The receipt is below; we have also sent it to "
            "you by e-mail."))
        return self._redirect()

    def _remove_attachment(self):
        attachment_id = _as_uuid(self.request.POST.get("attachment", ""))
        attachment = (ProposalAttachment.objects.filter(proposal=self.proposal,
                                                        public_id=attachment_id).first()
                      if self.proposal is not None and attachment_id else None)
        if attachment is None:
            messages.error(self.request, _("That attachment is no longer there."))
            return self._redirect()
        try:
            services.attachment_remove(attachment=attachment, by=self.request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(self.request, messages_of(error) if isinstance(error, ValidationError)
                           else self._closed_message())
        else:
            messages.success(self.request, _("The attachment “%(name)s” has been removed.")
                             % {"name": attachment.original_name})
        return self._redirect()

    def _withdraw(self):
        if not self._can_withdraw():
            messages.error(self.request, _("This proposal cannot be withdrawn now."))
            return self._redirect()
        try:
            services.proposal_withdraw(proposal=self.proposal, by=self.request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(self.request, messages_of(error) if isinstance(error, ValidationError)
                           else _("This proposal cannot be withdrawn now."))
        else:
            messages.success(self.request, _(
                "Your proposal has been withdrawn. You can change it and submit it again "
                "before the deadline."))
        return self._redirect()


# --- reading a proposal --------------------------------------------------------------------------


@require_safe
def proposal_detail(request, public_id):
    """The whole proposal for those who may see it. After the award, everyone else sees only
    the winner's summary; any other proposal is a 404 to them."""
    proposal = _visible_proposal(request, public_id)
    if proposal is None:
        return _public_winner_summary(request, public_id)
    user = request.user
    response = render(request, "challenges/proposals/proposal_detail.html", {
        "challenge": proposal.challenge,
        "proposal": proposal,
        "attachments": _attachments(proposal),
        "updated_by": proposal.updated_by,
        "is_member": _is_member(user, proposal),
        "can_see_letter": bool(proposal.outcome_sent_at)
        and user.has_perm("challenges.view_outcome_letter", proposal),
    })
    patch_cache_control(response, private=True, no_store=True)
    return response


def _public_winner_summary(request, public_id):
    proposal = (Proposal.objects.select_related("challenge", "organisation")
                .filter(public_id=_as_uuid(public_id), outcome=Proposal.Outcome.AWARDED,
                        challenge__status=Challenge.Status.AWARDED).first())
    if proposal is None or proposal.challenge.awarded_proposal_id != proposal.pk:
        return _not_found(request)
    return render(request, "challenges/proposals/winner_summary.html", {
        "challenge": proposal.challenge, "proposal": proposal,
    })


@require_safe
def attachment_download(request, public_id, attachment_id):
    """An attachment as a download, only for those who may see the proposal; never sniffed."""
    attachment_uuid, proposal_uuid = _as_uuid(attachment_id), _as_uuid(public_id)
    attachment = None
    if attachment_uuid and proposal_uuid:
        attachment = (ProposalAttachment.objects.select_related("proposal__challenge",
                                                                "proposal__organisation")
                      .filter(public_id=attachment_uuid, proposal__public_id=proposal_uuid)
                      .first())
    if attachment is None or _visible_proposal(
            request, proposal_uuid, perm="challenges.view_attachment") is None:
        return _not_found(request)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        return _not_found(request)
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def outcome_letter(request, public_id):
    proposal = _visible_proposal(request, public_id, perm="challenges.view_outcome_letter")
    if proposal is None:
        return _not_found(request)
    response = render(request, "challenges/proposals/outcome_letter.html", {
        "challenge": proposal.challenge, "proposal": proposal,
    })
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_safe
def organisation_dashboard(request):
    """My organisations' proposals per challenge, with status, deadlines and letters."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    now = timezone.now()
    dashboard = selectors.organisation_dashboard(request.user)
    started = {(p.challenge_id, p.organisation_id) for p in dashboard["proposals"]}
    sections = [{
        "organisation": organisation,
        "rows": [{"proposal": proposal, "challenge": proposal.challenge,
                  "countdown": countdown(proposal.challenge.submission_deadline, now)}
                 for proposal in dashboard["proposals"]
                 if proposal.organisation_id == organisation.pk],
        "startable": [{"challenge": challenge,
                       "countdown": countdown(challenge.submission_deadline, now)}
                      for challenge in dashboard["open_challenges"]
                      if challenge.is_eligible(organisation)
                      and (challenge.pk, organisation.pk) not in started],
    } for organisation in dashboard["organisations"]]
    return render(request, "challenges/proposals/organisation_dashboard.html", {
        "sections": sections, "several_organisations": len(sections) > 1,
        "organisation_param": ORGANISATION_PARAM,
    })


# --- the jury -----------------------------------------------------------------------------------


def _appointed_member(request, challenge) -> JuryMember:
    """My jury membership of this challenge; a 404 for anyone not appointed to its jury."""
    member = jury_membership(request.user, challenge)
    if member is None:
        raise Http404
    return member


def _submitted(challenge):
    return Proposal.objects.filter(challenge=challenge, status=Proposal.Status.SUBMITTED)


def _jury_sees_proposals(challenge) -> bool:
    """Proposals reach the jury once the deadline has passed (before it, they may change)."""
    return challenge.status not in (Challenge.Status.DRAFT, Challenge.Status.OPEN)


@require_safe
def jury_overview(request, slug):
    """A jury member's list of proposals to declare for and score. Civil servants follow the
    jury on the ranking page (they neither declare nor score)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    challenge = get_object_or_404(Challenge.objects.public(), slug=slug)
    member = jury_membership(request.user, challenge)
    if member is None and request.user.has_perm("challenges.view_jury_area", challenge):
        return redirect("challenges:jury_ranking", slug=challenge.slug)
    if member is None:
        raise Http404
    sees_proposals = _jury_sees_proposals(challenge)
    return render(request, "challenges/jury/overview.html", {
        "challenge": challenge, "member": member, "sees_proposals": sees_proposals,
        "rows": selectors.jury_overview(member) if sees_proposals else [],
    })


@require_http_methods(["GET", "POST"])
def jury_proposal(request, slug, public_id):
    """Declare a conflict of interest first; only with none declared, read and score."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    challenge = get_object_or_404(Challenge.objects.public(), slug=slug)
    member = _appointed_member(request, challenge)
    if not _jury_sees_proposals(challenge):
        raise Http404
    proposal = get_object_or_404(_submitted(challenge).select_related("organisation"),
                                 public_id=public_id)
    declaration = ConflictDeclaration.objects.filter(jury_member=member,
                                                     proposal=proposal).first()
    action = request.POST.get("action") if request.method == "POST" else None
    if declaration is None or action == "declare":
        return _declaration_page(request, challenge, member, proposal, declaration)
    if declaration.has_conflict:
        return render(request, "challenges/jury/conflict.html", {
            "challenge": challenge, "proposal_name": proposal.organisation.name,
            "declaration": declaration,
        })
    return _scoring_page(request, challenge, member, proposal, declaration)


def _may_declare(challenge) -> bool:
    return (challenge.status in (Challenge.Status.CLOSED, Challenge.Status.IN_ASSESSMENT)
            and not challenge.ranking_is_final)


def _declaration_page(request, challenge, member, proposal, declaration):
    """The declaration, before any content. Someone who declared no conflict may still
    declare one later (their scores for it are then removed); a conflict is final."""
    form = ConflictDeclarationForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.conflict_declare(
                    jury_member=member, proposal=proposal,
                    has_conflict=form.cleaned_data["has_conflict"],
                    explanation=form.cleaned_data["explanation"])
            except ValidationError as error:
                apply_validation_error(form, error)
            except PermissionDenied:
                raise Http404 from None
            else:
                return _declared(request, challenge, proposal, form.cleaned_data["has_conflict"])
        status = 400
    if declaration is not None and not declaration.has_conflict and status == 400:
        messages.error(request, " ".join(
            str(error) for errors in form.errors.values() for error in errors))
        return redirect("challenges:jury_proposal", slug=challenge.slug,
                        public_id=proposal.public_id)
    return render(request, "challenges/jury/declare.html", {
        "challenge": challenge, "proposal_name": proposal.organisation.name,
        "proposal_id": proposal.public_id, "form": form, "may_declare": _may_declare(challenge),
    }, status=status)


def _declared(request, challenge, proposal, has_conflict: bool):
    if has_conflict:
        messages.success(request, _("Your conflict of interest has been recorded. You will not "
                                    "see or score this proposal."))
        return redirect("challenges:jury_overview", slug=challenge.slug)
    messages.success(request, _("Thank you. You can now read and score the proposal."))
    return redirect("challenges:jury_proposal", slug=challenge.slug,
                    public_id=proposal.public_id)


def _scoring_page(request, challenge, member, proposal, declaration):
    criteria = list(challenge.criteria.all())
    my_scores = list(Score.objects.filter(jury_member=member, proposal=proposal))
    can_score = (challenge.status == Challenge.Status.IN_ASSESSMENT
                 and rules.has_perm("challenges.score_proposal", request.user, proposal))
    status = 200
    if request.method == "POST":
        if not can_score:
            messages.error(request, _("Scores can be given only during the assessment, until "
                                      "the chair finalises the ranking."))
            return redirect("challenges:jury_proposal", slug=challenge.slug,
                            public_id=proposal.public_id)
        form = ScoreForm(request.POST, criteria=criteria)
        if form.is_valid():
            try:
                _save_scores(member, proposal, form.scores())
            except ValidationError as error:
                form.add_error(None, error)
            except PermissionDenied:
                messages.error(request, _("You cannot score this proposal."))
                return redirect("challenges:jury_overview", slug=challenge.slug)
            else:
                messages.success(request, _("Your scores for %(name)s have been saved. You can "
                                            "change them until the chair finalises the "
                                            "ranking.") % {"name": proposal.organisation.name})
                return redirect("challenges:jury_overview", slug=challenge.slug)
        status = 400
    else:
        form = ScoreForm(initial=ScoreForm.initial_for(my_scores), criteria=criteria)
    scores_by_criterion = {score.criterion_id: score for score in my_scores}
    response = render(request, "challenges/jury/proposal.html", {
        "challenge": challenge, "proposal": proposal, "declaration": declaration,
        "attachments": _attachments(proposal), "form": form, "can_score": can_score,
        "may_declare": _may_declare(challenge),
        "conflict_form": ConflictDeclarationForm(initial={"has_conflict": "yes"}),
        "my_scores": [(criterion, scores_by_criterion.get(criterion.pk))
                      for criterion in criteria],
    }, status=status)
    patch_cache_control(response, private=True, no_store=True)
    return response


@transaction.atomic
def _save_scores(member, proposal, scores):
    """All of the criteria or none: a half-saved score sheet would skew the ranking."""
    for criterion, score, motivation in scores:
        try:
            services.score_save(jury_member=member, proposal=proposal, criterion=criterion,
                                score=score, motivation=motivation)
        except ValidationError as error:
            raise ValidationError(_("“%(criterion)s”: %(error)s") % {
                "criterion": criterion.title, "error": messages_of(error)}) from error


@require_http_methods(["GET", "POST"])
def jury_ranking(request, slug):
    """The ranking from the weighted scores and the jury's progress; the chair finalises it and
    awards a proposal or decides not to award."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    challenge = get_object_or_404(Challenge.objects.public(), slug=slug)
    if not request.user.has_perm("challenges.view_jury_area", challenge):
        raise Http404
    member = jury_membership(request.user, challenge)
    proposals = list(_submitted(challenge).select_related("organisation")
                     .order_by("organisation__name", "pk"))
    forms = {"award": AwardForm(proposals=proposals, prefix="award"),
             "not_award": NotAwardForm(prefix="not_award")}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "finalise":
            return _finalise(request, challenge)
        if action not in forms:
            return redirect("challenges:jury_ranking", slug=challenge.slug)
        forms[action] = (AwardForm(request.POST, proposals=proposals, prefix="award")
                         if action == "award" else NotAwardForm(request.POST, prefix="not_award"))
        decide = _award if action == "award" else _not_award
        response = decide(request, challenge, forms[action])
        if response is not None:
            return response
        status = 400
    return render(request, "challenges/jury/ranking.html", {
        "challenge": challenge, "member": member,
        "criteria": list(challenge.criteria.all()),
        "ranking": selectors.ranking(challenge) if _jury_sees_proposals(challenge) else [],
        "progress": selectors.jury_progress(challenge),
        "conflicted": _conflicted_proposal_ids(member),
        **_decision_rights(request.user, challenge),
        "award_form": forms["award"], "not_award_form": forms["not_award"],
    }, status=status)


def _conflicted_proposal_ids(member) -> set[int]:
    if member is None:
        return set()
    return set(member.declarations.filter(has_conflict=True)
               .values_list("proposal_id", flat=True))


def _decision_rights(user, challenge) -> dict:
    undecided = challenge.status in (Challenge.Status.CLOSED, Challenge.Status.IN_ASSESSMENT)
    return {
        "can_finalise": undecided and rules.has_perm("challenges.finalise_ranking", user,
                                                     challenge),
        "can_award": undecided and challenge.ranking_is_final
        and rules.has_perm("challenges.award", user, challenge),
        "can_not_award": undecided and rules.has_perm("challenges.not_award", user, challenge),
    }


def _finalise(request, challenge):
    try:
        services.ranking_finalise(challenge=challenge, by=request.user)
    except ValidationError as error:
        messages.error(request, _("The ranking cannot be finalised yet:"))
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied:
        messages.error(request, _("Only the chair of the jury can finalise the ranking."))
    else:
        messages.success(request, _("The ranking is final. Scores can no longer be changed; "
                                    "you can now decide on the award."))
    return redirect("challenges:jury_ranking", slug=challenge.slug)


def _award(request, challenge, form):
    if not form.is_valid():
        return None
    try:
        services.challenge_award(challenge=challenge, by=request.user,
                                 proposal=form.chosen_proposal(),
                                 motivation=form.cleaned_data["motivation"])
    except ValidationError as error:
        apply_validation_error(form, error)
        return None
    except PermissionDenied:
        form.add_error(None, _("Only the chair of the jury can award the challenge."))
        return None
    messages.success(request, _(
        "The challenge has been awarded. Every organisation has received its outcome letter, "
        "and the pilot has been prepared in the pilot register for publication."))
    return redirect(challenge.get_absolute_url())


def _not_award(request, challenge, form):
    if not form.is_valid():
        return None
    try:
        services.challenge_not_award(challenge=challenge, by=request.user,
                                     motivation=form.cleaned_data["motivation"])
    except ValidationError as error:
        apply_validation_error(form, error)
        return None
    except PermissionDenied:
        form.add_error(None, _("Only the chair of the jury can decide this."))
        return None
    messages.success(request, _("The challenge has not been awarded. Every organisation has "
                                "received its outcome letter."))
    return redirect(challenge.get_absolute_url())

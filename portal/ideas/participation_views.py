"""Taking part in ideas: writing one (with images), "my ideas", appealing a rejection,
commenting, supporting, following and reporting.

Views parse the input, check the permission, call one service and render. The rules live in
portal/ideas/services.py and rules.py; resident-only gates use `rules.has_perm` (Django's
`user.has_perm` lets a superuser pass everything).
"""

import uuid

import rules
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.core.forms import apply_validation_error
from portal.core.ratelimit import RateLimited, rate_limit_check
from portal.ideas import services
from portal.ideas.forms import AppealForm, CommentForm, IdeaForm, ReportForm
from portal.ideas.models import Appeal, Comment, Idea, IdeaEvent, IdeaImage, Moderation, Report

Action = IdeaEvent.Action

# Moderation decisions whose statement the author reads on "my ideas" and the edit page.
AUTHOR_DECISIONS = (Action.REJECT, Action.REQUEST_CHANGES, Action.APPEAL_DISMISSED)
MY_IDEAS_PER_PAGE = 25
# Service error codes about the comment replied to: the text is offered as a new comment.
PARENT_ERROR_CODES = {"reply_depth", "parent_hidden", "wrong_idea"}


# --- small helpers -----------------------------------------------------------------------------


def _detail_url(idea: Idea, anchor: str = "") -> str:
    url = idea.get_absolute_url()
    return f"{url}#{anchor}" if anchor else url


def _public_idea(public_id) -> Idea:
    return get_object_or_404(Idea.objects.public(), public_id=public_id)


def _own_idea(request, public_id) -> Idea:
    """The logged-in person's own idea in any state; 404 for everyone else's."""
    return get_object_or_404(
        Idea.objects.select_related("neighbourhood"), public_id=public_id, author=request.user,
    )


def _latest_decision(idea: Idea) -> IdeaEvent | None:
    return (
        idea.events.filter(action__in=AUTHOR_DECISIONS, comment__isnull=True)
        .order_by("-created_at", "-pk").first()
    )


def _notice(request, *, heading, paragraphs, links=(), status=200):
    """A short page that explains why something cannot be done, and what can."""
    return render(request, "ideas/participation_notice.html", {
        "heading": heading, "paragraphs": paragraphs, "links": links,
    }, status=status)


def _messages_of(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _codes_of(error: ValidationError) -> set:
    if hasattr(error, "error_dict"):
        return set()
    return {item.code for item in error.error_list}


def _residents_only(request):
    return _notice(
        request,
        heading=_("Ideas are written by residents"),
        paragraphs=[
            _("Residents of the municipality write ideas after logging in with DigiD."),
            _("You are logged in with an e-mail account, for organisations and staff. To write "
              "an idea as a resident, log out and log in again with DigiD."),
        ],
        links=[(reverse("area-ideas"), _("Read the ideas of residents"))],
        status=403,
    )


def _map_settings() -> dict:
    south, west, north, east = settings.MAP_BOUNDS
    return {
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "center": ",".join(str(value) for value in settings.MAP_CENTER),
        "bounds": ",".join(str(value) for value in (south, west, north, east)),
    }


def _consent_url(next_url: str) -> str:
    return (reverse("consent:give", kwargs={"purpose_code": services.AUTHOR_NAME_PURPOSE})
            + "?" + urlencode({"next": next_url}))


# --- writing an idea ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def idea_create(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not rules.has_perm("ideas.add_idea", request.user):
        return _residents_only(request)
    return _idea_form(request, idea=None)


@require_http_methods(["GET", "POST"])
def idea_edit(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    idea = _own_idea(request, public_id)
    if not rules.has_perm("ideas.change_idea", request.user, idea):
        return _not_editable(request, idea)
    return _idea_form(request, idea=idea)


def _not_editable(request, idea: Idea):
    links = [(reverse("ideas:mine"), _("Go to my ideas"))]
    if idea.moderation == Moderation.REJECTED and not Appeal.objects.filter(idea=idea).exists():
        links.insert(0, (reverse("ideas:appeal", kwargs={"public_id": idea.public_id}),
                         _("Appeal the decision")))
    if idea.is_public:
        links.insert(0, (idea.get_absolute_url(), _("View your idea")))
    return _notice(
        request,
        heading=_("This idea can no longer be changed"),
        paragraphs=[
            _("Your idea “%(title)s” is now: %(state)s.") % {
                "title": idea.title, "state": idea.display_state},
            _("You can change an idea while it is a draft, or when a moderator has asked you "
              "to change it."),
        ],
        links=links,
    )


def _idea_form(request, *, idea: Idea | None):
    image_slots = services.IMAGE_MAX_COUNT - (idea.images.count() if idea else 0)
    if request.method == "GET":
        form = IdeaForm(initial=IdeaForm.initial_for(idea) if idea else None,
                        image_slots=image_slots)
        return _render_idea_form(request, form, idea)

    form = IdeaForm(request.POST, request.FILES, image_slots=image_slots)
    submitting = request.POST.get("action") == "submit"
    if idea is None or submitting:
        try:
            rate_limit_check(request, "ideas.submit")
        except RateLimited as limited:
            form.full_clean()
            form.add_error(None, limited.message)
            return _render_idea_form(request, form, idea, status=429)
    if not form.is_valid():
        return _render_idea_form(request, form, idea, status=400)

    wants_name = form.cleaned_data.get("show_author_name", False)
    try:
        idea, name_refused = _save_idea(request.user, idea, form.idea_fields(), wants_name)
    except ValidationError as error:
        apply_validation_error(form, error)
        return _render_idea_form(request, form, idea, status=400)

    image_errors = []
    for _number, upload, alt_text in form.uploads():
        try:
            services.idea_image_add(idea=idea, by=request.user, upload=upload, alt_text=alt_text)
        except ValidationError as error:
            image_errors.append((upload.name, error))

    if name_refused or image_errors:
        return _saved_with_problems(request, idea, wants_name=wants_name,
                                    name_refused=name_refused, image_errors=image_errors,
                                    submitting=submitting)
    if submitting:
        return _submit_and_redirect(request, idea)
    messages.success(request, _("Your draft has been saved. You can change it, or submit it "
                                "when it is ready."))
    return redirect("ideas:edit", public_id=idea.public_id)


def _save_idea(user, idea, fields, wants_name) -> tuple[Idea, bool]:
    """Create or update the draft. Without consent to show the name, save it anonymously;
    returns (idea, whether the name was refused)."""
    try:
        return _write_idea(user, idea, fields, wants_name), False
    except ValidationError as error:
        if not (wants_name and "show_author_name" in getattr(error, "error_dict", {})):
            raise
        consent_error = error
    try:
        return _write_idea(user, idea, fields, False), True
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise ValidationError({**error.error_dict, **consent_error.error_dict}) from error
        raise


def _write_idea(user, idea, fields, show_author_name) -> Idea:
    if idea is None:
        return services.idea_create(author=user, show_author_name=show_author_name, **fields)
    return services.idea_update(idea=idea, by=user, show_author_name=show_author_name, **fields)


def _saved_with_problems(request, idea, *, wants_name, name_refused, image_errors, submitting):
    """The draft is saved, but the name could not be shown or an image was refused: show the
    edit form again (as saved) with what went wrong, and do not submit yet."""
    data = {
        "title": idea.title, "body": idea.body, "theme": idea.theme,
        "neighbourhood": idea.neighbourhood_id or "",
        "latitude": "" if idea.latitude is None else str(idea.latitude),
        "longitude": "" if idea.longitude is None else str(idea.longitude),
    }
    if wants_name:
        data["show_author_name"] = "on"
    form = IdeaForm(data, image_slots=services.IMAGE_MAX_COUNT - idea.images.count())
    form.full_clean()
    if name_refused:
        form.add_error("show_author_name", _(
            "To show your name you first give consent for that. Untick the box to publish as "
            "an anonymous resident."))
        messages.warning(request, _("Your draft has been saved without your name."))
    for index, (name, error) in enumerate(image_errors, start=1):
        field = f"image_{index}" if index <= form.image_slots else None
        form.add_error(field, _("“%(name)s” was not added: %(error)s") % {
            "name": name, "error": _messages_of(error)})
    if image_errors:
        messages.warning(request, _("Your draft has been saved, but not every image could be "
                                    "added."))
    if submitting:
        messages.warning(request, _("Your idea has not been submitted yet: look at the "
                                    "remarks below, then submit it."))
    return _render_idea_form(request, form, idea, status=400 if image_errors else 200,
                             action_url=reverse("ideas:edit",
                                                kwargs={"public_id": idea.public_id}),
                             lost_uploads=False)


def _render_idea_form(request, form, idea, *, status=200, action_url=None, lost_uploads=None):
    form_url = action_url or request.path
    if lost_uploads is None:  # chosen files are not kept when the form comes back with errors
        lost_uploads = bool(request.FILES) and status != 200
    context = {
        "form": form,
        "idea": idea,
        "action_url": form_url,
        "consent_url": _consent_url(form_url),
        "consent_needed": "show_author_name" in form.errors,
        "images": list(idea.images.all()) if idea else [],
        "decision": (_latest_decision(idea)
                     if idea and idea.moderation == Moderation.CHANGES_REQUESTED else None),
        "lost_uploads": lost_uploads,
        "image_max": services.IMAGE_MAX_COUNT,
        "map": _map_settings(),
    }
    return render(request, "ideas/idea_form.html", context, status=status)


def _submit_and_redirect(request, idea: Idea):
    try:
        idea = services.idea_submit(idea=idea, by=request.user)
    except ValidationError as error:
        messages.error(request, _messages_of(error))
        return redirect("ideas:mine")
    if idea.moderation == Moderation.PUBLISHED:
        messages.success(request, _("Thank you! Your idea has been published."))
        return redirect(idea)
    messages.success(request, _(
        "Thank you! Your idea has been submitted. A moderator will look at it, usually within "
        "2 working days. You will get a message when it has been published."))
    return redirect("ideas:mine")


@require_POST
def idea_submit(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("ideas:mine"))
    idea = _own_idea(request, public_id)
    try:
        rate_limit_check(request, "ideas.submit")
    except RateLimited as limited:
        return _notice(
            request, heading=_("Please try again later"),
            paragraphs=[limited.message, _("Your idea is still saved as a draft.")],
            links=[(reverse("ideas:mine"), _("Go to my ideas"))], status=429,
        )
    return _submit_and_redirect(request, idea)


@require_http_methods(["GET", "POST"])
def idea_delete(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    idea = _own_idea(request, public_id)
    if idea.moderation != Moderation.DRAFT:
        return _notice(
            request, heading=_("Only a draft can be deleted"),
            paragraphs=[_("Your idea “%(title)s” has been submitted, so it stays. You can ask "
                          "the municipality to remove it through “My data”.")
                        % {"title": idea.title}],
            links=[(reverse("ideas:mine"), _("Go to my ideas"))],
        )
    if request.method == "POST":
        try:
            services.idea_delete_draft(idea=idea, by=request.user)
        except ValidationError as error:
            messages.error(request, _messages_of(error))
        else:
            messages.success(request, _("Your draft “%(title)s” has been deleted.")
                             % {"title": idea.title})
        return redirect("ideas:mine")
    return render(request, "ideas/idea_confirm_delete.html", {"idea": idea})


@require_POST
def image_delete(request, public_id, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("ideas:mine"))
    idea = _own_idea(request, public_id)
    image = get_object_or_404(IdeaImage, pk=pk, idea=idea)
    try:
        services.idea_image_delete(image=image, by=request.user)
    except PermissionDenied:
        messages.error(request, _("This idea can no longer be changed."))
        return redirect("ideas:mine")
    messages.success(request, _("The image “%(alt)s” has been removed.") % {"alt": image.alt_text})
    return redirect("ideas:edit", public_id=idea.public_id)


# --- my ideas and appeals ----------------------------------------------------------------------


@require_GET
def my_ideas(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    ideas = (
        Idea.objects.filter(author=request.user)
        .select_related("neighbourhood", "appeal")
        .prefetch_related(Prefetch(
            "events",
            queryset=IdeaEvent.objects.filter(action__in=AUTHOR_DECISIONS, comment__isnull=True)
            .order_by("-created_at", "-pk"),
            to_attr="author_decisions",
        ))
        .order_by("-updated_at", "-pk")
    )
    page = Paginator(ideas, MY_IDEAS_PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for idea in page:
        state = idea.moderation
        has_appeal = _has_appeal(idea)
        rows.append({
            "idea": idea,
            "decision": (idea.author_decisions[0] if idea.author_decisions and state in (
                Moderation.REJECTED, Moderation.CHANGES_REQUESTED) else None),
            "can_edit": state in (Moderation.DRAFT, Moderation.CHANGES_REQUESTED),
            "can_delete": state == Moderation.DRAFT,
            "can_appeal": state == Moderation.REJECTED and not has_appeal,
            "appeal": idea.appeal if has_appeal else None,
        })
    return render(request, "ideas/my_ideas.html", {
        "rows": rows,
        "page_obj": page,
        "can_add": rules.has_perm("ideas.add_idea", request.user),
    })


def _has_appeal(idea: Idea) -> bool:
    try:
        idea.appeal  # noqa: B018 - selected with the idea; a missing one raises
    except Appeal.DoesNotExist:
        return False
    return True


@require_http_methods(["GET", "POST"])
def idea_appeal(request, public_id):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    idea = _own_idea(request, public_id)
    if not rules.has_perm("ideas.appeal_rejection", request.user, idea):
        return _cannot_appeal(request, idea)
    form = AppealForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.idea_appeal(idea=idea, by=request.user, text=form.cleaned_data["text"])
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _(
                    "Your appeal has been received. A moderator who did not take the first "
                    "decision will look at it. You will get a message with the outcome."))
                return redirect("ideas:mine")
        status = 400
    return render(request, "ideas/appeal_form.html", {
        "idea": idea, "form": form, "decision": _latest_decision(idea),
    }, status=status)


def _cannot_appeal(request, idea: Idea):
    appeal = Appeal.objects.filter(idea=idea).first()
    links = [(reverse("ideas:mine"), _("Go to my ideas"))]
    if appeal is None:
        return _notice(
            request, heading=_("There is nothing to appeal"),
            paragraphs=[_("Only a rejected idea can be appealed. Your idea “%(title)s” is now: "
                          "%(state)s.") % {"title": idea.title, "state": idea.display_state}],
            links=links,
        )
    if appeal.decided_at is None:
        outcome = _("A moderator who did not take the first decision will decide on it. You "
                    "will get a message with the outcome.")
    else:
        outcome = _("Your appeal has been decided: see “My ideas” for the outcome.")
    return _notice(
        request, heading=_("You have already appealed"),
        paragraphs=[_("You can appeal a decision on an idea only once."), outcome],
        links=links,
    )


# --- comments ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def comment_create(request, public_id):
    idea = _public_idea(public_id)
    if request.method == "GET":
        return redirect(_detail_url(idea, "comments"))
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(idea, "comments"))
    form = CommentForm(request.POST)
    try:
        rate_limit_check(request, "ideas.comment")
    except RateLimited as limited:
        form.full_clean()
        form.add_error(None, limited.message)
        return _render_comment_form(request, idea, form, status=429)
    if not form.is_valid():
        if "parent" in form.errors:
            return _comment_without_parent(request, idea, form, _(
                "The comment you replied to is no longer there."))
        return _render_comment_form(request, idea, form, status=400)

    parent = None
    parent_id = form.cleaned_data["parent"]
    if parent_id:
        parent = Comment.objects.filter(idea=idea, public_id=parent_id).first()
        if parent is None:
            return _comment_without_parent(request, idea, form, _(
                "The comment you replied to is no longer there."))
    try:
        comment = services.comment_create(idea=idea, author=request.user,
                                          body=form.cleaned_data["body"], parent=parent)
    except ValidationError as error:
        if _codes_of(error) & PARENT_ERROR_CODES:
            return _comment_without_parent(request, idea, form, _messages_of(error))
        apply_validation_error(form, error)
        return _render_comment_form(request, idea, form, status=400)
    if comment.is_public:
        messages.success(request, _("Your comment has been placed."))
    else:
        messages.success(request, _(
            "Thank you. Your comment will be shown after a moderator has looked at it; until "
            "then only you can see it."))
    return redirect(_detail_url(idea, f"comment-{comment.public_id}"))


def _comment_without_parent(request, idea, form, reason):
    """The reply cannot be placed under that comment: offer the text as a new comment."""
    data = {"body": form.data.get("body", "")}
    retry = CommentForm(data)
    retry.full_clean()
    retry.add_error(None, reason + " " + _("Your text is below: you can place it as a new "
                                           "comment on the idea."))
    return _render_comment_form(request, idea, retry, status=400)


def _render_comment_form(request, idea, form, *, status):
    parent = None
    parent_id = form.cleaned_data.get("parent") if hasattr(form, "cleaned_data") else None
    if parent_id:
        parent = (Comment.objects.public().select_related("author")
                  .filter(idea=idea, public_id=parent_id).first())
    return render(request, "ideas/comment_form.html",
                  {"idea": idea, "form": form, "parent": parent}, status=status)


# --- support and following ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def idea_support(request, public_id):
    idea = _public_idea(public_id)
    if request.method == "GET":
        return redirect(_detail_url(idea, "support"))
    user = request.user
    if not user.is_authenticated:
        messages.info(request, _("Log in with DigiD (level midden or higher) to support ideas."))
        return redirect_to_login(_detail_url(idea, "support"), reverse("digid:login"))
    if not rules.has_perm("ideas.support_idea", user, idea):
        if getattr(user, "is_resident", False):
            messages.warning(request, _(
                "Supporting an idea needs DigiD level midden or higher. Log in again with "
                "DigiD at that level."))
            return redirect_to_login(_detail_url(idea, "support"), reverse("digid:login"))
        return _notice(
            request, heading=_("Only residents can support ideas"),
            paragraphs=[
                _("Residents who logged in with DigiD (level midden or higher) can support an "
                  "idea, once per idea."),
                _("You are logged in with an e-mail account, for organisations and staff. You "
                  "can follow the idea and respond to it."),
            ],
            links=[(idea.get_absolute_url(), _("Back to the idea"))], status=403,
        )
    try:
        rate_limit_check(request, "ideas.support")
    except RateLimited as limited:
        return _notice(request, heading=_("Please try again later"),
                       paragraphs=[limited.message],
                       links=[(idea.get_absolute_url(), _("Back to the idea"))], status=429)
    try:
        services.idea_support(idea=idea, user=user)
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, _("Thank you for supporting this idea."))
    return redirect(_detail_url(idea, "support"))


@require_http_methods(["GET", "POST"])
def idea_unsupport(request, public_id):
    idea = _public_idea(public_id)
    if request.method == "GET":
        return redirect(_detail_url(idea, "support"))
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(idea, "support"))
    if services.idea_support_withdraw(idea=idea, user=request.user):
        messages.success(request, _("Your support has been withdrawn."))
    else:
        messages.info(request, _("You did not support this idea."))
    return redirect(_detail_url(idea, "support"))


@require_http_methods(["GET", "POST"])
def idea_follow(request, public_id):
    idea = _public_idea(public_id)
    if request.method == "GET":
        return redirect(_detail_url(idea, "support"))
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(idea, "support"))
    try:
        services.idea_follow(idea=idea, user=request.user)
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    else:
        messages.success(request, _("You now follow this idea. You will get a message when its "
                                    "status changes."))
    return redirect(_detail_url(idea, "support"))


@require_http_methods(["GET", "POST"])
def idea_unfollow(request, public_id):
    idea = _public_idea(public_id)
    if request.method == "GET":
        return redirect(_detail_url(idea, "support"))
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(idea, "support"))
    if services.idea_unfollow(idea=idea, user=request.user):
        messages.success(request, _("You no longer follow this idea."))
    else:
        messages.info(request, _("You did not follow this idea."))
    return redirect(_detail_url(idea, "support"))


# --- reports -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report_create(request, public_id):
    idea = _public_idea(public_id)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    comment = None
    comment_ref = request.GET.get("reactie", "")
    if comment_ref:
        try:
            comment_uuid = uuid.UUID(comment_ref)
        except ValueError as error:
            raise Http404 from error
        comment = get_object_or_404(Comment.objects.public().select_related("author"),
                                    idea=idea, public_id=comment_uuid)
    context = {
        "idea": idea,
        "comment": comment,
        "back_url": _detail_url(idea, f"comment-{comment.public_id}" if comment else ""),
        "already": Report.objects.filter(reporter=request.user, idea=idea,
                                         comment=comment).exists(),
    }
    if context["already"]:
        return render(request, "ideas/report_form.html", context)
    form = ReportForm(request.POST or None)
    context["form"] = form
    if request.method == "GET":
        return render(request, "ideas/report_form.html", context)
    try:
        rate_limit_check(request, "ideas.report")
    except RateLimited as limited:
        form.full_clean()
        form.add_error(None, limited.message)
        return render(request, "ideas/report_form.html", context, status=429)
    if form.is_valid():
        try:
            services.report_create(reporter=request.user, idea=idea, comment=comment,
                                   reason_code=form.cleaned_data["reason_code"],
                                   explanation=form.cleaned_data["explanation"])
        except ValidationError as error:
            if "already_reported" in _codes_of(error):
                context["already"] = True
                return render(request, "ideas/report_form.html", context)
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Thank you for your report. A moderator will look at "
                                        "it."))
            return redirect(context["back_url"])
    return render(request, "ideas/report_form.html", context, status=400)

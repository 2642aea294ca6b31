"""HTML pages of the algorithm register. Permissions come from rules.py; writes go through
services; reads through selectors."""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView, TemplateView
from rules.contrib.views import PermissionRequiredMixin

from registry import selectors, services, standard
from registry.forms import FORM_FIELDS, AlgorithmFilterForm, AlgorithmVersionForm, ReasonForm
from registry.models import Algorithm, AlgorithmVersion

State = AlgorithmVersion.State

# The detail page: the standard's tabs as sections, then the municipality's own fields.
SECTIONS = [
    ("general", gettext_lazy("General information"), [
        "description_short", "organization", "category", "status", "begin_date", "end_date",
        "contact_email", "website", "publication_category", "url",
    ]),
    ("responsible-use", gettext_lazy("Responsible use"), [
        "goal", "proportionality", "human_intervention", "risks", "lawful_basis",
        "lawful_basis_grouping", "process_index_url", "impacttoetsen_grouping", "impacttoetsen",
    ]),
    ("operation", gettext_lazy("How it works"), [
        "source_data", "source_data_grouping", "methods_and_models", "provider", "publiccode",
    ]),
    ("municipal", gettext_lazy("Municipal additions"), [
        "department", "accountable_role", "objection_procedure", "monitoring",
        "next_review_date",
    ]),
]
MUNICIPAL_FIELDS = frozenset(SECTIONS[-1][2])
KINDS = {
    "category": "list",
    "lawful_basis_grouping": "links",
    "impacttoetsen_grouping": "links",
    "source_data_grouping": "links",
    "website": "url",
    "url": "url",
    "process_index_url": "url",
    "publiccode": "url",
    "contact_email": "contact",
    "next_review_date": "date",
}


def version_sections(version: AlgorithmVersion) -> list[dict]:
    """The rows to show: always-shown fields (empty ones say so) and filled optional ones."""
    sections = []
    for anchor, title, fields in SECTIONS:
        rows = []
        for field in fields:
            value = getattr(version, field)
            empty = value in (None, "", [])
            if empty and field not in standard.ALWAYS_SHOWN and field not in MUNICIPAL_FIELDS:
                continue
            label = str(AlgorithmVersion._meta.get_field(field).verbose_name)
            rows.append({
                "key": field,
                "label": label[:1].upper() + label[1:],
                "value": value,
                "empty": empty,
                "kind": KINDS.get(field, "text"),
            })
        sections.append({"anchor": anchor, "title": title, "rows": rows})
    return sections


def _error_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{_field_label(field)}: {' '.join(messages_)}" if field != "__all__"
            else " ".join(messages_)
            for field, messages_ in error.message_dict.items()
        )
    return " ".join(error.messages)


def _field_label(field: str) -> str:
    try:
        label = str(AlgorithmVersion._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # e.g. "reason"
        return _("Reason") if field == "reason" else field
    return label[:1].upper() + label[1:]


def _apply_validation_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class AlgorithmMixin:
    @cached_property
    def algorithm(self) -> Algorithm:
        return get_object_or_404(
            Algorithm.objects.select_related("current_version"), slug=self.kwargs["slug"]
        )

    @cached_property
    def open_version(self) -> AlgorithmVersion | None:
        return selectors.algorithm_open_version(algorithm=self.algorithm)

    def get_permission_object(self):
        return self.algorithm


class AlgorithmListView(ListView):
    template_name = "registry/algorithm_list.html"
    context_object_name = "algorithms"
    paginate_by = 50

    @cached_property
    def filter_form(self):
        return AlgorithmFilterForm(self.request.GET or None)

    def get_queryset(self):
        return selectors.algorithm_public_list(**self.filter_form.filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["filter_form"] = self.filter_form
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        context["is_filtered"] = any(self.filter_form.filters().values())
        context["can_add"] = user.has_perm("registry.add_algorithm")
        if user.has_perm("registry.view_algorithm_drafts"):
            context["open_versions"] = list(selectors.algorithm_open_versions()[:100])
        return context


class AlgorithmDetailView(AlgorithmMixin, TemplateView):
    """The public record: the latest published version, or the version in progress (`concept/`)
    for civil servants."""

    template_name = "registry/algorithm_detail.html"
    show_draft = False

    def get(self, request, *args, **kwargs):
        if self.show_draft:
            if self.open_version is None:
                return redirect(self.algorithm)
        elif self.algorithm.current_version is None:
            if request.user.has_perm("registry.view_algorithm_drafts"):
                return redirect("registry:algorithm_draft", slug=self.algorithm.slug)
            raise Http404
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        algorithm = self.algorithm
        version = self.open_version if self.show_draft else algorithm.current_version
        can_view_drafts = user.has_perm("registry.view_algorithm_drafts")
        open_version = self.open_version if can_view_drafts else None
        context.update({
            "algorithm": algorithm,
            "version": version,
            "is_draft_view": self.show_draft,
            "sections": version_sections(version),
            "open_version": open_version,
            "can_edit": user.has_perm("registry.change_algorithm_draft", algorithm)
            and (open_version is None or open_version.state == State.DRAFT),
            "can_submit": open_version is not None and open_version.state == State.DRAFT
            and user.has_perm("registry.submit_algorithm", open_version),
            "can_publish": open_version is not None and open_version.state == State.SUBMITTED
            and user.has_perm("registry.publish_algorithm", open_version)
            and open_version.submitted_by_id != user.pk,
            "is_own_submission": open_version is not None
            and open_version.state == State.SUBMITTED and open_version.submitted_by_id == user.pk,
            "can_withdraw": algorithm.current_version is not None
            and algorithm.current_version.state == State.PUBLISHED
            and user.has_perm("registry.withdraw_algorithm", algorithm),
            "reason_form": ReasonForm(),
        })
        return context


class AlgorithmDraftView(PermissionRequiredMixin, AlgorithmDetailView):
    """The version in progress (draft or awaiting approval), for civil servants."""

    permission_required = "registry.view_algorithm_drafts"
    show_draft = True


class AlgorithmFormMixin(AlgorithmMixin):
    template_name = "registry/algorithm_form.html"

    def render_form(self, form, status=200):
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["fieldsets"] = kwargs["form"].fieldsets()
        return context


class AlgorithmCreateView(PermissionRequiredMixin, AlgorithmFormMixin, TemplateView):
    permission_required = "registry.add_algorithm"

    def get_permission_object(self):
        return None

    def get(self, request, *args, **kwargs):
        return self.render_form(AlgorithmVersionForm(instance=AlgorithmVersion()))

    def post(self, request, *args, **kwargs):
        form = AlgorithmVersionForm(request.POST, instance=AlgorithmVersion())
        if form.is_valid():
            try:
                algorithm = services.algorithm_create(by=request.user, **_content(form))
            except ValidationError as error:
                _apply_validation_error(form, error)
            else:
                messages.success(request, _("The draft has been saved."))
                return redirect("registry:algorithm_draft", slug=algorithm.slug)
        return self.render_form(form, status=400)


def _content(form) -> dict:
    return {field: form.cleaned_data[field] for field in FORM_FIELDS}


class AlgorithmUpdateView(PermissionRequiredMixin, AlgorithmFormMixin, TemplateView):
    """Edit the draft; for a published algorithm, saving makes a new draft version."""

    permission_required = "registry.change_algorithm_draft"

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        open_version = self.open_version
        if open_version is not None and open_version.state != State.DRAFT:
            messages.warning(request, _(
                "This version is awaiting approval and cannot be changed. Ask a colleague to "
                "send it back to draft first."
            ))
            return redirect("registry:algorithm_draft", slug=self.algorithm.slug)
        return super().dispatch(request, *args, **kwargs)

    @property
    def source(self) -> AlgorithmVersion:
        return self.open_version or self.algorithm.current_version

    def _blank_instance(self) -> AlgorithmVersion:
        source = self.source
        return AlgorithmVersion(
            **{field: getattr(source, field) for field in AlgorithmVersion.CONTENT_FIELDS}
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["algorithm"] = self.algorithm
        context["makes_new_version"] = self.open_version is None
        return context

    def get(self, request, *args, **kwargs):
        return self.render_form(AlgorithmVersionForm(instance=self._blank_instance()))

    def post(self, request, *args, **kwargs):
        form = AlgorithmVersionForm(request.POST, instance=self._blank_instance())
        if form.is_valid():
            try:
                if self.open_version is None:
                    services.algorithm_new_draft(
                        algorithm=self.algorithm, by=request.user, **_content(form)
                    )
                else:
                    services.algorithm_version_update(
                        version=self.open_version, by=request.user, **_content(form)
                    )
            except ValidationError as error:
                _apply_validation_error(form, error)
            else:
                messages.success(request, _("The draft has been saved."))
                return redirect("registry:algorithm_draft", slug=self.algorithm.slug)
        return self.render_form(form, status=400)


class TransitionView(PermissionRequiredMixin, AlgorithmMixin, View):
    """POST only: one workflow step. Errors come back as a message on the record's page."""

    http_method_names = ["post"]
    needs_reason = False
    success_message = ""

    def target(self):
        return self.open_version

    def get_permission_object(self):
        return self.target() or self.algorithm

    def post(self, request, *args, **kwargs):
        reason = ""
        if self.needs_reason:
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give a reason (at most 2000 characters)."))
                return self.redirect_back()
            reason = form.cleaned_data["reason"]
        try:
            self.perform(reason=reason)
        except ValidationError as error:
            messages.error(request, _error_message(error))
        else:
            messages.success(request, self.success_message)
        return self.redirect_back()

    def redirect_back(self):
        algorithm = Algorithm.objects.get(pk=self.algorithm.pk)
        if selectors.algorithm_open_version(algorithm=algorithm) is not None or (
            algorithm.current_version_id is None
        ):
            return redirect("registry:algorithm_draft", slug=algorithm.slug)
        return redirect(algorithm)

    def require_open(self):
        if self.open_version is None:
            raise ValidationError(_("There is no version in progress."))
        return self.open_version


class AlgorithmSubmitView(TransitionView):
    permission_required = "registry.submit_algorithm"
    success_message = gettext_lazy("The version has been submitted for approval.")

    def perform(self, *, reason):
        services.algorithm_version_submit(version=self.require_open(), by=self.request.user)


class AlgorithmPublishView(TransitionView):
    permission_required = "registry.publish_algorithm"
    success_message = gettext_lazy("The version has been published.")

    def perform(self, *, reason):
        services.algorithm_version_publish(version=self.require_open(), by=self.request.user)


class AlgorithmRejectView(TransitionView):
    permission_required = "registry.publish_algorithm"
    needs_reason = True
    success_message = gettext_lazy("The version has been sent back to draft.")

    def perform(self, *, reason):
        services.algorithm_version_reject(
            version=self.require_open(), by=self.request.user, reason=reason
        )


class AlgorithmWithdrawView(TransitionView):
    permission_required = "registry.withdraw_algorithm"
    needs_reason = True
    success_message = gettext_lazy("The publication has been withdrawn.")

    def target(self):
        return None

    def perform(self, *, reason):
        services.algorithm_withdraw(algorithm=self.algorithm, by=self.request.user,
                                    reason=reason)


class AlgorithmHistoryView(AlgorithmMixin, TemplateView):
    """Every published version with what changed, and the timeline of events."""

    template_name = "registry/algorithm_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        can_view_drafts = user.has_perm("registry.view_algorithm_drafts")
        if self.algorithm.current_version is None and not can_view_drafts:
            raise Http404
        versions = list(selectors.algorithm_published_versions(algorithm=self.algorithm))
        entries = []
        for index, version in enumerate(versions):
            previous = versions[index + 1] if index + 1 < len(versions) else None
            entries.append({
                "version": version,
                "changes": selectors.version_diff(previous, version) if previous else None,
                "previous": previous,
            })
        context.update({
            "algorithm": self.algorithm,
            "version": self.algorithm.current_version,
            "entries": entries,
            "events": selectors.algorithm_events(
                algorithm=self.algorithm, include_internal=can_view_drafts
            ),
        })
        return context

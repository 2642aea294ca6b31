"""HTML pages of the registers (algorithms; pilots at the end). Permissions come from
rules.py; writes go through services; reads through selectors."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView, TemplateView
from rules.contrib.views import PermissionRequiredMixin

from portal.core.forms import apply_validation_error
from registry import maps, selectors, services, standard
from registry.forms import (
    FORM_FIELDS,
    AlgorithmFilterForm,
    AlgorithmVersionForm,
    EvaluationForm,
    KpiDefinitionForm,
    KpiForm,
    PilotFilterForm,
    PilotForm,
    ReasonForm,
    StatusChangeForm,
)
from registry.models import (
    Algorithm,
    AlgorithmVersion,
    Evaluation,
    Kpi,
    Pilot,
    PilotEvent,
    PilotVersion,
)

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


def _error_message(error: ValidationError, model=AlgorithmVersion) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{_field_label(field, model)}: {' '.join(messages_)}" if field != "__all__"
            else " ".join(messages_)
            for field, messages_ in error.message_dict.items()
        )
    return " ".join(error.messages)


def _field_label(field: str, model=AlgorithmVersion) -> str:
    try:
        label = str(model._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:  # e.g. "reason"
        return _("Reason") if field == "reason" else field
    return label[:1].upper() + label[1:]


def public_idea_links(target) -> list:
    """"You said, we did": the published ideas that led to this pilot or algorithm, in one
    query. The link lives in portal.ideas (`IdeaLink`); registry reads it through the reverse
    relation `idea_links` and never imports ideas."""
    return list(target.idea_links.filter(idea__moderation="published").select_related("idea")
                .order_by("created_at", "pk"))


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
            "pilots": list(algorithm.pilots.filter(state__in=Pilot.PUBLIC_STATES)
                           .order_by("title")),
            "idea_links": public_idea_links(algorithm),
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
                apply_validation_error(form, error)
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
                apply_validation_error(form, error)
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
        context.update({
            "algorithm": self.algorithm,
            "version": self.algorithm.current_version,
            "entries": selectors.version_history(selectors.published_versions(self.algorithm)),
            "events": selectors.algorithm_events(
                algorithm=self.algorithm, include_internal=can_view_drafts
            ),
        })
        return context


# --- the pilot register ----------------------------------------------------------------------

PilotStatus = Pilot.Status

PILOT_SECTIONS = [
    ("card", gettext_lazy("The pilot"), [
        "theme", "start_date", "planned_end_date", "neighbourhood", "latitude", "longitude",
        "department", "alderman", "budget", "next_review_date",
    ]),
    ("why-how", gettext_lazy("Why and how"), [
        "problem", "goal", "hypothesis", "intervention", "evaluation_design", "partners",
    ]),
    ("data", gettext_lazy("Data and privacy"), [
        "data_collected", "personal_data", "legal_basis", "dpia_link", "retention",
    ]),
]
PILOT_KINDS = {
    "start_date": "date", "planned_end_date": "date", "next_review_date": "date",
    "dpia_link": "url", "budget": "money", "personal_data": "bool",
}
PERSONAL_DATA_ONLY = frozenset({"legal_basis", "dpia_link", "retention"})


def pilot_sections(pilot: Pilot) -> list[dict]:
    sections = []
    for anchor, title, fields in PILOT_SECTIONS:
        rows = []
        for field in fields:
            if field in PERSONAL_DATA_ONLY and not pilot.personal_data:
                continue
            value = getattr(pilot, field)
            if field in ("latitude", "longitude") and value is None:
                continue
            rows.append({
                "key": field,
                "label": _field_label(field, Pilot),
                "value": value,
                "empty": value in (None, ""),
                "kind": PILOT_KINDS.get(field, "text"),
            })
        sections.append({"anchor": anchor, "title": title, "rows": rows})
    return sections


class PilotMixin:
    @cached_property
    def pilot(self) -> Pilot:
        pilot = get_object_or_404(Pilot.objects.select_related("current_version"),
                                  slug=self.kwargs["slug"])
        if not pilot.is_public and not self.request.user.has_perm("registry.view_pilot_drafts"):
            raise Http404
        return pilot

    @cached_property
    def open_version(self) -> PilotVersion | None:
        """The change in progress to the published pilot (civil servants only)."""
        if not self.pilot.is_public:
            return None
        return selectors.pilot_open_version(pilot=self.pilot)

    def get_permission_object(self):
        return self.pilot

    def version_url(self):
        return reverse("registry:pilot_version", kwargs={"slug": self.pilot.slug})


class PilotListView(ListView):
    template_name = "registry/pilot_list.html"
    context_object_name = "pilots"
    paginate_by = 50

    @cached_property
    def filter_form(self):
        return PilotFilterForm(self.request.GET or None,
                               departments=selectors.pilot_departments())

    def get_queryset(self):
        return selectors.pilot_public_list(**self.filter_form.filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update({
            "filter_form": self.filter_form,
            "query_string": query.urlencode(),
            "is_filtered": any(self.filter_form.filters().values()),
            "can_add": user.has_perm("registry.add_pilot"),
            "today": timezone.localdate(),
        })
        if user.has_perm("registry.view_pilot_drafts"):
            context["open_pilots"] = _in_progress_rows(
                list(selectors.pilot_open_list()[:100]),
                list(selectors.pilot_open_versions()[:100]),
            )[:100]
        return context


def _in_progress_rows(pilots, versions) -> list[dict]:
    """The pilot list's "in progress" panel: new pilots (drafts, awaiting approval) and changes
    to published pilots (versions in progress), most recently changed first."""
    rows = [{"title": pilot.title, "url": pilot.get_absolute_url(), "number": None,
             "state": pilot.state, "state_label": pilot.get_state_display(),
             "updated_at": pilot.updated_at} for pilot in pilots]
    rows += [{"title": version.title, "number": version.number, "state": version.state,
              "url": reverse("registry:pilot_version", kwargs={"slug": version.pilot.slug}),
              "state_label": version.get_state_display(), "updated_at": version.updated_at}
             for version in versions]
    return sorted(rows, key=lambda row: row["updated_at"], reverse=True)


def _sensor_project_links(pilot) -> list[tuple[str, str]]:
    """(url, name) of the sensor projects linked to this pilot, through the sensors app's
    reverse relation `sensor_projects` (no import of that app; none when it is not installed).
    One query."""
    related = getattr(pilot, "sensor_projects", None)
    if related is None:
        return []
    return [(project.get_absolute_url(), project.name)
            for project in related.only("slug", "name").order_by("name")]


class PilotDetailView(PilotMixin, TemplateView):
    template_name = "registry/pilot_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pilot = self.pilot
        staff = user.has_perm("registry.view_pilot_drafts")
        is_draft = pilot.state == Pilot.State.DRAFT
        open_version = self.open_version if staff else None
        context.update({
            "pilot": pilot,
            "open_version": open_version,
            "can_propose": pilot.state == Pilot.State.PUBLISHED
            and user.has_perm("registry.change_pilot_draft", pilot)
            and (open_version is None or open_version.state == Pilot.State.DRAFT),
            "sections": pilot_sections(pilot),
            "kpis": list(pilot.kpis.all()),
            "evaluations": list(selectors.pilot_evaluations(pilot=pilot, include_drafts=staff)),
            "events": list(selectors.pilot_events(pilot=pilot, include_internal=staff)),
            "algorithm_links": [
                (algorithm.get_absolute_url(), algorithm.current_version.name)
                for algorithm in pilot.algorithms.filter(current_version__isnull=False)
                .select_related("current_version")
            ],
            "sensor_project_links": _sensor_project_links(pilot),
            "staff": staff,
            "can_edit": is_draft and user.has_perm("registry.change_pilot_draft", pilot),
            "can_submit": is_draft and user.has_perm("registry.submit_pilot", pilot),
            "can_publish": pilot.state == Pilot.State.SUBMITTED
            and user.has_perm("registry.publish_pilot", pilot) and pilot.submitted_by_id != user.pk,
            "is_own_submission": pilot.state == Pilot.State.SUBMITTED
            and pilot.submitted_by_id == user.pk,
            "can_withdraw": pilot.state == Pilot.State.PUBLISHED
            and user.has_perm("registry.withdraw_pilot", pilot),
            "can_record": pilot.is_public and user.has_perm("registry.record_evaluation", pilot),
            "status_choices": [
                (status, PilotStatus(status).label)
                for status in services.STATUS_TRANSITIONS[PilotStatus(pilot.status)]
            ] if user.has_perm("registry.change_pilot_status", pilot) else [],
            "today": timezone.localdate(),
            "can_follow": pilot.is_public and user.has_perm("registry.follow_pilot"),
            "follows_pilot": pilot.is_public and user.is_authenticated
            and pilot.subscriptions.filter(user=user).exists(),
            "idea_links": public_idea_links(pilot),
        })
        context["status_choices"].sort(key=lambda choice: PilotStatus.values.index(choice[0]))
        return context


class ServiceFormView(PilotMixin, PermissionRequiredMixin, TemplateView):
    """A form whose valid data goes to one service; service errors land on the form."""

    template_name = "registry/pilot_form.html"
    form_class = None
    heading = ""
    lead = ""

    def get_form(self, data=None):
        return self.form_class(data, **self.get_form_kwargs())

    def get_form_kwargs(self):
        return {}

    def render_form(self, form, status=200):
        return self.render_to_response(self.get_context_data(form=form), status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update({"heading": self.heading, "lead": self.lead,
                        "pilot": self.pilot if "slug" in self.kwargs else None,
                        "fieldsets": kwargs["form"].fieldsets(),
                        "cancel_url": self.cancel_url()})
        return context

    def cancel_url(self):
        return self.pilot.get_absolute_url()

    def get(self, request, *args, **kwargs):
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                target = self.save(form)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect(target)
        return self.render_form(form, status=400)


def _pilot_content(form) -> dict:
    return {field: form.cleaned_data[field] for field in form.Meta.fields}


class PilotCreateView(ServiceFormView):
    permission_required = "registry.add_pilot"
    form_class = PilotForm
    heading = gettext_lazy("Describe a new pilot")
    lead = gettext_lazy("Describe the pilot for residents and council members, in plain "
                        "language (B1). You can save an incomplete draft.")
    success_message = gettext_lazy("The draft has been saved.")

    def get_permission_object(self):
        return None

    def cancel_url(self):
        return reverse("registry:pilot_list")

    def get_form_kwargs(self):
        return {"instance": Pilot()}

    def save(self, form):
        return services.pilot_create(by=self.request.user, **_pilot_content(form))


class DraftOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        if self.pilot.state != Pilot.State.DRAFT:
            if self.pilot.state == Pilot.State.PUBLISHED:
                messages.warning(request, _("This pilot has been published. Propose your "
                                            "changes as a new version."))
            else:
                messages.warning(request, _("Only a draft pilot can be changed. Ask a "
                                            "colleague to send it back to draft first."))
            return redirect(self.pilot)
        return super().dispatch(request, *args, **kwargs)


class PilotUpdateView(ServiceFormView):
    """Edit a draft pilot; for a published pilot, propose a change: a new version (or its
    draft in progress), which a colleague publishes."""

    permission_required = "registry.change_pilot_draft"
    form_class = PilotForm
    success_message = gettext_lazy("The draft has been saved.")

    @property
    def makes_version(self) -> bool:
        return self.pilot.state == Pilot.State.PUBLISHED

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        pilot, version = self.pilot, self.open_version
        if self.makes_version and version is not None and version.state != Pilot.State.DRAFT:
            messages.warning(request, _(
                "This version is awaiting approval and cannot be changed. Ask a colleague to "
                "send it back to draft first."
            ))
            return redirect(self.version_url())
        if pilot.state != Pilot.State.DRAFT and not self.makes_version:
            messages.warning(request, _("Only a draft pilot can be changed. Ask a colleague to "
                                        "send it back to draft first."))
            return redirect(pilot)
        return super().dispatch(request, *args, **kwargs)

    @property
    def heading(self):
        return _("Propose changes to the pilot") if self.makes_version else _("Edit the pilot")

    @property
    def lead(self):
        if not self.makes_version:
            return ""
        return _("The public keeps seeing the published version until a colleague approves and "
                 "publishes your changes. Status and evaluations are changed on the pilot's "
                 "page.")

    def cancel_url(self):
        return self.version_url() if self.open_version else self.pilot.get_absolute_url()

    def get_form_kwargs(self):
        version = self.open_version if self.makes_version else None
        if version is None:
            # A fresh copy: a failed save must not change the object the page shows.
            return {"instance": Pilot.objects.get(pk=self.pilot.pk)}
        slugs = [ref["slug"] for ref in version.algorithms]
        return {
            "instance": Pilot(**{field: getattr(version, field)
                                 for field in Pilot.CONTENT_FIELDS}),
            "initial": {"algorithms": list(Algorithm.objects.filter(slug__in=slugs)
                                           .values_list("pk", flat=True))},
        }

    def save(self, form):
        content = _pilot_content(form)
        if not self.makes_version:
            return services.pilot_update(pilot=self.pilot, by=self.request.user, **content)
        if self.open_version is None:
            services.pilot_new_draft(pilot=self.pilot, by=self.request.user, **content)
        else:
            services.pilot_version_update(version=self.open_version, by=self.request.user,
                                          **content)
        return self.version_url()


class KpiFormView(DraftOnlyMixin, ServiceFormView):
    permission_required = "registry.change_pilot_draft"
    form_class = KpiForm
    success_message = gettext_lazy("The KPI has been saved.")

    @cached_property
    def kpi(self):
        if "kpi_id" not in self.kwargs:
            return None
        return get_object_or_404(Kpi, pk=self.kwargs["kpi_id"], pilot=self.pilot)

    @property
    def heading(self):
        return _("Edit KPI") if self.kpi else _("Add a KPI")

    def get_form_kwargs(self):
        return {"instance": Kpi.objects.get(pk=self.kpi.pk) if self.kpi else Kpi()}

    def save(self, form):
        content = _pilot_content(form)
        if self.kpi:
            services.kpi_update(kpi=self.kpi, by=self.request.user, **content)
        else:
            services.kpi_add(pilot=self.pilot, by=self.request.user, **content)
        return self.pilot.get_absolute_url() + "#kpis"


class VersionKpiFormView(ServiceFormView):
    """Add a KPI to, or change a KPI's definition in, the draft version of a published pilot.
    The measured result and assessment are not part of it: evaluations set those."""

    permission_required = "registry.change_pilot_draft"
    form_class = KpiDefinitionForm
    success_message = gettext_lazy("The KPI has been saved.")

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        version = self.open_version
        if version is None or version.state != Pilot.State.DRAFT:
            messages.warning(request, _("KPIs of a published pilot are changed in a draft of a "
                                        "new version. Propose changes first."))
            return redirect(self.version_url() if version else self.pilot.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_permission_object(self):
        return self.open_version or self.pilot

    @cached_property
    def kpi(self):
        if "position" not in self.kwargs:
            return None
        kpis = self.open_version.kpi_objects()
        if not 1 <= self.kwargs["position"] <= len(kpis):
            raise Http404
        return kpis[self.kwargs["position"] - 1]

    @property
    def heading(self):
        return _("Edit KPI") if self.kpi else _("Add a KPI")

    def cancel_url(self):
        return self.version_url() + "#kpis"

    def get_form_kwargs(self):
        return {"instance": self.kpi or Kpi()}

    def save(self, form):
        services.pilot_version_kpi_save(
            version=self.open_version, by=self.request.user,
            position=self.kwargs.get("position"), **_pilot_content(form),
        )
        return self.version_url() + "#kpis"


class PilotVersionView(PilotMixin, PermissionRequiredMixin, TemplateView):
    """The change in progress to a published pilot (`concept/`), for civil servants: what
    changes compared with the published version, the proposed card and KPIs, the workflow."""

    template_name = "registry/pilot_version.html"
    permission_required = "registry.view_pilot_drafts"

    def get(self, request, *args, **kwargs):
        if self.open_version is None:
            return redirect(self.pilot)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, pilot, version = self.request.user, self.pilot, self.open_version
        is_draft = version.state == Pilot.State.DRAFT
        is_submitted = version.state == Pilot.State.SUBMITTED
        published = pilot.state == Pilot.State.PUBLISHED
        current = pilot.current_version
        context.update({
            "pilot": pilot,
            "version": version,
            "current": current,
            "changes": selectors.version_diff(current, version) if current else None,
            "sections": pilot_sections(version),
            "algorithm_links": [
                (reverse("registry:algorithm_detail", kwargs={"slug": ref["slug"]}), ref["name"])
                for ref in version.algorithms
            ],
            "kpis": version.kpi_objects(),
            "can_edit": published and is_draft
            and user.has_perm("registry.change_pilot_draft", version),
            "can_submit": published and is_draft
            and user.has_perm("registry.submit_pilot", version),
            "can_publish": published and is_submitted
            and user.has_perm("registry.publish_pilot", version)
            and version.submitted_by_id != user.pk,
            "can_reject": is_submitted and user.has_perm("registry.publish_pilot", version)
            and version.submitted_by_id != user.pk,
            "is_own_submission": is_submitted and version.submitted_by_id == user.pk,
        })
        return context


class PilotHistoryView(PilotMixin, TemplateView):
    """Every published version of the pilot with what changed, and the timeline."""

    template_name = "registry/pilot_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        staff = self.request.user.has_perm("registry.view_pilot_drafts")
        context.update({
            "pilot": self.pilot,
            "entries": selectors.version_history(selectors.published_versions(self.pilot)),
            "events": list(selectors.pilot_events(pilot=self.pilot, include_internal=staff)),
            "staff": staff,
        })
        return context


class EvaluationCreateView(ServiceFormView):
    permission_required = "registry.record_evaluation"
    form_class = EvaluationForm
    template_name = "registry/evaluation_form.html"
    heading = gettext_lazy("Record an evaluation")
    lead = gettext_lazy("Record what the pilot achieved and what was decided. A colleague "
                        "checks and publishes the evaluation.")
    success_message = gettext_lazy("The evaluation has been recorded. A colleague must now "
                                   "publish it.")

    def get_form_kwargs(self):
        return {"instance": Evaluation(pilot=self.pilot), "kpis": self.pilot.kpis.all()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kpi_fieldsets"] = kwargs["form"].kpi_fieldsets()
        return context

    def save(self, form):
        evaluation = services.evaluation_record(
            pilot=self.pilot, by=self.request.user, kpi_results=form.kpi_results(),
            **form.content(),
        )
        return reverse("registry:evaluation_detail",
                       kwargs={"slug": self.pilot.slug, "pk": evaluation.pk})


class EvaluationDetailView(PilotMixin, TemplateView):
    """One evaluation, printable (static/css/print.css)."""

    template_name = "registry/evaluation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        staff = user.has_perm("registry.view_pilot_drafts")
        evaluation = get_object_or_404(
            selectors.pilot_evaluations(pilot=self.pilot, include_drafts=staff),
            pk=self.kwargs["pk"],
        )
        awaiting = evaluation.state == Evaluation.State.DRAFT
        may_approve = (user.has_perm("registry.publish_pilot", evaluation)
                       and evaluation.submitted_by_id != user.pk)
        context.update({
            "pilot": self.pilot,
            "evaluation": evaluation,
            "can_publish": awaiting and may_approve,
            "can_return": awaiting and may_approve,
            "can_edit": evaluation.state in Evaluation.EDITABLE_STATES
            and user.has_perm("registry.record_evaluation", self.pilot),
            "returned": evaluation.events.filter(
                action=PilotEvent.Action.EVALUATION_RETURN).order_by("-at", "-pk").first()
            if evaluation.state == Evaluation.State.RETURNED else None,
        })
        return context


class EvaluationUpdateView(ServiceFormView):
    """Change an evaluation that awaits publication or was sent back (then it awaits
    publication again, by someone other than the one who changed it)."""

    permission_required = "registry.record_evaluation"
    form_class = EvaluationForm
    template_name = "registry/evaluation_form.html"
    heading = gettext_lazy("Edit the evaluation")
    lead = gettext_lazy("After saving, a colleague other than you checks and publishes the "
                        "evaluation.")
    success_message = gettext_lazy("The evaluation has been saved. A colleague must now "
                                   "publish it.")

    @cached_property
    def evaluation(self):
        return get_object_or_404(Evaluation, pk=self.kwargs["pk"], pilot=self.pilot)

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        if self.evaluation.state not in Evaluation.EDITABLE_STATES:
            messages.warning(request, _("A published evaluation cannot be changed."))
            return redirect(self.cancel_url())
        return super().dispatch(request, *args, **kwargs)

    def cancel_url(self):
        return reverse("registry:evaluation_detail",
                       kwargs={"slug": self.pilot.slug, "pk": self.evaluation.pk})

    def get_form_kwargs(self):
        initial = {}
        for result in self.evaluation.kpi_results.all():
            for name in ("value", "assessment", "note"):
                initial[f"kpi_{result.kpi_id}_{name}"] = getattr(result, name)
        return {"instance": Evaluation.objects.get(pk=self.evaluation.pk),
                "kpis": self.pilot.kpis.all(), "initial": initial}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kpi_fieldsets"] = kwargs["form"].kpi_fieldsets()
        return context

    def save(self, form):
        services.evaluation_update(evaluation=self.evaluation, by=self.request.user,
                                   kpi_results=form.kpi_results(), **form.content())
        return self.cancel_url()


class PilotActionView(PilotMixin, PermissionRequiredMixin, View):
    """POST only: one workflow step on a pilot. Errors come back as a message."""

    http_method_names = ["post"]
    needs_reason = False
    success_message = ""
    reason_form_class = ReasonForm
    invalid_message = gettext_lazy("Give a reason (at most 2000 characters).")

    def post(self, request, *args, **kwargs):
        form = self.reason_form_class(request.POST)
        if self.needs_reason and not form.is_valid():
            messages.error(request, self.invalid_message)
            return self.redirect_back()
        try:
            self.perform(form)
        except ValidationError as error:
            messages.error(request, _error_message(error, Pilot))
        else:
            messages.success(request, self.success_message)
        return self.redirect_back()

    def redirect_back(self):
        return redirect(self.pilot)

    def reason(self, form):
        return form.cleaned_data["reason"] if form.is_valid() else ""


class PilotPublicationStepView(PilotActionView):
    """Submit, publish or reject: the pilot itself before its first publication, afterwards
    its version in progress (`version_service`). Back to the version's page while one is in
    progress."""

    pilot_service = version_service = None  # staticmethod(services.…)
    version_message = ""

    def get_permission_object(self):
        return self.open_version or self.pilot

    def perform(self, form):
        kwargs = {"by": self.request.user}
        if self.needs_reason:
            kwargs["reason"] = self.reason(form)
        if self.open_version is not None:
            self.success_message = self.version_message
            self.version_service(version=self.open_version, **kwargs)
        else:
            self.pilot_service(pilot=self.pilot, **kwargs)

    def redirect_back(self):
        if selectors.pilot_open_version(pilot=self.pilot) is not None:
            return redirect(self.version_url())
        return redirect(self.pilot)


class PilotSubmitView(PilotPublicationStepView):
    permission_required = "registry.submit_pilot"
    pilot_service = staticmethod(services.pilot_submit)
    version_service = staticmethod(services.pilot_version_submit)
    success_message = gettext_lazy("The pilot has been submitted for approval.")
    version_message = gettext_lazy("The version has been submitted for approval.")


class PilotPublishView(PilotPublicationStepView):
    permission_required = "registry.publish_pilot"
    pilot_service = staticmethod(services.pilot_publish)
    version_service = staticmethod(services.pilot_version_publish)
    success_message = gettext_lazy("The pilot has been published.")
    version_message = gettext_lazy("The version has been published.")


class PilotRejectView(PilotPublicationStepView):
    permission_required = "registry.publish_pilot"
    needs_reason = True
    pilot_service = staticmethod(services.pilot_reject)
    version_service = staticmethod(services.pilot_version_reject)
    success_message = gettext_lazy("The pilot has been sent back to draft.")
    version_message = gettext_lazy("The version has been sent back to draft.")


class PilotWithdrawView(PilotActionView):
    permission_required = "registry.withdraw_pilot"
    needs_reason = True
    success_message = gettext_lazy("The publication has been withdrawn.")

    def perform(self, form):
        services.pilot_withdraw(pilot=self.pilot, by=self.request.user,
                                reason=self.reason(form))


class PilotStatusView(PilotActionView):
    permission_required = "registry.change_pilot_status"
    reason_form_class = StatusChangeForm
    needs_reason = True  # the form must be valid: a known status, explanation ≤ 2000
    invalid_message = gettext_lazy("Choose a status (the explanation may have at most 2000 "
                                   "characters).")
    success_message = gettext_lazy("The status has been changed.")

    def perform(self, form):
        services.pilot_status_change(
            pilot=self.pilot, by=self.request.user, to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
        )


class EvaluationActionView(PilotActionView):
    """POST only: a step on one evaluation (publish, send back); back to its page."""

    permission_required = "registry.publish_pilot"

    @cached_property
    def evaluation(self):
        return get_object_or_404(Evaluation, pk=self.kwargs["pk"], pilot=self.pilot)

    def get_permission_object(self):
        return self.evaluation

    def redirect_back(self):
        return redirect("registry:evaluation_detail", slug=self.pilot.slug,
                        pk=self.evaluation.pk)


class EvaluationReturnView(EvaluationActionView):
    needs_reason = True
    success_message = gettext_lazy("The evaluation has been sent back.")

    def perform(self, form):
        services.evaluation_return(evaluation=self.evaluation, by=self.request.user,
                                   reason=self.reason(form))


class EvaluationPublishView(EvaluationActionView):
    success_message = gettext_lazy("The evaluation has been published.")

    def perform(self, form):
        services.evaluation_publish(evaluation=self.evaluation, by=self.request.user)


# --- Raadsinformatie and following -----------------------------------------------------------


class DashboardView(TemplateView):
    """Raadsinformatie: the registers in figures, each linking to the records behind it, and
    the compact map of pilots. A fixed number of queries (selectors.registry_dashboard,
    maps.dashboard_map)."""

    template_name = "registry/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(selectors.registry_dashboard())
        context.update({
            "pilot_map": maps.dashboard_map(),
            "today": timezone.localdate(),
            "can_follow": user.has_perm("registry.follow_pilot"),
            "follows": selectors.pilot_subscriptions_of(user=user),
        })
        return context


class FollowView(View):
    """POST only: follow (`action=follow`) or stop following (`action=unfollow`) a pilot or a
    theme. Sending the same action twice changes nothing. Anonymous people go to the login
    page first."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(self.back_url())
        if not request.user.has_perm("registry.follow_pilot"):
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "follow":
                services.pilot_follow(user=request.user, **self.target())
                messages.success(request, self.followed_message())
            elif action == "unfollow":
                services.pilot_unfollow(user=request.user, **self.target())
                messages.success(request, self.unfollowed_message())
            else:
                messages.error(request, _("Choose whether to follow or to stop following."))
        except ValidationError as error:
            messages.error(request, _error_message(error, Pilot))
        return redirect(self.back_url())


class PilotFollowView(PilotMixin, FollowView):
    def target(self):
        return {"pilot": self.pilot}

    def back_url(self):
        return self.pilot.get_absolute_url()

    def followed_message(self):
        return _("You follow this pilot. You get a message when an evaluation is published.")

    def unfollowed_message(self):
        return _("You no longer follow this pilot.")


class ThemeFollowView(FollowView):
    def target(self):
        return {"theme": self.request.POST.get("theme", "")}

    def back_url(self):
        next_url = self.request.POST.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={self.request.get_host()},
            require_https=self.request.is_secure(),
        ):
            return next_url
        return reverse("registry:dashboard")

    def followed_message(self):
        return _("You follow this theme. You get a message when an evaluation of one of its "
                 "pilots is published.")

    def unfollowed_message(self):
        return _("You no longer follow this theme.")

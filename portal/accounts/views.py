"""HTML views for the own account and organisations. Permissions come from rules.py; writes go
through services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import CreateView, DetailView, ListView, TemplateView, UpdateView
from rules.contrib.views import PermissionRequiredMixin

from portal.accounts import selectors, services
from portal.accounts.forms import MembershipAddForm, OrganisationForm, ProfileForm
from portal.accounts.middleware import current_assurance_level
from portal.accounts.models import Membership, Organisation
from portal.core.forms import apply_validation_error


class OrganisationListView(ListView):
    template_name = "accounts/organisation_list.html"
    context_object_name = "organisations"
    paginate_by = 50

    def get_queryset(self):
        return selectors.organisation_list()


class OrganisationCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "accounts.add_organisation"
    template_name = "accounts/organisation_form.html"
    form_class = OrganisationForm

    def form_valid(self, form):
        try:
            organisation = services.organisation_create(creator=self.request.user,
                                                        **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The organisation has been created."))
        return redirect(organisation)


class OrganisationDetailView(DetailView):
    template_name = "accounts/organisation_detail.html"
    context_object_name = "organisation"

    def get_queryset(self):
        return Organisation.objects.all()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        organisation = self.object
        context["can_view_members"] = user.has_perm(
            "accounts.view_organisation_members", organisation
        )
        context["can_change"] = user.has_perm("accounts.change_organisation", organisation)
        context["can_manage_members"] = user.has_perm(
            "accounts.manage_organisation_members", organisation
        )
        if context["can_view_members"]:
            context["memberships"] = selectors.organisation_members(organisation=organisation)
        return context


class OrganisationUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "accounts.change_organisation"
    template_name = "accounts/organisation_form.html"
    form_class = OrganisationForm
    context_object_name = "organisation"

    def get_queryset(self):
        return Organisation.objects.all()

    def form_valid(self, form):
        # The form has already copied the cleaned values onto the instance; reload a fresh copy
        # so that nothing is written unless the service accepts the change.
        fresh = Organisation.objects.get(pk=self.object.pk)
        try:
            organisation = services.organisation_update(
                organisation=fresh, by=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The changes have been saved."))
        return redirect(organisation)


class OrganisationMembersView(PermissionRequiredMixin, TemplateView):
    """Members management for organisation administrators: add, change role, remove."""

    permission_required = "accounts.manage_organisation_members"
    template_name = "accounts/organisation_members.html"

    @cached_property
    def organisation(self):
        return get_object_or_404(Organisation, slug=self.kwargs["slug"])

    def get_permission_object(self):
        return self.organisation

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organisation"] = self.organisation
        context["memberships"] = selectors.organisation_members(organisation=self.organisation)
        context["add_form"] = kwargs.get("add_form") or MembershipAddForm()
        context["role_choices"] = Membership.Role.choices
        context["action_error"] = kwargs.get("action_error")
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "add":
            return self._add(request)
        if action in {"remove", "role"}:
            return self._change(request, action)
        return self.render_to_response(
            self.get_context_data(action_error=_("Unknown action.")), status=400
        )

    def _add(self, request):
        form = MembershipAddForm(request.POST)
        if form.is_valid():
            try:
                membership = services.membership_add(
                    organisation=self.organisation,
                    by=request.user,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                messages.success(
                    request, _("%(name)s has been added.") % {"name": membership.user}
                )
                return redirect("accounts:organisation_members", slug=self.organisation.slug)
        return self.render_to_response(self.get_context_data(add_form=form), status=400)

    def _change(self, request, action):
        try:
            membership = self.organisation.memberships.select_related("user").get(
                pk=int(request.POST.get("membership", ""))
            )
        except (ValueError, Membership.DoesNotExist):
            return self.render_to_response(
                self.get_context_data(action_error=_("This member could not be found.")),
                status=400,
            )
        try:
            if action == "remove":
                services.membership_remove(membership=membership, by=request.user)
                message = _("%(name)s has been removed.") % {"name": membership.user}
            else:
                services.membership_change_role(
                    membership=membership, by=request.user, role=request.POST.get("role", "")
                )
                message = _("The role of %(name)s has been changed.") % {"name": membership.user}
        except ValidationError as error:
            return self.render_to_response(
                self.get_context_data(action_error=" ".join(error.messages)), status=400
            )
        messages.success(request, message)
        if not request.user.has_perm("accounts.manage_organisation_members", self.organisation):
            return redirect(self.organisation)
        return redirect("accounts:organisation_members", slug=self.organisation.slug)


class ProfileView(PermissionRequiredMixin, TemplateView):
    """"My account": how you are logged in, the name others see, your organisations."""

    permission_required = "accounts.change_own_profile"
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "form": kwargs.get("form") or ProfileForm(initial={"display_name": user.display_name}),
            "assurance_level": current_assurance_level(self.request),
            "organisations": selectors.organisations_of_user(user=user),
        }

    def post(self, request, *args, **kwargs):
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_display_name_set(
                    user=request.user, display_name=form.cleaned_data["display_name"]
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Your name has been saved."))
                return redirect("accounts:profile")
        return self.render_to_response(self.get_context_data(form=form), status=400)

"""HTML views for the own account and organisations. Permissions come from rules.py; writes go
through services."""

import rules
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import (
    CreateView,
    DetailView,
    ListView,
    TemplateView,
    UpdateView,
    View,
)
from rules.contrib.views import PermissionRequiredMixin

from portal.accounts import selectors, services
from portal.accounts.forms import (
    MembershipAddForm,
    OrganisationForm,
    ProfileForm,
    ResidentEmailForm,
)
from portal.accounts.middleware import current_assurance_level
from portal.accounts.models import Membership, Organisation
from portal.core.forms import apply_validation_error
from portal.core.ratelimit import RateLimited, rate_limit_check


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
        context = {
            **super().get_context_data(**kwargs),
            "form": kwargs.get("form") or ProfileForm(initial={"display_name": user.display_name}),
            "assurance_level": current_assurance_level(self.request),
            "organisations": selectors.organisations_of_user(user=user),
        }
        if rules.has_perm(services.RESIDENT_EMAIL_PERMISSION, user):
            context["resident_email_form"] = (
                kwargs.get("resident_email_form") or ResidentEmailForm()
            )
            context["resident_email_pending"] = services.resident_email_pending(user=user)
            context["resident_email_error"] = kwargs.get("resident_email_error")
        return context

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


class ResidentEmailView(ProfileView):
    """POST only: a resident's e-mail address for notifications on "My account".

    `action` is "send" (with `email`), "resend" or "remove"; errors show on the profile page.
    """

    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        return redirect("accounts:profile")

    def post(self, request, *args, **kwargs):
        if not rules.has_perm(services.RESIDENT_EMAIL_PERMISSION, request.user):
            raise PermissionDenied(_("Only residents who log in with DigiD can do this."))
        action = request.POST.get("action")
        if action == "send":
            return self._send(request)
        if action == "resend":
            return self._resend(request)
        if action == "remove":
            services.resident_email_remove(user=request.user)
            messages.success(
                request, _("Your e-mail address has been removed. We will no longer e-mail you.")
            )
            return redirect("accounts:profile")
        return self._error_page(_("Unknown action."), status=400)

    def _error_page(self, message, *, status, **kwargs):
        return self.render_to_response(
            self.get_context_data(resident_email_error=message, **kwargs), status=status
        )

    def _send(self, request):
        form = ResidentEmailForm(request.POST)
        if not form.is_valid():
            return self._error_page(None, status=400, resident_email_form=form)
        try:
            rate_limit_check(request, "accounts.resident_email")
            email = services.resident_email_request(
                user=request.user, email=form.cleaned_data["email"]
            )
        except RateLimited as limited:
            form.add_error(None, limited.message)
            return self._error_page(None, status=429, resident_email_form=form)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self._error_page(None, status=400, resident_email_form=form)
        messages.success(
            request,
            _("We have sent a link to %(email)s. Open it within %(days)s days to confirm "
              "your address.") % {"email": email, "days": services.RESIDENT_EMAIL_MAX_AGE.days},
        )
        return redirect("accounts:profile")

    def _resend(self, request):
        try:
            rate_limit_check(request, "accounts.resident_email")
            email = services.resident_email_resend(user=request.user)
        except RateLimited as limited:
            return self._error_page(limited.message, status=429)
        except ValidationError as error:
            return self._error_page(" ".join(error.messages), status=400)
        messages.success(request, _("We have sent a new link to %(email)s.") % {"email": email})
        return redirect("accounts:profile")


class ResidentEmailConfirmView(PermissionRequiredMixin, View):
    """The link in the confirmation e-mail. Opened while logged in as the resident who asked
    for it, it sets the address; otherwise it explains why not and changes nothing."""

    permission_required = "accounts.change_own_profile"  # logged in; the service checks the rest
    template_name = "accounts/resident_email_confirm_error.html"

    def get(self, request, token):
        try:
            email = services.resident_email_confirm(user=request.user, token=token)
        except PermissionDenied as denied:
            return self._error(request, str(denied), status=403)
        except ValidationError as error:
            return self._error(request, " ".join(error.messages), status=400)
        messages.success(
            request,
            _("Your e-mail address %(email)s has been confirmed. From now on we e-mail your "
              "notifications to it.") % {"email": email},
        )
        return redirect("accounts:profile")

    def _error(self, request, message, *, status):
        return render(request, self.template_name, {"error_message": message}, status=status)

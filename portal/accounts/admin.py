"""Admin for users, organisations and memberships. No BSN anywhere: only a shortened pseudonym."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Membership, Organisation, User
from portal.core.access import personal_data_viewed


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    ordering = ["email", "display_name"]
    list_display = ["__str__", "email", "kind", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["pseudonym_short", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name", "pseudonym_short")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Staff opened a person's page: the person sees this in Mijn gegevens (access log).
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            subject = self.get_object(request, object_id)
            if subject is not None:
                personal_data_viewed(viewer=request.user, subject=subject, what="admin.user")
        return response

    @admin.display(description=_("kind of account"))
    def kind(self, obj):
        return _("Resident (DigiD)") if obj.bsn_pseudonym else _("E-mail account")

    @admin.display(description=_("DigiD pseudonym"))
    def pseudonym_short(self, obj):
        # Enough to tell two residents apart when supporting them, never the whole key.
        return f"{obj.bsn_pseudonym[:8]}…" if obj.bsn_pseudonym else "–"


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "kvk_number", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "kvk_number", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["organisation", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["organisation__name", "user__email", "user__display_name"]
    autocomplete_fields = ["organisation", "user"]
    list_select_related = ["organisation", "user"]

"""Admin for purposes and consent texts (editors publish new versions here) and a read-only view
of the consent ledger. A new text version is published through `consent_text_publish`; a
published text is read-only, and nothing in the ledger can be added, changed or deleted here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.consent import services
from portal.consent.models import (
    ConsentEvent,
    ConsentText,
    DataExport,
    PersonalDataAccess,
    Purpose,
    WithdrawalEffectRun,
)


class ConsentTextInline(admin.TabularInline):
    model = ConsentText
    fields = ["version", "material_change", "published_at", "sha256"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "owner_app", "active"]
    list_filter = ["active", "owner_app"]
    search_fields = ["title", "code"]
    inlines = [ConsentTextInline]

    def get_readonly_fields(self, request, obj=None):
        # The code is what apps and receipts refer to: fixed once the purpose exists.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


class ConsentTextPublishForm(forms.ModelForm):
    class Meta:
        model = ConsentText
        fields = ["purpose", "body", "material_change"]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ["purpose", "version", "material_change", "published_at", "published_by"]
    list_filter = ["purpose", "material_change"]
    list_select_related = ["purpose", "published_by"]
    form = ConsentTextPublishForm
    readonly_fields = ["purpose", "version", "body", "material_change", "sha256",
                       "published_at", "published_by"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["purpose", "body", "material_change"]
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # Published texts are shown, never changed: publish a new version instead.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:  # pragma: no cover - change permission is refused above
            raise PermissionError("published consent texts cannot be changed")
        published = services.consent_text_publish(
            purpose=form.cleaned_data["purpose"],
            body=form.cleaned_data["body"],
            material_change=form.cleaned_data["material_change"],
            by=request.user,
        )
        obj.pk = published.pk
        obj.version = published.version
        obj._state.adding = False

    def get_changeform_initial_data(self, request):
        return {"material_change": True}


class WithdrawalEffectRunInline(admin.TabularInline):
    model = WithdrawalEffectRun
    fields = ["effect_name", "status", "message", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(admin.ModelAdmin):
    """The ledger, read-only: proof of consent for the privacy officer."""

    list_display = ["created_at", "purpose", "action", "text_version", "method",
                    "assurance_level", "subject_pseudonym"]
    list_filter = ["action", "method", "purpose"]
    search_fields = ["subject_pseudonym", "=public_id"]
    list_select_related = ["purpose", "text"]
    date_hierarchy = "created_at"
    fields = ["public_id", "purpose", "text", "action", "method", "assurance_level",
              "subject_pseudonym", "created_at"]
    readonly_fields = fields
    inlines = [WithdrawalEffectRunInline]

    @admin.display(description=_("text version"))
    def text_version(self, obj):
        return obj.text.version

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DataExport)
class DataExportAdmin(_ReadOnlyAdmin):
    """Status only: the file itself is the person's, downloaded only by them."""

    list_display = ["public_id", "status", "created_at", "finished_at", "expires_at"]
    list_filter = ["status"]
    fields = ["public_id", "status", "created_at", "finished_at", "expires_at"]
    readonly_fields = fields


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(_ReadOnlyAdmin):
    """The access log: append-only from the admin's point of view (no add, change or delete)."""

    list_display = ["at", "viewer_role", "what"]
    list_filter = ["viewer_role", "what"]
    fields = ["at", "viewer_role", "what"]
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        return False

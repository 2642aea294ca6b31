"""Admin of the sensor networks (`/beheer/`), for civil servants and admins
(`sensors.manage_projects`).

Editable: projects (name, area as GeoJSON, quantities, licence, consent purpose, manual, pilot)
and the reference lists (quantities, sensor models). Kits are read-mostly: they change through
the services (the owner's pages, consent withdrawal, account deletion); the one staff action is
"create unclaimed kit", which shows the claim code once. Opening a resident's kit (with its
exact home location) is logged in the person's access log.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import Resolver404, path, resolve, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _

from portal.core.access import personal_data_viewed
from portal.core.forms import apply_validation_error
from sensors import services
from sensors.areas import area_validate
from sensors.models import Kit, KitLocation, Membership, ObservedProperty, Project, Sensor
from sensors.privacy import PARTICIPATION_PURPOSES


def _may_manage(request) -> bool:
    return request.user.has_perm("sensors.manage_projects")


class ManagedAdmin(admin.ModelAdmin):
    """Open to everyone with `sensors.manage_projects` (not only holders of model perms)."""

    def has_module_permission(self, request):
        return _may_manage(request)

    def has_view_permission(self, request, obj=None):
        return _may_manage(request)

    def has_add_permission(self, request):
        return _may_manage(request)

    def has_change_permission(self, request, obj=None):
        return _may_manage(request)

    def has_delete_permission(self, request, obj=None):
        return _may_manage(request)


# --- projects ----------------------------------------------------------------------------------


class AreaField(forms.JSONField):
    """The project area as GeoJSON text: a Polygon or MultiPolygon, or a Feature holding one
    (as exported by geojson.io or QGIS); stored as the geometry."""

    widget = forms.Textarea(attrs={"rows": 10, "cols": 80, "spellcheck": "false"})

    def to_python(self, value):
        area = super().to_python(value)
        if isinstance(area, dict) and area.get("type") == "Feature":
            area = area.get("geometry")
        if area in (None, ""):
            return area
        area_validate(area)
        return area

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, indent=1)
        return super().prepare_value(value)


class ProjectAdminForm(forms.ModelForm):
    area = AreaField(
        label=_("area (GeoJSON)"),
        help_text=_("A GeoJSON Polygon or MultiPolygon in WGS84, positions as [longitude, "
                    "latitude]; a Feature with such a geometry works too (for example drawn "
                    "on geojson.io). Homes must lie inside it."),
    )

    class Meta:
        model = Project
        fields = ["name", "slug", "summary", "description", "area", "quantities", "partners",
                  "licence", "consent_purpose_code", "manual", "offline_after_hours",
                  "open_for_joining", "pilot"]

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        try:
            match = resolve(f"/sensoren/{slug}/")
        except Resolver404:
            return slug
        if match.url_name != "project_detail":
            raise ValidationError(_("The address /sensoren/%(slug)s/ is used by another page. "
                                    "Choose another slug.") % {"slug": slug})
        return slug

    def clean_consent_purpose_code(self):
        code = self.cleaned_data["consent_purpose_code"]
        if code not in PARTICIPATION_PURPOSES:
            raise ValidationError(
                _("Use one of the consent purposes whose withdrawal stops the sensors: "
                  "%(codes)s.") % {"codes": ", ".join(PARTICIPATION_PURPOSES)})
        return code


@admin.register(Project)
class ProjectAdmin(ManagedAdmin):
    form = ProjectAdminForm
    list_display = ["name", "slug", "open_for_joining", "active_kits", "licence"]
    list_filter = ["open_for_joining", "licence"]
    search_fields = ["name", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["quantities"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            kit_total=Count("kits", filter=Q(kits__state=Kit.State.ACTIVE)))

    @admin.display(description=_("active kits"), ordering="kit_total")
    def active_kits(self, obj):
        return obj.kit_total

    def has_delete_permission(self, request, obj=None):
        # A project with kits keeps them (PROTECT); the admin says so when refused.
        return _may_manage(request)


@admin.register(ObservedProperty)
class ObservedPropertyAdmin(ManagedAdmin):
    list_display = ["code", "name", "unit_symbol", "valid_min", "valid_max"]
    search_fields = ["code", "name"]


@admin.register(Sensor)
class SensorAdmin(ManagedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


# --- kits ----------------------------------------------------------------------------------------


class UnclaimedKitForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.order_by("name"))
    device_id = forms.CharField(
        label=_("Device id"), max_length=64,
        help_text=_("The chip id the sensor sends, for example esp8266-12345678 or 12345678."))
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("For example “Kit 12 Stadshagen”. The resident may "
                                       "rename it when claiming."))


class KitLocationInline(admin.TabularInline):
    model = KitLocation
    extra = 0
    can_delete = False
    fields = readonly_fields = ["time", "public_latitude", "public_longitude"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Kit)
class KitAdmin(ManagedAdmin):
    list_display = ["name", "project", "state", "device_id", "last_seen_at", "created_at"]
    list_filter = ["state", "project"]
    search_fields = ["name", "device_id"]
    list_select_related = ["project"]
    ordering = ["project__name", "name"]
    inlines = [KitLocationInline]
    change_list_template = "sensors/admin/kit_change_list.html"
    readonly_fields = [
        "public_id", "project", "owner", "device_id", "name", "state", "indoor", "latitude",
        "longitude", "public_latitude", "public_longitude", "software_version",
        "token_created_at", "last_seen_at", "offline_notified_at", "created_at",
        "has_claim_code",
    ]
    fields = readonly_fields

    @admin.display(description=_("claim code waiting"), boolean=True)
    def has_claim_code(self, obj):
        return bool(obj.claim_code_hash)

    def has_add_permission(self, request):
        return False  # "create unclaimed kit" below; residents register their own

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        custom = [
            path("unclaimed/", self.admin_site.admin_view(self.unclaimed_create_view),
                 name="sensors_kit_unclaimed"),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "unclaimed_url": reverse("admin:sensors_kit_unclaimed")}
        return super().changelist_view(request, extra_context=extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            kit = Kit.objects.filter(pk=object_id).select_related("owner").first()
            if kit is not None and kit.owner is not None:
                personal_data_viewed(viewer=request.user, subject=kit.owner, what="sensors.kit")
        return response

    def unclaimed_create_view(self, request):
        if not _may_manage(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Create an unclaimed kit")}
        if request.method == "POST":
            form = UnclaimedKitForm(request.POST)
            if form.is_valid():
                try:
                    kit, code = services.kit_unclaimed_create(
                        project=form.cleaned_data["project"],
                        device_id=form.cleaned_data["device_id"],
                        name=form.cleaned_data["name"], by=request.user)
                except ValidationError as error:
                    apply_validation_error(form, error)
                else:
                    messages.success(request, _("The kit has been created."))
                    response = TemplateResponse(
                        request, "sensors/admin/kit_unclaimed_done.html",
                        {**context, "kit": kit, "claim_code": code,
                         "title": _("Claim code of %(name)s") % {"name": kit.name}})
                    add_never_cache_headers(response)
                    patch_cache_control(response, private=True, no_store=True)
                    return response
        else:
            form = UnclaimedKitForm()
        return TemplateResponse(request, "sensors/admin/kit_unclaimed_form.html",
                                {**context, "form": form},
                                status=400 if request.method == "POST" else 200)


@admin.register(Membership)
class MembershipAdmin(ManagedAdmin):
    list_display = ["project", "user", "joined_at"]
    list_filter = ["project"]
    list_select_related = ["project", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

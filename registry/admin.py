"""Admin for the registers (algorithms, pilots). Every change goes through the register's own pages
(services, which write the events): here everything is read-only."""

from django.contrib import admin

from registry.models import (
    Algorithm,
    AlgorithmEvent,
    AlgorithmVersion,
    Evaluation,
    Kpi,
    Pilot,
    PilotEvent,
    PilotVersion,
)


class AlgorithmVersionInline(admin.TabularInline):
    model = AlgorithmVersion
    fields = ["number", "name", "state", "published_at", "withdrawn_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Algorithm)
class AlgorithmAdmin(admin.ModelAdmin):
    list_display = ["slug", "current_version", "created_by", "created_at"]
    search_fields = ["slug", "versions__name"]
    readonly_fields = ["public_id", "slug", "created_by", "created_at", "current_version"]
    inlines = [AlgorithmVersionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would take the published history with it.
        return False


@admin.register(AlgorithmVersion)
class AlgorithmVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "algorithm", "number", "state", "status", "publication_category",
                    "published_at"]
    list_filter = ["state", "status", "publication_category"]
    search_fields = ["name", "description_short", "algorithm__slug"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Content and state change only through the register's pages (services, events);
        # a published version is frozen anyway.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AlgorithmEvent)
class AlgorithmEventAdmin(admin.ModelAdmin):
    list_display = ["at", "algorithm", "version", "action", "from_state", "to_state", "by"]
    list_filter = ["action"]
    search_fields = ["algorithm__slug", "reason"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Pilot register: read-only too; every change goes through the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class KpiInline(admin.TabularInline):
    model = Kpi
    fields = ["name", "unit", "direction", "baseline_value", "target_value", "result_value",
              "assessment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Pilot)
class PilotAdmin(ReadOnlyAdmin):
    list_display = ["title", "state", "status", "theme", "department", "next_review_date"]
    list_filter = ["state", "status", "theme"]
    search_fields = ["title", "slug", "summary"]
    inlines = [KpiInline]


@admin.register(PilotVersion)
class PilotVersionAdmin(ReadOnlyAdmin):
    list_display = ["title", "pilot", "number", "state", "published_at", "withdrawn_at"]
    list_filter = ["state"]
    search_fields = ["title", "pilot__slug"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "kind", "state", "evaluated_on", "decision", "published_at"]
    list_filter = ["kind", "state", "decision"]
    search_fields = ["pilot__title", "council_summary"]


@admin.register(PilotEvent)
class PilotEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "pilot", "version", "action", "from_state", "to_state", "by"]
    list_filter = ["action"]
    search_fields = ["pilot__slug", "reason"]

"""Admin for ideas. Editable: the per-theme moderation settings (pre- or post-moderation) and the
neighbourhoods. Ideas, comments, reports and the timeline change only through the services
(which write the events and keep the counters): here they are read-only lists."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.ideas.models import (
    Appeal,
    Comment,
    Idea,
    IdeaEvent,
    IdeaLink,
    Neighbourhood,
    Report,
    ThemeSettings,
)


@admin.register(ThemeSettings)
class ThemeSettingsAdmin(admin.ModelAdmin):
    list_display = ["theme", "idea_moderation", "comment_moderation"]
    list_editable = ["idea_moderation", "comment_moderation"]
    list_filter = ["idea_moderation", "comment_moderation"]
    ordering = ["theme"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list and a read-only detail page: no adding, changing or deleting here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IdeaEventInline(ReadOnlyInline):
    model = IdeaEvent
    fk_name = "idea"
    fields = ["created_at", "action", "from_state", "to_state", "reason_code", "by_role", "text"]
    readonly_fields = fields


@admin.register(Idea)
class IdeaAdmin(ReadOnlyAdmin):
    list_display = ["title", "theme", "moderation", "status", "neighbourhood", "support_count",
                    "comment_count", "open_report_count", "submitted_at", "published_at"]
    list_filter = ["moderation", "status", "theme", "neighbourhood"]
    search_fields = ["title", "=public_id"]
    date_hierarchy = "created_at"
    list_select_related = ["neighbourhood"]
    # The author is a pseudonymous resident: shown by id, never searchable by name here.
    exclude = ["author"]
    inlines = [IdeaEventInline]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "idea", "moderation", "by_municipality", "open_report_count",
                    "created_at"]
    list_filter = ["moderation", "by_municipality", "idea__theme"]
    search_fields = ["body", "=public_id", "=idea__public_id"]
    date_hierarchy = "created_at"
    list_select_related = ["idea"]
    exclude = ["author"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["reason_code", "idea", "comment", "created_at", "resolved_at", "is_open"]
    list_filter = ["reason_code", ("resolved_at", admin.EmptyFieldListFilter),
                   ("comment", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    list_select_related = ["idea", "comment"]
    # Who reported is not shown to moderators or administrators.
    exclude = ["reporter"]

    @admin.display(boolean=True, description=_("open"))
    def is_open(self, obj):
        return obj.resolved_at is None


@admin.register(IdeaEvent)
class IdeaEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "idea", "action", "from_state", "to_state", "reason_code",
                    "by_role", "on_comment"]
    list_filter = ["action", "reason_code", "by_role", ("comment", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    list_select_related = ["idea"]
    exclude = ["by"]

    @admin.display(boolean=True, description=_("on a comment"))
    def on_comment(self, obj):
        return obj.comment_id is not None


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["idea", "created_at", "decided_at", "upheld"]
    list_filter = ["upheld", ("decided_at", admin.EmptyFieldListFilter)]
    list_select_related = ["idea"]
    exclude = ["rejected_by"]


@admin.register(IdeaLink)
class IdeaLinkAdmin(ReadOnlyAdmin):
    list_display = ["idea", "pilot", "algorithm", "challenge", "note", "created_at"]
    list_filter = [("pilot", admin.EmptyFieldListFilter),
                   ("algorithm", admin.EmptyFieldListFilter),
                   ("challenge", admin.EmptyFieldListFilter)]
    list_select_related = ["idea", "pilot", "algorithm__current_version", "challenge"]
    exclude = ["created_by"]

from django.contrib import admin

from portal.core.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["title"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["public_id", "created_at", "read_at", "emailed_at", "digest_sent_at"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_frequency", "changed_at", "last_digest_at"]
    list_filter = ["email_frequency"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]

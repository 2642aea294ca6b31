"""Admin for challenges: read-only lists. Every change goes through challenges/services.py
(which checks the rules, writes the timeline and notifies people). Proposals are confidential:
the admin lists show their bookkeeping (organisation, status, receipt), never their content or
attachments; the proposal page applies the rules to anyone reading them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from challenges.models import (
    Amendment,
    Challenge,
    ChallengeEvent,
    Criterion,
    JuryMember,
    Proposal,
    Question,
)


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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CriterionInline(ReadOnlyInline):
    model = Criterion
    fields = ["position", "title", "weight"]


class AmendmentInline(ReadOnlyInline):
    model = Amendment
    fields = ["number", "published_at", "by", "reason"]


class ChallengeEventInline(ReadOnlyInline):
    model = ChallengeEvent
    fields = ["at", "action", "from_status", "to_status", "by", "reason"]


class JuryMemberInline(ReadOnlyInline):
    model = JuryMember
    fields = ["user", "is_chair", "appointed_by", "appointed_at"]


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdmin):
    list_display = ["title", "status", "department", "submission_deadline", "published_at"]
    list_filter = ["status", "theme"]
    search_fields = ["title", "slug", "department"]
    date_hierarchy = "submission_deadline"
    inlines = [CriterionInline, JuryMemberInline, AmendmentInline, ChallengeEventInline]


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ["challenge", "short_text", "status", "asked_at", "answered_at"]
    list_filter = ["status"]
    search_fields = ["text", "answer"]
    exclude = ["asked_by", "organisation"]  # the asker stays anonymous, also here

    @admin.display(description=_("question"))
    def short_text(self, obj):
        return str(obj)


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["challenge", "organisation", "status", "submitted_at", "receipt_code",
                    "outcome"]
    list_filter = ["status", "outcome"]
    search_fields = ["organisation__name", "challenge__title", "receipt_code"]
    fields = ["public_id", "challenge", "organisation", "status", "submitted_at",
              "receipt_code", "content_hash", "outcome", "outcome_sent_at", "final_rank",
              "final_score"]
    readonly_fields = fields

"""Ideas and the person's rights: what withdrawing consent does, and the ideas section of
"Mijn gegevens" (export and erasure). Registered with portal.consent in `IdeasConfig.ready`
(consent never imports ideas).

- Withdrawal of `idea-author-name`: the person's name disappears from all their ideas and
  comments ("anonymous resident"); the contributions stay.
- Export: the person's ideas, comments, supports, follows, reports and appeals; a fixed number
  of queries (one per list), whatever the number of rows.
- Erasure (account deletion): drafts and never-published ideas go, with their image files;
  ideas that were public or decided (published, rejected, appealed) and all comments stay,
  anonymised; supports and follows go (support counters follow in the same transaction);
  reports stay without the reporter.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.db.models.functions import Greatest
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.ideas.models import (
    Appeal,
    Comment,
    Follow,
    Idea,
    IdeaEvent,
    IdeaImage,
    Moderation,
    Report,
    Support,
)

# Ideas that never reached the public or a moderation decision: deleted with the account.
UNPUBLISHED_STATES = (Moderation.DRAFT, Moderation.PENDING, Moderation.CHANGES_REQUESTED)


def _iso(value):
    return value.isoformat() if value else None


def _float(value):
    return float(value) if value is not None else None


# --- withdrawal of consent --------------------------------------------------------------------


def author_name_withdrawn(*, user_id, event=None) -> str:
    """Withdrawal effect for `idea-author-name`: stop showing the person's name with all their
    ideas and comments. Idempotent (a second run changes nothing and says the same)."""
    with translation.override(settings.LANGUAGE_CODE):
        if user_id is None:
            # The account is gone: its eraser already made every contribution anonymous.
            return gettext("Your name is no longer shown with any idea or comment.")
        with transaction.atomic():
            Idea.objects.filter(author_id=user_id, show_author_name=True).update(
                show_author_name=False)
            Comment.objects.filter(author_id=user_id, show_author_name=True).update(
                show_author_name=False)
            ideas = Idea.objects.filter(author_id=user_id).count()
            comments = Comment.objects.filter(author_id=user_id).count()
        if not ideas and not comments:
            return gettext("You have no ideas or comments: your name is not shown anywhere.")
        return gettext("Your name is no longer shown with your %(ideas)s and %(comments)s.") % {
            "ideas": ngettext("%(count)d idea", "%(count)d ideas", ideas) % {"count": ideas},
            "comments": ngettext("%(count)d comment", "%(count)d comments", comments)
            % {"count": comments},
        }


# --- Mijn gegevens: export --------------------------------------------------------------------


def export_ideas(user) -> dict[str, list[dict]]:
    """Everything ideas holds about `user`, as flat rows. Six queries, whatever the number of
    rows. Of other people's content only the titles of the ideas concerned are included."""
    ideas = [
        {
            "title": idea.title,
            "body": idea.body,
            "theme": idea.theme,
            "theme_display": str(idea.get_theme_display()),
            "moderation": idea.moderation,
            "moderation_display": str(idea.get_moderation_display()),
            "status": idea.status,
            "status_display": str(idea.get_status_display()),
            "neighbourhood": idea.neighbourhood.name if idea.neighbourhood_id else None,
            "latitude": _float(idea.latitude),
            "longitude": _float(idea.longitude),
            "show_author_name": idea.show_author_name,
            "images": idea.image_total,
            "support_count": idea.support_count,
            "comment_count": idea.comment_count,
            "created_at": _iso(idea.created_at),
            "submitted_at": _iso(idea.submitted_at),
            "published_at": _iso(idea.published_at),
            "url": idea.get_absolute_url(),
        }
        for idea in Idea.objects.filter(author=user).select_related("neighbourhood")
        .annotate(image_total=Count("images")).order_by("-created_at", "-pk")
    ]
    comments = [
        {
            "idea_title": comment.idea.title,
            "body": comment.body,
            "is_reply": comment.parent_id is not None,
            "moderation": comment.moderation,
            "moderation_display": str(comment.get_moderation_display()),
            "show_author_name": comment.show_author_name,
            "created_at": _iso(comment.created_at),
        }
        for comment in Comment.objects.filter(author=user).select_related("idea")
        .only("idea__title", "body", "parent", "moderation", "show_author_name", "created_at")
        .order_by("-created_at", "-pk")
    ]
    supports = [
        {"idea_title": support.idea.title, "created_at": _iso(support.created_at)}
        for support in Support.objects.filter(user=user).select_related("idea")
        .only("idea__title", "created_at").order_by("-created_at", "-pk")
    ]
    follows = [
        {"idea_title": follow.idea.title, "created_at": _iso(follow.created_at)}
        for follow in Follow.objects.filter(user=user).select_related("idea")
        .only("idea__title", "created_at").order_by("-created_at", "-pk")
    ]
    reports = [
        {
            "idea_title": report.idea.title,
            # What was reported, not its content: a comment may be someone else's words.
            "about": "comment" if report.comment_id else "idea",
            "reason": report.reason_code,
            "reason_display": str(report.get_reason_code_display()),
            "explanation": report.explanation,
            "created_at": _iso(report.created_at),
            "resolved_at": _iso(report.resolved_at),
        }
        for report in Report.objects.filter(reporter=user).select_related("idea")
        .only("idea__title", "comment", "reason_code", "explanation", "created_at",
              "resolved_at").order_by("-created_at", "-pk")
    ]
    appeals = [
        {
            "idea_title": appeal.idea.title,
            "text": appeal.text,
            "created_at": _iso(appeal.created_at),
            "decided_at": _iso(appeal.decided_at),
            "upheld": appeal.upheld,
        }
        for appeal in Appeal.objects.filter(idea__author=user).select_related("idea")
        .only("idea__title", "text", "created_at", "decided_at", "upheld")
        .order_by("-created_at", "-pk")
    ]
    return {"ideas": ideas, "comments": comments, "supports": supports, "follows": follows,
            "reports": reports, "appeals": appeals}


# --- Mijn gegevens: erasure -------------------------------------------------------------------


def erase_ideas(user) -> str:
    """Runs inside account_delete's transaction, before the User row goes."""
    # 1. Ideas nobody else has seen or decided on: deleted, image files after the commit.
    unpublished = Idea.objects.filter(
        author=user, moderation__in=UNPUBLISHED_STATES, published_at__isnull=True,
    )
    files = list(IdeaImage.objects.filter(idea__in=unpublished).values_list("file", flat=True))
    deleted_ideas = unpublished.count()
    unpublished.delete()
    if files:
        storage = IdeaImage._meta.get_field("file").storage

        def delete_files():
            for name in files:
                storage.delete(name)

        transaction.on_commit(delete_files)

    # 2. Public and decided ideas and every comment stay, as an anonymous resident's.
    anonymised_ideas = Idea.objects.filter(author=user).update(author=None,
                                                               show_author_name=False)
    anonymised_comments = Comment.objects.filter(author=user).update(author=None,
                                                                     show_author_name=False)

    # 3. Supports go; each supported idea loses exactly one (one support per person per idea),
    #    in one UPDATE, so the counters stay equal to the rows.
    supported = list(Support.objects.filter(user=user).values_list("idea_id", flat=True))
    Support.objects.filter(user=user).delete()
    if supported:
        Idea.objects.filter(pk__in=supported).update(
            support_count=Greatest(F("support_count") - 1, 0))
    follows, _by_model = Follow.objects.filter(user=user).delete()

    # 4. Reports and the timeline keep what happened, not who.
    reports = Report.objects.filter(reporter=user).update(reporter=None)
    IdeaEvent.objects.filter(by=user).update(by=None)

    return (f"{deleted_ideas} unpublished ideas deleted ({len(files)} images), "
            f"{anonymised_ideas} ideas and {anonymised_comments} comments anonymised, "
            f"{len(supported)} supports and {follows} follows deleted, "
            f"{reports} reports kept without reporter")


def register() -> None:
    """Called from IdeasConfig.ready (may run twice: both registries replace by name)."""
    from portal.consent.effects import register_withdrawal_effect
    from portal.consent.personal_data import PersonalDataSection, register_personal_data_section
    from portal.ideas.services import AUTHOR_NAME_PURPOSE

    register_withdrawal_effect(AUTHOR_NAME_PURPOSE, author_name_withdrawn)
    register_personal_data_section(PersonalDataSection(
        code="ideas", title=_("Ideas"), exporter=export_ideas, eraser=erase_ideas,
        lists={
            "ideas": _("Your ideas"),
            "comments": _("Your comments"),
            "supports": _("Ideas you support"),
            "follows": _("Ideas you follow"),
            "reports": _("Your reports"),
            "appeals": _("Your appeals"),
        },
        columns={
            "ideas": {"title": _("Title"), "moderation_display": _("Moderation"),
                      "status_display": _("Status"), "created_at": _("Created")},
            "comments": {"idea_title": _("Idea"), "body": _("Comment"),
                         "created_at": _("Written")},
            "supports": {"idea_title": _("Idea"), "created_at": _("Since")},
            "follows": {"idea_title": _("Idea"), "created_at": _("Since")},
            "reports": {"idea_title": _("Idea"), "reason_display": _("Reason"),
                        "created_at": _("Reported")},
            "appeals": {"idea_title": _("Idea"), "created_at": _("Lodged"),
                        "decided_at": _("Decided")},
        },
        order=40,
    ))

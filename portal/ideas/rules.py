"""Permissions of ideas: one named permission per action (django-rules).

Role-level permissions are checked without an object. The object permissions take an `Idea`;
services check the same conditions again (Django lets an active superuser pass every
`user.has_perm()`), so an admin cannot, say, edit someone else's idea through the site.
Supporting is for verified residents (DigiD >= midden): gates use `rules.has_perm`, which an
admin without a DigiD session does not pass.
"""

import rules

from portal.accounts.rules import (
    is_active_user,
    is_admin,
    is_civil_servant,
    is_moderator,
    is_resident,
    is_verified_resident,
)
from portal.ideas.models import Moderation

is_idea_moderator = is_moderator | is_admin
is_idea_editor = is_civil_servant | is_admin


@rules.predicate
def is_author(user, idea):
    return bool(idea is not None and is_active_user(user) and idea.author_id == user.pk)


@rules.predicate
def is_public_idea(user, idea):
    return bool(idea is not None and idea.moderation == Moderation.PUBLISHED)


@rules.predicate
def is_editable_by_author(user, idea):
    return bool(
        idea is not None
        and idea.moderation in (Moderation.DRAFT, Moderation.CHANGES_REQUESTED)
    )


@rules.predicate
def may_appeal(user, idea):
    if idea is None or idea.moderation != Moderation.REJECTED:
        return False
    from portal.ideas.models import Appeal

    return not Appeal.objects.filter(idea=idea).exists()


@rules.predicate
def did_not_reject(user, idea):
    """A different moderator decides the appeal than the one who rejected the idea."""
    appeal = getattr(idea, "appeal", None) if idea is not None else None
    return appeal is None or appeal.rejected_by_id != getattr(user, "pk", None)


PERMISSIONS = {
    "ideas.view_ideas": rules.always_allow,
    "ideas.view_moderation_statistics": rules.always_allow,
    "ideas.view_idea": is_public_idea | is_author | is_idea_moderator | is_idea_editor,
    "ideas.add_idea": is_resident,
    "ideas.change_idea": is_author & is_editable_by_author,
    "ideas.appeal_rejection": is_author & may_appeal,
    "ideas.support_idea": is_verified_resident,
    "ideas.comment_on_idea": is_active_user,
    "ideas.report_content": is_active_user,
    "ideas.follow_idea": is_active_user,
    "ideas.moderate": is_idea_moderator,
    "ideas.decide_appeal": is_idea_moderator & did_not_reject,
    "ideas.change_idea_status": is_idea_editor,
    "ideas.link_idea": is_idea_editor,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)

"""Template helpers for taking part in ideas (support, comments).

    {% load ideas_participation %}
    {% resident_perm "ideas.support_idea" user idea as can_support %}
    {% comment_hidden_reason comment as reason %}
"""

import rules
from django import template

from portal.ideas.models import IdeaEvent

register = template.Library()


@register.simple_tag
def resident_perm(name, user, obj=None):
    """The rule itself, without Django's superuser shortcut (rules' own `has_perm` tag calls
    `user.has_perm`, which lets an admin pass resident-only actions)."""
    return rules.has_perm(name, user, obj)


@register.simple_tag
def comment_hidden_reason(comment):
    """The moderator's latest decision to hide a comment (its reason and statement), for the
    comment's own author. One query; only called for the viewer's own hidden comments."""
    return (
        IdeaEvent.objects.filter(comment=comment, action=IdeaEvent.Action.REJECT)
        .order_by("-created_at", "-pk").first()
    )

"""The challenges section of the home page ("Open challenges"), registered with
portal/core/home.py from ChallengesConfig.ready (core never imports challenges)."""

from django.utils import timezone

from challenges.models import Challenge
from portal.core.text import plain_excerpt

HOME_CHALLENGES = 3
HOME_SUMMARY_LENGTH = 140


def open_challenges(limit: int = HOME_CHALLENGES) -> list[dict]:
    """The open challenges with the nearest deadline first, as home page cards: one query."""
    challenges = (
        Challenge.objects.filter(status=Challenge.Status.OPEN,
                                 submission_deadline__gte=timezone.now())
        .only("slug", "title", "problem", "submission_deadline")
        .order_by("submission_deadline", "pk")[:limit]
    )
    return [
        {"title": challenge.title, "url": challenge.get_absolute_url(),
         "summary": plain_excerpt(challenge.problem, HOME_SUMMARY_LENGTH)}
        for challenge in challenges
    ]


def register() -> None:
    from portal.core.home import register_home_items

    register_home_items("challenges", open_challenges)

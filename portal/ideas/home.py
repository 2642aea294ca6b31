"""The ideas section of the home page ("Latest ideas"), registered with portal/core/home.py
from IdeasConfig.ready (core never imports ideas)."""

from portal.core.text import plain_excerpt
from portal.ideas.models import Idea

HOME_IDEAS = 3
HOME_SUMMARY_LENGTH = 140


def latest_ideas(limit: int = HOME_IDEAS) -> list[dict]:
    """The newest published ideas as home page cards: one query."""
    ideas = (Idea.objects.public().only("public_id", "title", "body", "published_at")
             .order_by("-published_at", "-pk")[:limit])
    return [
        {"title": idea.title, "url": idea.get_absolute_url(),
         "summary": plain_excerpt(idea.body, HOME_SUMMARY_LENGTH)}
        for idea in ideas
    ]


def register() -> None:
    from portal.core.home import register_home_items

    register_home_items("ideas", latest_ideas)

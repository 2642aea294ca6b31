"""Reads shared by more than one page of the site shell."""

from django.utils.translation import gettext_lazy as _

from portal.core.home import home_items


def home_sections() -> list[dict]:
    """The sections of the home page, in display order.

    Each section is a dict with `key`, `title`, `intro`, `empty_text`, `area_url_name`,
    `link_text` and `items`. The app that owns a section fills its `items` through the hook in
    portal/core/home.py (one short query of its own, related rows fetched in the same query);
    a section without a provider, or without rows, shows an honest empty state. Each item needs
    `title` and `get_absolute_url` (or `url`); `summary` is shown when present.
    """
    return [
        {
            "key": "challenges",
            "title": _("Open challenges"),
            "intro": _("Problems the municipality asks startups and researchers to solve."),
            "empty_text": _("There are no open challenges yet."),
            "area_url_name": "area-challenges",
            "link_text": _("Go to challenges"),
            "items": home_items("challenges"),
        },
        {
            "key": "ideas",
            "title": _("Latest ideas"),
            "intro": _("Ideas from residents to make the city better."),
            "empty_text": _("No ideas have been published yet."),
            "area_url_name": "area-ideas",
            "link_text": _("Go to ideas"),
            "items": home_items("ideas"),
        },
        {
            "key": "sensors",
            "title": _("Sensor projects"),
            "intro": _("Residents measure air quality and noise with sensors at home."),
            "empty_text": _("There are no sensor projects yet."),
            "area_url_name": "area-sensors",
            "link_text": _("Go to sensors"),
            "items": home_items("sensors"),
        },
        {
            "key": "pilots",
            "title": _("Recently evaluated pilots"),
            "intro": _("What the municipality tried out, and what it learned from it."),
            "empty_text": _("No pilots have been evaluated yet."),
            "area_url_name": "area-registers",
            "link_text": _("Go to registers"),
            "items": home_items("pilots"),
        },
    ]

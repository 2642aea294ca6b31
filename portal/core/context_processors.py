from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The five areas of the portal, in the order the main navigation shows them.
MAIN_NAV = [
    ("area-ideas", _("Ideas")),
    ("area-challenges", _("Challenges")),
    ("area-sensors", _("Sensors")),
    ("area-registers", _("Registers")),
    ("area-my-data", _("My data")),
]


def site(request):
    return {
        "SITE_NAME": "Stadsmakers",
        "DIGID_MODE": settings.DIGID_MODE,
        "main_nav": main_nav(getattr(request, "path", "")),
    }


def main_nav(path: str) -> list[dict]:
    """The main navigation with `current` set for the area the visitor is in.

    `current` is "page" on the area's own landing page and "true" on pages inside the area,
    which is what `aria-current` expects. No database access: it also runs on error pages.
    """
    items = []
    for url_name, label in MAIN_NAV:
        url = reverse(url_name)
        if path == url:
            current = "page"
        elif path.startswith(url):
            current = "true"
        else:
            current = ""
        items.append({"url": url, "label": label, "current": current})
    return items


def notifications(request):
    """The unread notification count for the header: one COUNT query, signed-in users only.

    Lazy (a callable, which templates call), so pages that do not show it pay nothing, and a
    broken database on an error page shows no count instead of raising again.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread_notification_count():
        from django.db import DatabaseError

        from portal.core.models import Notification

        try:
            return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        except DatabaseError:
            return ""

    return {"unread_notification_count": unread_notification_count}

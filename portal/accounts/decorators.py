"""Require a minimum DigiD level of assurance for a view or an API endpoint.

    @assurance_required("midden")
    def idea_support(request, slug): ...

    class SupportView(APIView):
        permission_classes = [assurance_permission("midden")]

Not logged in, or logged in with DigiD at a lower level: redirect to the DigiD login (with
`next`, so the resident comes back) and a message saying which level is needed. Logged in with
an e-mail account (organisations, staff): a 403 page explaining that this needs DigiD.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from portal.accounts.assurance import AssuranceLevel, meets
from portal.accounts.middleware import current_assurance_level


def _label(minimum: str) -> str:
    return AssuranceLevel(minimum).label


def assurance_required(minimum: str):
    AssuranceLevel(minimum)  # fail at import time on a typo, not at request time

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            level = current_assurance_level(request)
            if meets(level, minimum):
                return view(request, *args, **kwargs)
            user = request.user
            if user.is_authenticated and not getattr(user, "is_resident", False):
                return render(
                    request,
                    "accounts/digid_required.html",
                    {"minimum_label": _label(minimum)},
                    status=403,
                )
            if level is None:
                message = _(
                    "Log in with DigiD (level %(level)s or higher) to do this."
                ) % {"level": _label(minimum)}
            else:
                message = _(
                    "This needs DigiD level %(level)s or higher; you logged in with level "
                    "%(current)s. Log in again with DigiD at a higher level."
                ) % {"level": _label(minimum), "current": _label(level)}
            messages.warning(request, message)
            return redirect_to_login(request.get_full_path(), reverse("digid:login"))

        wrapped.assurance_minimum = minimum
        return wrapped

    return decorator


def assurance_permission(minimum: str) -> type[BasePermission]:
    """A DRF permission class: the request's DigiD level must meet `minimum`."""
    AssuranceLevel(minimum)

    class AssuranceRequired(BasePermission):
        @property
        def message(self):
            return _("This needs a DigiD login with level %(level)s or higher.") % {
                "level": _label(minimum)
            }

        def has_permission(self, request, view):
            return meets(current_assurance_level(request), minimum)

    AssuranceRequired.__name__ = f"AssuranceRequired_{minimum}"
    return AssuranceRequired

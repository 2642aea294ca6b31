"""The DigiD session: what a DigiD login records, how long it lasts, what the request sees.

After a DigiD login the session holds the assurance level (`assurance.SESSION_KEY`), the auth
source ("digid") and the time of the last request. `DigiDSessionMiddleware` ends a DigiD
session after `DIGID_SESSION_AGE` seconds without a request (sliding: every request restarts
the clock; DigiDCheck 2.2 T14) and sets `request.user.assurance_level` for every request:
the level for a DigiD session, None for everyone else (e-mail accounts, anonymous visitors).
"""

import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import logout
from django.utils.translation import gettext_lazy as _

from portal.accounts.assurance import SESSION_KEY as ASSURANCE_SESSION_KEY
from portal.accounts.assurance import AssuranceLevel

AUTH_SOURCE_SESSION_KEY = "auth_source"
AUTH_SOURCE_DIGID = "digid"
LAST_ACTIVITY_SESSION_KEY = "digid_last_activity"


def digid_session_start(request, *, level: str) -> None:
    """Record a DigiD login in the (already logged-in) session. Call right after auth.login."""
    if level not in AssuranceLevel.values:
        raise ValueError(f"unknown DigiD assurance level: {level!r}")
    request.session[ASSURANCE_SESSION_KEY] = str(level)
    request.session[AUTH_SOURCE_SESSION_KEY] = AUTH_SOURCE_DIGID
    request.session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
    # The cookie expires too, as a second line behind the inactivity check below.
    request.session.set_expiry(settings.DIGID_SESSION_AGE)
    request.user.assurance_level = str(level)


def is_digid_session(request) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.get(AUTH_SOURCE_SESSION_KEY) == AUTH_SOURCE_DIGID


def current_assurance_level(request) -> str | None:
    """The DigiD level of this request's login, or None (not logged in with DigiD)."""
    user = getattr(request, "user", None)
    if user is not None and hasattr(user, "assurance_level"):
        return user.assurance_level
    # Without the middleware's attribute (e.g. a user object from token authentication), trust
    # the session only if it belongs to this very user.
    if (
        is_digid_session(request)
        and user is not None
        and user.is_authenticated
        and request.session.get(auth.SESSION_KEY) == str(user.pk)
    ):
        return request.session.get(ASSURANCE_SESSION_KEY)
    return None


class DigiDSessionMiddleware:
    """Place after AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        level = None
        if is_digid_session(request):
            level = self._check_session(request)
        request.user.assurance_level = level
        return self.get_response(request)

    def _check_session(self, request) -> str | None:
        session = request.session
        now = int(time.time())
        last_activity = session.get(LAST_ACTIVITY_SESSION_KEY)
        if not request.user.is_authenticated:
            # The account went away (deactivated, deleted): nothing to expire, just clean up.
            logout(request)
            return None
        if not isinstance(last_activity, int) or now - last_activity > settings.DIGID_SESSION_AGE:
            logout(request)
            messages.warning(
                request,
                # nl: "Je DigiD-sessie is verlopen. Log opnieuw in om verder te gaan."
                _("Your DigiD session has expired. Please log in again to continue."),
            )
            return None
        session[LAST_ACTIVITY_SESSION_KEY] = now
        return session.get(ASSURANCE_SESSION_KEY)

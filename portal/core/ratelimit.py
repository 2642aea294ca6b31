"""Abuse limits per person for writing actions (django-ratelimit, counted in the cache).

Rates live in `settings.RATE_LIMITS` ("5/h" style), keyed by action name. Views and API views
call `rate_limit_reached(request, action)` before the service; only attempts count.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_ratelimit.core import is_ratelimited


class RateLimited(Exception):
    """Raised by `rate_limit_check`; `message` is the sentence to show the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_PERIODS = {
    "s": pgettext_lazy("rate limit period", "second"),
    "m": pgettext_lazy("rate limit period", "minute"),
    "h": pgettext_lazy("rate limit period", "hour"),
    "d": pgettext_lazy("rate limit period", "day"),
}


def _period_text(rate: str) -> str:
    unit = rate.split("/")[-1].strip()[-1:]
    return _PERIODS.get(unit, pgettext_lazy("rate limit period", "period"))


def _key(group, request):
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def rate_limit_reached(request, action: str) -> bool:
    """Count this attempt at `action`; True when the person is over the limit."""
    return is_ratelimited(
        request, group=action, key=_key, rate=settings.RATE_LIMITS[action], increment=True,
    )


def rate_limit_message(action: str) -> str:
    rate = settings.RATE_LIMITS[action]
    count = rate.split("/")[0]
    return _(
        "You have reached the limit of %(count)s times per %(period)s for this. "
        "Please try again later."
    ) % {"count": count, "period": _period_text(rate)}


def rate_limit_check(request, action: str) -> None:
    """Raise `RateLimited` with a clear message when the person is over the limit."""
    if rate_limit_reached(request, action):
        raise RateLimited(rate_limit_message(action))

"""A hook point for "staff looked at a person's personal data".

portal/core and portal/accounts sit left of portal/consent and may not import it, yet the access
log lives in consent. So the places where staff view personal data (the admin's user page)
announce it here, and consent registers the callback that writes the log row (in its
`AppConfig.ready`). Nothing registered: nothing happens.
"""

from collections.abc import Callable

_CALLBACKS: dict[str, Callable] = {}


def on_personal_data_viewed(name: str, func: Callable) -> Callable:
    """Register `func(*, viewer, subject, what)`; the same name twice replaces the earlier one."""
    _CALLBACKS[name] = func
    return func


def personal_data_viewed(*, viewer, subject, what: str) -> None:
    """Announce that `viewer` (staff) looked at `subject`'s personal data (`what`: short code)."""
    if viewer is None or subject is None or getattr(viewer, "pk", None) == subject.pk:
        return
    for func in list(_CALLBACKS.values()):
        func(viewer=viewer, subject=subject, what=what)

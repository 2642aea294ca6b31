"""What withdrawal of a purpose does: a registry that the owning apps fill.

Consent never imports the apps that own a purpose. Each owning app registers its effects in its
`AppConfig.ready()`:

    from portal.consent.effects import register_withdrawal_effect

    def unpublish_kits(*, user_id: int | None, event) -> str:
        ...  # idempotent; return a short Dutch/English message for the person
        return "Je sensoren zijn van de kaart gehaald."

    register_withdrawal_effect("sensor-project-participation", unpublish_kits)

Contract for an effect:
- called as `func(user_id=..., event=...)` in a Celery worker, inside its own transaction;
  `user_id` is None when the account no longer exists;
- idempotent (a redelivered task may call it again after a crash);
- returns a short message for the person (shown on the consents page), or raises to fail;
  a failure is recorded, logged, and shown to the person as failed.
"""

from collections.abc import Callable

_EFFECTS: dict[str, dict[str, Callable]] = {}


def effect_name(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def register_withdrawal_effect(purpose_code: str, func: Callable, *, name: str | None = None):
    """Register `func` to run when someone withdraws consent for `purpose_code`.

    Registering the same name twice replaces the earlier one (AppConfig.ready may run twice).
    """
    _EFFECTS.setdefault(purpose_code, {})[name or effect_name(func)] = func
    return func


def unregister_withdrawal_effect(purpose_code: str, name: str) -> None:
    """For tests: remove one registered effect."""
    _EFFECTS.get(purpose_code, {}).pop(name, None)


def withdrawal_effects(purpose_code: str) -> dict[str, Callable]:
    """The effects registered for a purpose, by name, in registration order."""
    return dict(_EFFECTS.get(purpose_code, {}))

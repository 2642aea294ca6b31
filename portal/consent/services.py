"""Writes of portal/consent: publishing consent texts, granting and withdrawing consent, and
running the effects of a withdrawal. Every function is keyword-only.

The ledger is append-only: these functions only ever insert `ConsentEvent` rows.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User
from portal.consent import selectors
from portal.consent.effects import withdrawal_effects
from portal.consent.models import ConsentEvent, ConsentText, Purpose, WithdrawalEffectRun
from portal.consent.pseudonyms import consent_subject_pseudonym
from portal.core.services import notification_send

logger = logging.getLogger(__name__)

METHODS = set(ConsentEvent.Method.values)


def _require(user, perm: str) -> None:
    if not getattr(user, "is_authenticated", False) or not user.has_perm(perm):
        raise PermissionDenied(gettext("You are not allowed to do this."))


def normalise_body(body: str) -> str:
    # One form of line ending, so the SHA-256 does not depend on the browser that sent it.
    return "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").split("\n")).strip()


def text_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@transaction.atomic
def consent_text_publish(*, purpose: Purpose, body: str, material_change: bool, by) -> ConsentText:
    """Publish the next version of a purpose's consent text. Earlier versions never change.

    The first version is always a material change: nobody has agreed to anything yet.
    """
    body = normalise_body(body or "")
    if not body:
        raise ValidationError({"body": _("Write the text people agree to.")}, code="required")
    # Lock the purpose so two editors cannot publish the same version number.
    Purpose.objects.select_for_update().filter(pk=purpose.pk).first()
    latest = ConsentText.objects.filter(purpose=purpose).aggregate(v=Max("version"))["v"] or 0
    text = ConsentText(
        purpose=purpose,
        version=latest + 1,
        body=body,
        sha256=text_sha256(body),
        material_change=bool(material_change) or latest == 0,
        published_at=timezone.now(),
        published_by=by if getattr(by, "is_authenticated", False) else None,
    )
    text.full_clean()
    text.save()
    return text


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown consent method: {method!r}")


def _lock_person(user) -> None:
    """Serialise one person's consent writes (two tabs, a double click)."""
    User.objects.select_for_update().filter(pk=user.pk).first()


@transaction.atomic
def consent_grant(*, user, text: ConsentText, method: str, assurance_level: str | None):
    """Record that `user` agrees to `text`, which must be the purpose's current text.

    Granting the same current text again changes nothing and returns the existing grant.
    """
    _require(user, "consent.give_consent")
    _check_method(method)
    purpose = text.purpose
    if not purpose.active:
        raise ValidationError(_("You can no longer give consent for this purpose."),
                              code="purpose_inactive")
    current = selectors.current_text(purpose=purpose)
    if current is None or current.pk != text.pk:
        raise ValidationError(
            _("This text is no longer the current version. Read the current text and try again."),
            code="stale_text",
        )
    _lock_person(user)
    state = selectors.consent_state(user=user, purpose=purpose)
    if state.is_granted and state.text is not None and state.text.pk == text.pk:
        return state.event
    return ConsentEvent.objects.create(
        purpose=purpose,
        text=text,
        subject_pseudonym=consent_subject_pseudonym(user),
        user=user,
        action=ConsentEvent.Action.GRANT,
        method=method,
        assurance_level=assurance_level or None,
    )


@transaction.atomic
def consent_withdraw(*, user, purpose: Purpose, method: str, assurance_level: str | None):
    """Record a withdrawal and queue its effects (run by a Celery worker after the commit).

    The withdrawal event names the text version that was agreed to.
    """
    _require(user, "consent.withdraw_consent")
    _check_method(method)
    _lock_person(user)
    state = selectors.consent_state(user=user, purpose=purpose)
    if not state.is_granted:
        raise ValidationError(_("You have not given consent for this purpose."),
                              code="not_granted")
    event = ConsentEvent.objects.create(
        purpose=purpose,
        text=state.text,
        subject_pseudonym=consent_subject_pseudonym(user),
        user=user,
        action=ConsentEvent.Action.WITHDRAW,
        method=method,
        assurance_level=assurance_level or None,
    )
    from portal.consent.tasks import consent_withdrawal_effects_task

    transaction.on_commit(lambda: consent_withdrawal_effects_task.delay(event.pk))
    return event


def consent_withdrawal_effects_run(*, event_id: int) -> list[WithdrawalEffectRun]:
    """Run every effect registered for the purpose of a withdrawal, record each outcome, then
    tell the person. Idempotent: an effect with a recorded outcome is not run again."""
    event = (
        ConsentEvent.objects.select_related("purpose", "user")
        .filter(pk=event_id, action=ConsentEvent.Action.WITHDRAW)
        .first()
    )
    if event is None:
        return []
    done = set(WithdrawalEffectRun.objects.filter(event=event).values_list("effect_name",
                                                                            flat=True))
    for name, func in withdrawal_effects(event.purpose.code).items():
        if name in done:
            continue
        try:
            with transaction.atomic():
                message = func(user_id=event.user_id, event=event)
                WithdrawalEffectRun.objects.create(
                    event=event, effect_name=name, status=WithdrawalEffectRun.Status.DONE,
                    message=str(message or "")[:2000], finished_at=timezone.now(),
                )
        except Exception as error:
            logger.exception("withdrawal effect %s failed for consent event %s", name, event.pk)
            # For staff (admin); the person sees "failed", not the technical reason.
            WithdrawalEffectRun.objects.get_or_create(
                event=event, effect_name=name,
                defaults={"status": WithdrawalEffectRun.Status.FAILED,
                          "message": type(error).__name__, "finished_at": timezone.now()},
            )
    if not WithdrawalEffectRun.objects.filter(event=event,
                                              effect_name=selectors.NOTIFY_STEP).exists():
        _notify_person(event)
    return list(event.effect_runs.all())


@transaction.atomic
def _notify_person(event: ConsentEvent) -> None:
    failed = WithdrawalEffectRun.objects.filter(
        event=event, status=WithdrawalEffectRun.Status.FAILED
    ).exists()
    if event.user is not None and event.user.is_active:
        with translation.override(settings.LANGUAGE_CODE):
            if failed:
                title = gettext("Your withdrawal for “%(purpose)s” did not fully succeed") % {
                    "purpose": event.purpose.title}
                body = gettext(
                    "Your consent is withdrawn, but not everything could be processed yet. "
                    "We are looking into it. On your consents page you can see what went wrong."
                )
            else:
                title = gettext("Your withdrawal for “%(purpose)s” has been processed") % {
                    "purpose": event.purpose.title}
                body = gettext(
                    "You withdrew your consent. We no longer use your data for this purpose."
                )
        notification_send(
            recipient=event.user, kind="consent_withdrawn", title=title, body=body,
            url=reverse("consent:consents"),
        )
    WithdrawalEffectRun.objects.get_or_create(
        event=event, effect_name=selectors.NOTIFY_STEP,
        defaults={"status": WithdrawalEffectRun.Status.DONE, "finished_at": timezone.now()},
    )

"""Writes of portal/consent: publishing consent texts, granting and withdrawing consent, and
running the effects of a withdrawal. Every function is keyword-only.

The ledger is append-only: these functions only ever insert `ConsentEvent` rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.accounts import roles
from portal.accounts.models import User
from portal.consent import selectors
from portal.consent.effects import withdrawal_effects
from portal.consent.models import (
    ConsentEvent,
    ConsentText,
    DataExport,
    PersonalDataAccess,
    Purpose,
    WithdrawalEffectRun,
)
from portal.consent.personal_data import personal_data_sections
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


# --- Mijn gegevens: export, deletion, access log ---------------------------------------------

EXPORT_VALID_FOR = timedelta(days=7)
# A pending export older than this is taken as lost (worker down): a new request may start.
EXPORT_PENDING_TIMEOUT = timedelta(hours=1)


def data_export_request(*, user) -> tuple[DataExport, bool]:
    """Queue a ZIP of everything the portal holds about `user`. One pending export at a time:
    returns (the pending export, False) when one is already being made."""
    _require(user, "consent.export_own_data")
    now = timezone.now()
    with transaction.atomic():
        _lock_person(user)
        DataExport.objects.filter(
            user=user, status=DataExport.Status.PENDING,
            created_at__lt=now - EXPORT_PENDING_TIMEOUT,
        ).update(status=DataExport.Status.FAILED, finished_at=now)
        pending = DataExport.objects.filter(user=user, status=DataExport.Status.PENDING).first()
        if pending is not None:
            return pending, False
        export = DataExport.objects.create(user=user, created_at=now,
                                           expires_at=now + EXPORT_VALID_FOR)
        from portal.consent.tasks import data_export_build_task

        transaction.on_commit(lambda: data_export_build_task.delay(export.pk))
    return export, True


def _csv_bytes(rows: list[dict]) -> bytes:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    # With a BOM, so spreadsheet programs read the UTF-8 correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # no formulas when opened in a spreadsheet (CSV injection)
    return value


def data_export_zip(*, user) -> bytes:
    """The ZIP: gegevens.json with every section, and one CSV per list of every section."""
    document = selectors.personal_data_document(user=user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("gegevens.json", json.dumps(document, ensure_ascii=False, indent=2))
        for code, section in document["sections"].items():
            for list_name, rows in section["data"].items():
                archive.writestr(f"{code}-{list_name}.csv", _csv_bytes(rows))
    return buffer.getvalue()


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the ZIP of one export (in the worker), mark it ready and tell the person."""
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is None or export.status != DataExport.Status.PENDING:
        return export  # deleted meanwhile, or a redelivered task: nothing to do
    try:
        content = data_export_zip(user=export.user)
    except Exception:
        logger.exception("data export %s failed", export.public_id)
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.FAILED,
                                                       finished_at=timezone.now())
        return export
    now = timezone.now()
    export.file.save(f"mijn-gegevens-{now:%Y%m%d}.zip", ContentFile(content), save=False)
    export.status = DataExport.Status.READY
    export.finished_at = now
    export.expires_at = now + EXPORT_VALID_FOR
    with transaction.atomic():
        export.save(update_fields=["file", "status", "finished_at", "expires_at"])
        with translation.override(settings.LANGUAGE_CODE):
            notification_send(
                recipient=export.user, kind="data_export_ready",
                title=gettext("Your data is ready to download"),
                body=gettext("The download link on My data works for 7 days."),
                url=reverse("area-my-data") + "#export",
            )
    return export


def data_exports_delete_expired(*, now=None) -> int:
    """Delete expired exports and their files (periodic task). Returns how many."""
    now = now or timezone.now()
    count = 0
    for export in DataExport.objects.filter(expires_at__lte=now):
        if export.file:
            export.file.delete(save=False)
        export.delete()
        count += 1
    return count


def _last_admin_of(user) -> list[str]:
    from portal.accounts.models import Membership

    names = []
    for membership in Membership.objects.filter(
        user=user, role=Membership.Role.ADMIN
    ).select_related("organisation"):
        others = Membership.objects.filter(
            organisation=membership.organisation, role=Membership.Role.ADMIN
        ).exclude(user=user)
        if not others.exists():
            names.append(membership.organisation.name)
    return names


def _delete_sessions_of(user) -> int:
    from django.contrib.sessions.models import Session

    count = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            count += 1
    return count


def account_delete(*, user) -> dict:
    """Delete an account: every section's eraser (apps anonymise contributions), then the
    personal data of accounts and core, and finally the User row. The consent ledger stays under
    the pseudonym (GDPR art. 7(1)); its user column becomes NULL.

    Refused (ValidationError) when the person is the last administrator of an organisation.
    """
    _require(user, "consent.delete_own_account")
    from allauth.account.models import EmailAddress
    from rest_framework.authtoken.models import Token

    from portal.accounts.models import Membership

    with transaction.atomic():
        _lock_person(user)
        organisations = _last_admin_of(user)
        if organisations:
            raise ValidationError(
                gettext("You are the last administrator of %(organisations)s. First make "
                        "someone else an administrator, then delete your account.")
                % {"organisations": ", ".join(organisations)},
                code="last_admin",
            )
        summary = {}
        for section in personal_data_sections():
            summary[section.code] = section.eraser(user)
        summary["memberships"] = Membership.objects.filter(user=user).delete()[0]
        summary["tokens"] = Token.objects.filter(user=user).delete()[0]
        summary["email_addresses"] = EmailAddress.objects.filter(user=user).delete()[0]
        summary["sessions"] = _delete_sessions_of(user)
        pk = user.pk
        User.objects.filter(pk=pk).delete()
    logger.info("account %s deleted: %s", pk, summary)
    return summary


def viewer_role(viewer) -> str:
    """The role under which staff looked at personal data (portal.accounts.roles names)."""
    if viewer.is_superuser:
        return roles.ADMIN
    names = set(viewer.groups.values_list("name", flat=True))
    for name in roles.GROUP_NAMES:
        if name in names:
            return name
    return "staff"


def personal_data_access_log(*, viewer, subject, what: str) -> PersonalDataAccess:
    """Record that staff (`viewer`) looked at `subject`'s personal data."""
    return PersonalDataAccess.objects.create(
        viewer=viewer, viewer_role=viewer_role(viewer), subject=subject, what=what[:100]
    )

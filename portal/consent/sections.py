"""The personal data sections of consent itself and of the apps to its left (accounts, core).

accounts and core may not import consent, so consent registers their sections for them (in
`ConsentConfig.ready`), using only their public models. Apps to the right register their own.
"""

from django.utils.translation import gettext_lazy as _

from portal.consent.personal_data import PersonalDataSection, register_personal_data_section


def _iso(value):
    return value.isoformat() if value else None


# --- consent ---------------------------------------------------------------------------------

def export_consent(user) -> dict:
    from portal.consent.models import ConsentEvent, PersonalDataAccess

    events = (ConsentEvent.objects.filter(user=user).select_related("purpose", "text")
              .order_by("-created_at", "-id"))
    rows = [
        {
            "time": _iso(event.created_at),
            "purpose": event.purpose.code,
            "purpose_title": event.purpose.title,
            "action": event.action,
            "action_display": str(event.get_action_display()),
            "text_version": event.text.version,
            "text_sha256": event.text.sha256,
            "method": event.method,
            "assurance_level": event.assurance_level,
            "receipt_id": str(event.public_id),
        }
        for event in events
    ]
    accesses = [
        {"time": _iso(access.at), "role": access.viewer_role, "what": access.what}
        for access in PersonalDataAccess.objects.filter(subject=user).order_by("-at", "-id")
    ]
    return {"consent_events": rows, "access_log": accesses}


def erase_consent(user) -> str:
    # The ledger is the proof of consent (GDPR art. 7(1)): it stays under the pseudonym; the
    # user column becomes NULL when the User row goes (SET_NULL). Exports and the access log
    # about this person go with the account.
    from django.db import transaction

    from portal.consent.models import DataExport, PersonalDataAccess

    exports = list(DataExport.objects.filter(user=user))
    files = [export.file for export in exports if export.file]
    DataExport.objects.filter(pk__in=[export.pk for export in exports]).delete()
    PersonalDataAccess.objects.filter(subject=user).delete()

    def delete_files():  # only once the deletion is committed
        for file in files:
            file.storage.delete(file.name)

    transaction.on_commit(delete_files)
    return f"{len(exports)} exports deleted; consent ledger kept under the pseudonym"


# --- accounts --------------------------------------------------------------------------------

def export_account(user) -> dict:
    from portal.accounts.models import Membership

    profile = {
        "display_name": user.display_name,
        "email": user.email,
        "login_method": "DigiD" if user.bsn_pseudonym else "e-mail",
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
    }
    memberships = [
        {
            "organisation": membership.organisation.name,
            "kvk_number": membership.organisation.kvk_number,
            "role": membership.role,
            "since": _iso(membership.created_at),
        }
        for membership in Membership.objects.filter(user=user).select_related("organisation")
    ]
    return {"profile": [profile], "memberships": memberships}


def erase_account(user) -> str:
    # Memberships, e-mail addresses, API tokens and sessions are removed by account_delete
    # itself (after the last-admin check); the profile goes with the User row.
    return "profile deleted with the account"


# --- core (notifications) --------------------------------------------------------------------

def export_notifications(user) -> dict:
    from portal.core.models import Notification, NotificationPreference

    rows = [
        {"title": n.title, "kind": n.kind, "created_at": _iso(n.created_at),
         "read_at": _iso(n.read_at)}
        for n in Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
    ]
    preference = NotificationPreference.objects.filter(user=user).first()
    preferences = [{"email_frequency": preference.email_frequency}] if preference else []
    return {"notifications": rows, "notification_preferences": preferences}


def erase_notifications(user) -> str:
    from portal.core.models import Notification, NotificationPreference

    deleted, _by_model = Notification.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    return f"{deleted} notifications deleted"


def register_builtin_sections() -> None:
    register_personal_data_section(PersonalDataSection(
        code="account", title=_("Your account"), exporter=export_account, eraser=erase_account,
        lists={"profile": _("Profile"), "memberships": _("Organisation memberships")},
        columns={
            "profile": {"display_name": _("Name"), "email": _("E-mail address"),
                        "login_method": _("Login method"), "date_joined": _("Member since")},
            "memberships": {"organisation": _("Organisation"), "role": _("Role"),
                            "since": _("Since")},
        },
        order=10,
    ))
    register_personal_data_section(PersonalDataSection(
        code="consent", title=_("Consents"), exporter=export_consent, eraser=erase_consent,
        # The access log is shown in its own part of the page, and is in the export.
        lists={"consent_events": _("Consents given and withdrawn")},
        columns={"consent_events": {"time": _("When"), "purpose_title": _("Purpose"),
                                    "action_display": _("What"),
                                    "text_version": _("Text version")}},
        order=20,
    ))
    register_personal_data_section(PersonalDataSection(
        code="notifications", title=_("Notifications"), exporter=export_notifications,
        eraser=erase_notifications,
        lists={"notifications": _("Notifications"),
               "notification_preferences": _("Notification preferences")},
        columns={
            "notifications": {"title": _("Title"), "created_at": _("Received"),
                              "read_at": _("Read")},
            "notification_preferences": {"email_frequency": _("E-mail")},
        },
        order=30,
    ))

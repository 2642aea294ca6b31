"""Permissions of portal/consent: everyone logged in manages their own consents."""

import rules

from portal.accounts.rules import is_active_user

PERMISSIONS = {
    "consent.view_own_consents": is_active_user,
    "consent.give_consent": is_active_user,
    "consent.withdraw_consent": is_active_user,
    # Mijn gegevens: the overview, the export and deleting your own account.
    "consent.view_own_personal_data": is_active_user,
    "consent.export_own_data": is_active_user,
    "consent.delete_own_account": is_active_user,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)

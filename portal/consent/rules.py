"""Permissions of portal/consent: everyone logged in manages their own consents."""

import rules

from portal.accounts.rules import is_active_user

PERMISSIONS = {
    "consent.view_own_consents": is_active_user,
    "consent.give_consent": is_active_user,
    "consent.withdraw_consent": is_active_user,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)

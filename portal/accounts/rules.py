"""Roles as predicates, and one named permission per action (django-rules).

Roles: visitor (anonymous), resident (DigiD account), verified resident (DigiD session with
assurance >= midden), organisation member / organisation admin (a Membership), moderator, civil
servant, jury member, council member (Django groups, see roles.py) and admin (is_superuser).

Check permissions with `user.has_perm("app.action", obj)` or `PermissionRequiredMixin` from
`rules.contrib.views`. Note Django's rule: an active superuser passes every `user.has_perm` check.
For resident-only gates (`accounts.act_as_verified_resident`) use `rules.has_perm(name, user)`,
which asks the rule itself, so an admin without a DigiD session does not pass.

New actions: register them in the owning app's rules.py with `rules.add_perm` (never re-register
a name from this file) and add a row to EXPECTED in tests/accounts/test_role_matrix.py; that test
fails for any registered permission missing from the table.
"""

import rules

from portal.accounts import roles
from portal.accounts.assurance import meets

# --- role predicates -------------------------------------------------------------------------


@rules.predicate
def is_active_user(user):
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


@rules.predicate
def is_resident(user):
    return bool(is_active_user(user) and getattr(user, "bsn_pseudonym", None))


@rules.predicate
def is_verified_resident(user):
    """A resident whose current DigiD session has assurance level midden or higher.

    The DigiD middleware puts the session's level on `request.user.assurance_level`.
    """
    return bool(
        is_resident(user)
        and meets(getattr(user, "assurance_level", None), roles.VERIFIED_RESIDENT_MINIMUM_LEVEL)
    )


@rules.predicate
def is_email_user(user):
    """An organisation or staff account: logged in with e-mail, not with DigiD."""
    return bool(
        is_active_user(user) and user.email and not getattr(user, "bsn_pseudonym", None)
    )


@rules.predicate
def is_organisation_member(user):
    """Member (or admin) of at least one organisation."""
    return bool(is_active_user(user) and user.memberships.exists())


@rules.predicate
def is_member_of_organisation(user, organisation):
    if organisation is None or not is_active_user(user):
        return False
    return organisation.memberships.filter(user=user).exists()


@rules.predicate
def is_admin_of_organisation(user, organisation):
    from portal.accounts.models import Membership

    if organisation is None or not is_active_user(user):
        return False
    return organisation.memberships.filter(user=user, role=Membership.Role.ADMIN).exists()


def _group_role(name):
    group_member = rules.is_group_member(name)

    @rules.predicate(name=f"is_{name}")
    def predicate(user):
        return bool(is_active_user(user) and group_member(user))

    return predicate


is_moderator = _group_role(roles.MODERATOR)
is_civil_servant = _group_role(roles.CIVIL_SERVANT)
is_jury_member = _group_role(roles.JURY_MEMBER)
is_council_member = _group_role(roles.COUNCIL_MEMBER)


@rules.predicate
def is_admin(user):
    return bool(is_active_user(user) and user.is_superuser)


@rules.predicate
def is_staff_user(user):
    return bool(is_active_user(user) and user.is_staff)


# --- permissions: one per action -------------------------------------------------------------

PERMISSIONS = {
    # organisations
    "accounts.view_organisation": rules.always_allow,
    "accounts.add_organisation": is_email_user | is_admin,
    "accounts.view_organisation_members": is_member_of_organisation | is_admin,
    "accounts.change_organisation": is_admin_of_organisation | is_admin,
    "accounts.manage_organisation_members": is_admin_of_organisation | is_admin,
    # the gate for submitting ideas, supporting them and joining sensor projects
    "accounts.act_as_verified_resident": is_verified_resident,
    # personal area
    "accounts.change_own_profile": is_active_user,
    # a resident's own e-mail address for notifications (e-mail accounts keep their login address)
    "accounts.set_notification_email": is_resident,
    "core.view_notifications": is_active_user,
    "core.change_notification_preferences": is_active_user,
    # staff areas
    "core.access_admin": is_staff_user,
    "core.view_moderation_queue": is_moderator | is_admin,
    "core.edit_content": is_civil_servant | is_admin,
    "core.view_jury_area": is_jury_member | is_admin,
    "core.view_council_area": is_council_member | is_admin,
    # public registers
    "registry.view_registers": rules.always_allow,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)

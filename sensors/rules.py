"""Permissions of the sensor networks: one named permission per action (django-rules).

Joining a project is for verified residents (DigiD >= midden): gates use `rules.has_perm`,
which an admin without a DigiD session does not pass. Kit permissions take the `Kit`.
"""

import rules

from portal.accounts.rules import is_active_user, is_admin, is_civil_servant, is_verified_resident


@rules.predicate
def is_kit_owner(user, kit):
    return bool(kit is not None and is_active_user(user) and kit.owner_id == user.pk)


is_sensor_editor = is_civil_servant | is_admin

PERMISSIONS = {
    "sensors.view_sensor_data": rules.always_allow,
    "sensors.join_project": is_verified_resident,
    "sensors.manage_own_kit": is_kit_owner,
    "sensors.view_exact_location": is_kit_owner | is_admin,
    "sensors.manage_projects": is_sensor_editor,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)

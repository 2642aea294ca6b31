"""Permissions of the registers: one named permission per action (django-rules).

`registry.view_registers` (everyone) is defined in portal/accounts/rules.py; do not redefine it.
Publishing follows the four-eyes principle: the person who submitted a version cannot publish
or reject it. The services check that explicitly too, because Django lets a superuser pass every
`user.has_perm()`.
"""

import rules

from portal.accounts.rules import is_admin, is_civil_servant


@rules.predicate
def is_not_submitter(user, version):
    """True unless `version` is an algorithm version that this user submitted."""
    submitted_by_id = getattr(version, "submitted_by_id", None)
    return submitted_by_id is None or submitted_by_id != getattr(user, "pk", None)


is_editor = is_civil_servant | is_admin

PERMISSIONS = {
    "registry.add_algorithm": is_editor,
    "registry.change_algorithm_draft": is_editor,
    "registry.submit_algorithm": is_editor,
    "registry.publish_algorithm": is_editor & is_not_submitter,
    "registry.withdraw_algorithm": is_editor,
    "registry.view_algorithm_drafts": is_editor,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)

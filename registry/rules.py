"""Permissions of the registers: one named permission per action (django-rules).

`registry.view_registers` (everyone) is defined in portal/accounts/rules.py; do not redefine it.
Publishing follows the four-eyes principle: the person who submitted a version cannot publish
or reject it. The services check that explicitly too, because Django lets a superuser pass every
`user.has_perm()`.
"""

import rules

from portal.accounts.rules import is_active_user, is_admin, is_civil_servant


@rules.predicate
def is_not_submitter(user, version):
    """True unless `version` (an algorithm version, pilot or evaluation) was submitted (or
    recorded) by this user."""
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
    # pilot register; publish_pilot also publishes or rejects a version of a published pilot,
    # and publishes or sends back an evaluation: four-eyes. change_pilot_draft also proposes
    # and edits a new version of a published pilot; record_evaluation also edits a draft one.
    "registry.add_pilot": is_editor,
    "registry.change_pilot_draft": is_editor,
    "registry.change_pilot_status": is_editor,
    "registry.submit_pilot": is_editor,
    "registry.publish_pilot": is_editor & is_not_submitter,
    "registry.withdraw_pilot": is_editor,
    "registry.record_evaluation": is_editor,
    "registry.view_pilot_drafts": is_editor,
    # following a pilot or theme: every logged-in person (council members first of all; see
    # docs/registers.md), notified in the site and by e-mail per their preference
    "registry.follow_pilot": is_active_user,
}

for _name, _predicate in PERMISSIONS.items():
    rules.set_perm(_name, _predicate)

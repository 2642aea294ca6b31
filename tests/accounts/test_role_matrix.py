"""Every action × every role. Later issues add their permissions to EXPECTED (one dict).

Rules of the table:
- Roles are the names in portal.accounts.roles.ALL_ROLES; `user_for_role()` in tests/factories.py
  builds a user for each. Organisation roles are members/admins of the `organisation` fixture.
- A permission listed in OBJECT_PERMISSIONS is checked against that organisation.
- Django's rule holds: an active superuser ("admin") passes every has_perm check.
"""

import pytest
import rules
from django.urls import reverse

from portal.accounts import roles
from portal.accounts.assurance import SESSION_KEY, AssuranceLevel
from portal.accounts.models import Membership, Organisation
from tests.factories import IdeaFactory, OrganisationFactory, user_for_role

pytestmark = pytest.mark.django_db

ALL = set(roles.ALL_ROLES)
LOGGED_IN = ALL - {roles.VISITOR}
EMAIL_USERS = LOGGED_IN - {roles.RESIDENT, roles.VERIFIED_RESIDENT}

EXPECTED: dict[str, set[str]] = {
    "accounts.view_organisation": ALL,
    "accounts.add_organisation": EMAIL_USERS,
    "accounts.view_organisation_members": {
        roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN, roles.ADMIN,
    },
    "accounts.change_organisation": {roles.ORGANISATION_ADMIN, roles.ADMIN},
    "accounts.manage_organisation_members": {roles.ORGANISATION_ADMIN, roles.ADMIN},
    "accounts.act_as_verified_resident": {roles.VERIFIED_RESIDENT, roles.ADMIN},
    "accounts.change_own_profile": LOGGED_IN,
    "accounts.set_notification_email": {roles.RESIDENT, roles.VERIFIED_RESIDENT, roles.ADMIN},
    "core.view_notifications": LOGGED_IN,
    "core.change_notification_preferences": LOGGED_IN,
    "core.access_admin": {roles.ADMIN},
    "core.view_moderation_queue": {roles.MODERATOR, roles.ADMIN},
    "core.edit_content": {roles.CIVIL_SERVANT, roles.ADMIN},
    "core.view_jury_area": {roles.JURY_MEMBER, roles.ADMIN},
    "core.view_council_area": {roles.COUNCIL_MEMBER, roles.ADMIN},
    "registry.view_registers": ALL,
    # algorithm register (registry/rules.py); publishing is four-eyes (see tests/registry)
    "registry.add_algorithm": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.change_algorithm_draft": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.submit_algorithm": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.publish_algorithm": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.withdraw_algorithm": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.view_algorithm_drafts": {roles.CIVIL_SERVANT, roles.ADMIN},
    # pilot register (registry/rules.py); publish_pilot is four-eyes (see tests/registry)
    "registry.add_pilot": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.change_pilot_draft": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.change_pilot_status": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.submit_pilot": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.publish_pilot": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.withdraw_pilot": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.record_evaluation": {roles.CIVIL_SERVANT, roles.ADMIN},
    "registry.view_pilot_drafts": {roles.CIVIL_SERVANT, roles.ADMIN},
    # following a pilot or theme (Raadsinformatie): every logged-in person
    "registry.follow_pilot": LOGGED_IN,
    # ideas (portal/ideas/rules.py); object permissions are checked against someone else's
    # idea (see OBJECT_PERMISSIONS); the author's own rights are tested in tests/ideas
    "ideas.view_ideas": ALL,
    "ideas.view_moderation_statistics": ALL,
    "ideas.view_idea": ALL,
    "ideas.add_idea": {roles.RESIDENT, roles.VERIFIED_RESIDENT, roles.ADMIN},
    "ideas.change_idea": {roles.ADMIN},
    "ideas.appeal_rejection": {roles.ADMIN},
    "ideas.support_idea": {roles.VERIFIED_RESIDENT, roles.ADMIN},
    "ideas.comment_on_idea": LOGGED_IN,
    "ideas.report_content": LOGGED_IN,
    "ideas.follow_idea": LOGGED_IN,
    "ideas.moderate": {roles.MODERATOR, roles.ADMIN},
    "ideas.decide_appeal": {roles.MODERATOR, roles.ADMIN},
    "ideas.change_idea_status": {roles.CIVIL_SERVANT, roles.ADMIN},
    "ideas.link_idea": {roles.CIVIL_SERVANT, roles.ADMIN},
    # sensor networks (sensors/rules.py); kit permissions against someone else's kit
    "sensors.view_sensor_data": ALL,
    "sensors.join_project": {roles.VERIFIED_RESIDENT, roles.ADMIN},
    "sensors.manage_own_kit": {roles.ADMIN},
    "sensors.view_exact_location": {roles.ADMIN},
    "sensors.manage_projects": {roles.CIVIL_SERVANT, roles.ADMIN},
    "consent.view_own_consents": LOGGED_IN,
    "consent.give_consent": LOGGED_IN,
    "consent.withdraw_consent": LOGGED_IN,
    "consent.view_own_personal_data": LOGGED_IN,
    "consent.export_own_data": LOGGED_IN,
    "consent.delete_own_account": LOGGED_IN,
    # challenges (challenges/rules.py). Objects: an open challenge, or a submitted proposal of
    # the role's organisation in assessment; the jury member role is appointed to it (the
    # chair) and declared no conflict (see _challenge / _proposal below; the other cases are
    # in tests/challenges/test_rules.py)
    "challenges.view_challenge": ALL,
    "challenges.add_challenge": {roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.change_challenge": {roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.publish_challenge": {roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.amend_challenge": {roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.manage_challenge": {roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.follow_challenge": LOGGED_IN,
    "challenges.ask_question": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN, roles.ADMIN},
    "challenges.answer_question": {roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.add_proposal": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN, roles.ADMIN},
    "challenges.change_proposal": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN,
                                   roles.ADMIN},
    "challenges.submit_proposal": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN,
                                   roles.ADMIN},
    "challenges.withdraw_proposal": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN,
                                     roles.ADMIN},
    "challenges.view_proposal": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN,
                                 roles.CIVIL_SERVANT, roles.JURY_MEMBER, roles.ADMIN},
    "challenges.view_attachment": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN,
                                   roles.CIVIL_SERVANT, roles.JURY_MEMBER, roles.ADMIN},
    "challenges.view_outcome_letter": {roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN,
                                       roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.appoint_jury": {roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.view_jury_area": {roles.JURY_MEMBER, roles.CIVIL_SERVANT, roles.ADMIN},
    "challenges.declare_conflict": {roles.JURY_MEMBER, roles.ADMIN},
    "challenges.score_proposal": {roles.JURY_MEMBER, roles.ADMIN},
    "challenges.finalise_ranking": {roles.JURY_MEMBER, roles.ADMIN},
    "challenges.award": {roles.JURY_MEMBER, roles.ADMIN},
    "challenges.not_award": {roles.JURY_MEMBER, roles.CIVIL_SERVANT, roles.ADMIN},
}

# Actions that only the rule grants, never the superuser as such: an admin has no DigiD session.
# Django's `user.has_perm()` lets an active superuser pass anyway, so gates for these actions use
# `rules.has_perm(name, user)` (or the DigiD helper's `assurance_required`), which does not.
NOT_FOR_SUPERUSER_AS_SUCH = {
    "accounts.act_as_verified_resident", "ideas.add_idea", "ideas.support_idea",
    # a resident's notification address: an admin has a login address of their own
    "accounts.set_notification_email",
    # the author's own rights: an admin is not the author
    "ideas.change_idea", "ideas.appeal_rejection",
    "sensors.join_project", "sensors.manage_own_kit",
    # challenges: an admin is not a member of the bidding organisation nor on the jury
    "challenges.ask_question", "challenges.add_proposal", "challenges.change_proposal",
    "challenges.submit_proposal", "challenges.withdraw_proposal", "challenges.declare_conflict",
    "challenges.score_proposal", "challenges.finalise_ranking", "challenges.award",
}

# Permissions checked against an object; the value builds it from the role's organisation.
OBJECT_PERMISSIONS = {
    "accounts.view_organisation": lambda organisation: organisation,
    "accounts.view_organisation_members": lambda organisation: organisation,
    "accounts.change_organisation": lambda organisation: organisation,
    "accounts.manage_organisation_members": lambda organisation: organisation,
    "ideas.view_idea": lambda organisation: IdeaFactory(),
    "ideas.change_idea": lambda organisation: IdeaFactory(moderation="draft"),
    "ideas.appeal_rejection": lambda organisation: IdeaFactory(moderation="rejected"),
    "ideas.decide_appeal": lambda organisation: IdeaFactory(moderation="appealed"),
    "sensors.manage_own_kit": lambda organisation: _someone_elses_kit(),
    "sensors.view_exact_location": lambda organisation: _someone_elses_kit(),
    **{name: lambda organisation: _challenge() for name in (
        "challenges.view_challenge", "challenges.follow_challenge", "challenges.ask_question",
        "challenges.add_proposal", "challenges.view_jury_area", "challenges.declare_conflict",
        "challenges.finalise_ranking", "challenges.award", "challenges.not_award",
    )},
    **{name: lambda organisation: _proposal(organisation) for name in (
        "challenges.change_proposal", "challenges.submit_proposal",
        "challenges.withdraw_proposal", "challenges.view_proposal",
        "challenges.view_outcome_letter", "challenges.score_proposal",
    )},
    "challenges.view_attachment": lambda organisation: _proposal(organisation).attachments.get(),
}


def _challenge():
    from tests.challenges.builders import matrix_challenge

    return matrix_challenge()


def _proposal(organisation):
    from tests.challenges.builders import matrix_proposal

    return matrix_proposal(organisation)


def _someone_elses_kit():
    from tests.sensors.factories import KitFactory

    return KitFactory()


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Luchtmeters Zwolle", slug="luchtmeters-zwolle")


def test_every_registered_permission_is_in_the_matrix():
    registered = set(rules.permissions.permissions.keys())
    assert registered - set(EXPECTED) == set(), "add new permissions to EXPECTED"
    assert set(EXPECTED) - registered == set(), "EXPECTED names a permission that does not exist"


@pytest.mark.parametrize("role", roles.ALL_ROLES)
@pytest.mark.parametrize("permission", sorted(EXPECTED))
def test_permission_matrix(permission, role, organisation):
    user = user_for_role(role, organisation=organisation)
    obj = OBJECT_PERMISSIONS[permission](organisation) if permission in OBJECT_PERMISSIONS else None

    assert user.has_perm(permission, obj) is (role in EXPECTED[permission])


@pytest.mark.parametrize("role", roles.ALL_ROLES)
@pytest.mark.parametrize("permission", sorted(EXPECTED))
def test_rule_matrix_without_the_superuser_shortcut(permission, role, organisation):
    user = user_for_role(role, organisation=organisation)
    obj = OBJECT_PERMISSIONS[permission](organisation) if permission in OBJECT_PERMISSIONS else None
    allowed = EXPECTED[permission] - (
        {roles.ADMIN} if permission in NOT_FOR_SUPERUSER_AS_SUCH else set()
    )

    assert rules.has_perm(permission, user, obj) is (role in allowed)


@pytest.mark.parametrize(
    "permission",
    ["accounts.view_organisation_members", "accounts.change_organisation",
     "accounts.manage_organisation_members"],
)
@pytest.mark.parametrize("role", [roles.ORGANISATION_MEMBER, roles.ORGANISATION_ADMIN])
def test_organisation_roles_do_not_carry_over_to_another_organisation(
    permission, role, organisation
):
    user = user_for_role(role, organisation=organisation)
    other = OrganisationFactory()

    assert user.has_perm(permission, other) is False


def test_a_resident_with_a_basis_session_is_not_verified():
    user = user_for_role(roles.VERIFIED_RESIDENT)
    user.assurance_level = AssuranceLevel.BASIS

    assert user.has_perm("accounts.act_as_verified_resident") is False


@pytest.mark.parametrize("level", [AssuranceLevel.SUBSTANTIEEL, AssuranceLevel.HOOG])
def test_higher_digid_levels_also_verify(level):
    user = user_for_role(roles.RESIDENT)
    user.assurance_level = level

    assert user.has_perm("accounts.act_as_verified_resident") is True


def test_an_e_mail_user_with_a_session_level_is_not_a_verified_resident():
    user = user_for_role(roles.MODERATOR)
    user.assurance_level = AssuranceLevel.HOOG

    assert user.has_perm("accounts.act_as_verified_resident") is False


def test_an_inactive_staff_member_has_no_staff_permissions():
    user = user_for_role(roles.MODERATOR)
    user.is_active = False
    user.save()

    assert user.has_perm("core.view_moderation_queue") is False
    assert user.has_perm("core.view_notifications") is False


# --- views -----------------------------------------------------------------------------------

OK, FORBIDDEN, TO_LOGIN = 200, 403, 302


def _statuses(allowed: set[str], *, anonymous=TO_LOGIN, denied=FORBIDDEN) -> dict[str, int]:
    return {
        role: OK if role in allowed else (anonymous if role == roles.VISITOR else denied)
        for role in roles.ALL_ROLES
    }


# url name (kwargs use the organisation fixture's slug) -> expected status per role
VIEW_EXPECTED: dict[str, dict[str, int]] = {
    "accounts:organisation_list": _statuses(ALL),
    "accounts:organisation_detail": _statuses(ALL),
    "accounts:organisation_create": _statuses(EMAIL_USERS),
    "accounts:organisation_update": _statuses({roles.ORGANISATION_ADMIN, roles.ADMIN}),
    "accounts:organisation_members": _statuses({roles.ORGANISATION_ADMIN, roles.ADMIN}),
    "accounts:profile": _statuses(LOGGED_IN),
    "consent:consents": _statuses(LOGGED_IN),
    "consent:give": _statuses(LOGGED_IN),
    "area-my-data": _statuses(LOGGED_IN),
    "consent:account-delete": _statuses(LOGGED_IN),
    "registry:algorithm_list": _statuses(ALL),
    "registry:algorithm_create": _statuses({roles.CIVIL_SERVANT, roles.ADMIN}),
    "registry:pilot_list": _statuses(ALL),
    "registry:pilot_create": _statuses({roles.CIVIL_SERVANT, roles.ADMIN}),
    "registry:dashboard": _statuses(ALL),
    # Django's admin sends everyone who is not staff to its own login page.
    "admin:index": _statuses({roles.ADMIN}, denied=TO_LOGIN),
}

SLUG_URLS = {
    "accounts:organisation_detail", "accounts:organisation_update",
    "accounts:organisation_members",
}

# url name -> kwargs built from objects the test creates (later apps add theirs here)
OTHER_KWARGS = {
    "consent:give": lambda: {"purpose_code": _demo_purpose().code},
}


def _demo_purpose():
    from portal.consent import services
    from portal.consent.models import Purpose

    purpose, created = Purpose.objects.get_or_create(
        code="matrix-purpose",
        defaults={"title": "Matrix", "description": "d", "owner_app": "tests",
                  "what_is_processed": "w", "retention": "r"},
    )
    if created:
        services.consent_text_publish(purpose=purpose, body="Tekst", material_change=True, by=None)
    return purpose


def _login(client, user):
    if user.is_authenticated:
        client.force_login(user)
        level = getattr(user, "assurance_level", None)
        if level:
            session = client.session
            session[SESSION_KEY] = level
            session.save()


@pytest.mark.parametrize("role", roles.ALL_ROLES)
@pytest.mark.parametrize("url_name", sorted(VIEW_EXPECTED))
def test_view_matrix(client, url_name, role, organisation):
    user = user_for_role(role, organisation=organisation)
    _login(client, user)
    kwargs = {"slug": organisation.slug} if url_name in SLUG_URLS else {}
    if url_name in OTHER_KWARGS:
        kwargs = OTHER_KWARGS[url_name]()

    response = client.get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == VIEW_EXPECTED[url_name][role]
    if response.status_code == TO_LOGIN:
        assert "login" in response.url or "inloggen" in response.url


@pytest.mark.parametrize("role", sorted(ALL - {roles.ORGANISATION_ADMIN, roles.ADMIN}))
def test_denied_organisation_edit_changes_nothing(client, role, organisation):
    user = user_for_role(role, organisation=organisation)
    _login(client, user)
    before = Organisation.objects.values().get(pk=organisation.pk)

    response = client.post(
        reverse("accounts:organisation_update", kwargs={"slug": organisation.slug}),
        {"name": "Overgenomen", "kind": "ngo", "kvk_number": "87654321", "website": "",
         "description": "weg"},
    )

    assert response.status_code == VIEW_EXPECTED["accounts:organisation_update"][role]
    assert Organisation.objects.values().get(pk=organisation.pk) == before


@pytest.mark.parametrize("role", sorted(ALL - {roles.ORGANISATION_ADMIN, roles.ADMIN}))
def test_denied_member_management_changes_nothing(client, role, organisation):
    from tests.factories import MembershipFactory, UserFactory

    admin_membership = MembershipFactory(organisation=organisation, role=Membership.Role.ADMIN)
    outsider = UserFactory(email="buiten@example.org")
    user = user_for_role(role, organisation=organisation)
    _login(client, user)
    before = set(Membership.objects.values_list("organisation_id", "user_id", "role"))
    url = reverse("accounts:organisation_members", kwargs={"slug": organisation.slug})

    responses = [
        client.post(url, {"action": "add", "email": outsider.email, "role": "admin"}),
        client.post(url, {"action": "remove", "membership": admin_membership.pk}),
        client.post(url, {"action": "role", "membership": admin_membership.pk, "role": "member"}),
    ]

    expected = VIEW_EXPECTED["accounts:organisation_members"][role]
    assert [r.status_code for r in responses] == [expected] * 3
    assert set(Membership.objects.values_list("organisation_id", "user_id", "role")) == before


@pytest.mark.parametrize("role", [roles.RESIDENT, roles.VERIFIED_RESIDENT, roles.VISITOR])
def test_residents_and_visitors_cannot_create_an_organisation(client, role):
    user = user_for_role(role)
    _login(client, user)

    response = client.post(
        reverse("accounts:organisation_create"),
        {"name": "Nep BV", "kind": "startup", "kvk_number": "12345678"},
    )

    assert response.status_code in {FORBIDDEN, TO_LOGIN}
    assert not Organisation.objects.filter(name="Nep BV").exists()

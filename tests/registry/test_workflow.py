"""The editorial workflow: transition table, four-eyes, immutability, versions, events."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts import roles
from registry import services
from registry.models import AlgorithmEvent, AlgorithmVersion, PublishedVersionImmutable
from tests.factories import UserFactory, user_for_role
from tests.registry.conftest import COMPLETE, make_published

pytestmark = pytest.mark.django_db


def _draft(editor, **fields):
    return services.algorithm_create(by=editor, **{**COMPLETE, **fields}).versions.get()


def _submitted(editor, **fields):
    version = _draft(editor, **fields)
    return services.algorithm_version_submit(version=version, by=editor)


def test_the_transition_table():
    table = {action: (src, dst) for action, (src, dst, _perm) in services.TRANSITIONS.items()}
    assert table == {
        "submit": ("draft", "submitted"),
        "publish": ("submitted", "published"),
        "reject": ("submitted", "draft"),
        "withdraw": ("published", "withdrawn"),
    }


def test_the_whole_happy_path_writes_one_event_per_transition(editor, approver):
    version = _draft(editor)
    services.algorithm_version_submit(version=version, by=editor)
    services.algorithm_version_publish(version=version, by=approver)
    algorithm = version.algorithm
    algorithm.refresh_from_db()
    services.algorithm_withdraw(algorithm=algorithm, by=approver, reason="Niet meer in gebruik.")

    events = list(AlgorithmEvent.objects.order_by("at", "pk").values_list(
        "action", "from_state", "to_state", "by", "reason"))
    assert events == [
        ("create", "", "draft", editor.pk, ""),
        ("submit", "draft", "submitted", editor.pk, ""),
        ("publish", "submitted", "published", approver.pk, ""),
        ("withdraw", "published", "withdrawn", approver.pk, "Niet meer in gebruik."),
    ]
    version.refresh_from_db()
    assert version.state == "withdrawn"
    assert version.withdrawn_reason == "Niet meer in gebruik."
    assert version.published_by == approver
    assert algorithm.current_version == version  # stays visible, marked withdrawn


def test_four_eyes_the_submitter_cannot_publish(editor):
    version = _submitted(editor)

    with pytest.raises(PermissionDenied):
        services.algorithm_version_publish(version=version, by=editor)

    version.refresh_from_db()
    assert version.state == "submitted"
    assert not AlgorithmEvent.objects.filter(action="publish").exists()


def test_four_eyes_also_for_an_admin_who_submitted():
    admin = user_for_role(roles.ADMIN)
    version = _submitted(admin)

    with pytest.raises(PermissionDenied):
        services.algorithm_version_publish(version=version, by=admin)


def test_four_eyes_in_the_rule(editor, approver):
    version = _submitted(editor)

    assert editor.has_perm("registry.publish_algorithm", version) is False
    assert approver.has_perm("registry.publish_algorithm", version) is True


def test_an_admin_may_publish_what_a_civil_servant_submitted(editor):
    version = _submitted(editor)

    services.algorithm_version_publish(version=version, by=user_for_role(roles.ADMIN))

    assert version.algorithm.versions.get().state == "published"


@pytest.mark.parametrize("role", sorted(set(roles.ALL_ROLES) - {roles.CIVIL_SERVANT, roles.ADMIN}))
def test_other_roles_cannot_do_anything(editor, role):
    user = user_for_role(role)
    version = _submitted(editor)

    with pytest.raises(PermissionDenied):
        services.algorithm_create(by=user, **COMPLETE)
    with pytest.raises(PermissionDenied):
        services.algorithm_version_publish(version=version, by=user)
    with pytest.raises(PermissionDenied):
        services.algorithm_version_reject(version=version, by=user, reason="nee")

    version.refresh_from_db()
    assert version.state == "submitted"


def test_reject_sends_back_to_draft_with_a_reason(editor, approver):
    version = _submitted(editor)

    with pytest.raises(ValidationError):
        services.algorithm_version_reject(version=version, by=approver, reason="  ")
    services.algorithm_version_reject(version=version, by=approver, reason="Doel is onduidelijk.")

    version.refresh_from_db()
    assert version.state == "draft"
    assert version.submitted_by is None
    event = AlgorithmEvent.objects.get(action="reject")
    assert (event.from_state, event.to_state, event.reason) == (
        "submitted", "draft", "Doel is onduidelijk.")
    # ... and can be changed and submitted again.
    services.algorithm_version_update(version=version, by=editor, goal="Duidelijker doel.")
    services.algorithm_version_submit(version=version, by=editor)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "publish"), ("draft", "reject"), ("draft", "withdraw"),
        ("submitted", "submit"), ("submitted", "withdraw"),
        ("published", "submit"), ("published", "publish"), ("published", "reject"),
        ("withdrawn", "submit"), ("withdrawn", "publish"), ("withdrawn", "reject"),
        ("withdrawn", "withdraw"),
    ],
)
def test_refused_transitions(editor, approver, state, action):
    version = _draft(editor)
    if state != "draft":
        services.algorithm_version_submit(version=version, by=editor)
    if state in {"published", "withdrawn"}:
        services.algorithm_version_publish(version=version, by=approver)
    if state == "withdrawn":
        services.algorithm_withdraw(algorithm=version.algorithm, by=approver, reason="weg")
    events_before = AlgorithmEvent.objects.count()
    version.refresh_from_db()

    attempts = {
        "submit": lambda: services.algorithm_version_submit(version=version, by=editor),
        "publish": lambda: services.algorithm_version_publish(version=version, by=approver),
        "reject": lambda: services.algorithm_version_reject(
            version=version, by=approver, reason="nee"),
        "withdraw": lambda: services.algorithm_withdraw(
            algorithm=version.algorithm, by=approver, reason="weg"),
    }

    with pytest.raises(ValidationError):
        attempts[action]()

    version.refresh_from_db()
    assert version.state == state
    assert AlgorithmEvent.objects.count() == events_before


def test_withdraw_needs_a_reason(published, approver):
    with pytest.raises(ValidationError):
        services.algorithm_withdraw(algorithm=published, by=approver, reason="")

    assert published.versions.get().state == "published"


# --- immutability ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "published", "withdrawn"])
def test_service_refuses_to_change_anything_but_a_draft(editor, approver, state):
    version = _submitted(editor)
    if state != "submitted":
        services.algorithm_version_publish(version=version, by=approver)
    if state == "withdrawn":
        services.algorithm_withdraw(algorithm=version.algorithm, by=approver, reason="weg")

    with pytest.raises(ValidationError):
        services.algorithm_version_update(version=version, by=editor, name="Andere naam")

    version.refresh_from_db()
    assert version.name == COMPLETE["name"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Stiekem aangepast"), ("category", ["Werk"]), ("next_review_date", "2030-01-01"),
     ("impacttoetsen_grouping", [{"title": "IAMA"}])],
)
def test_orm_save_of_a_changed_published_version_is_refused(published, field, value):
    version = AlgorithmVersion.objects.get(algorithm=published)
    setattr(version, field, value)

    with pytest.raises(PublishedVersionImmutable):
        version.save()

    assert AlgorithmVersion.objects.get(pk=version.pk).name == COMPLETE["name"]


def test_orm_update_and_delete_of_a_published_version_are_refused(published):
    versions = AlgorithmVersion.objects.filter(algorithm=published)

    with pytest.raises(PublishedVersionImmutable):
        versions.update(goal="Anders")
    with pytest.raises(PublishedVersionImmutable):
        versions.get().delete()
    with pytest.raises(PublishedVersionImmutable):
        versions.delete()

    assert versions.get().goal == COMPLETE["goal"]


def test_saving_an_unchanged_published_version_is_fine(published):
    version = AlgorithmVersion.objects.get(algorithm=published)
    version.save()  # bookkeeping only, e.g. a withdrawal, is allowed


def test_a_draft_can_be_changed_through_the_orm(editor):
    version = _draft(editor)
    version.name = "Nieuwe naam"
    version.save()


# --- new versions ------------------------------------------------------------------------------


def test_editing_a_published_algorithm_makes_a_new_draft_and_keeps_history(
    published, editor, approver
):
    first = published.current_version

    draft = services.algorithm_new_draft(algorithm=published, by=editor, goal="Nieuw doel.")

    assert (draft.number, draft.state, draft.goal) == (2, "draft", "Nieuw doel.")
    assert draft.name == first.name
    assert draft.category == first.category
    first.refresh_from_db()
    assert first.goal == COMPLETE["goal"]
    assert first.state == "published"
    published.refresh_from_db()
    assert published.current_version == first  # the public still sees version 1

    services.algorithm_version_submit(version=draft, by=editor)
    services.algorithm_version_publish(version=draft, by=approver)

    published.refresh_from_db()
    assert published.current_version == draft
    assert list(published.versions.values_list("number", "state")) == [
        (2, "published"), (1, "published")]


def test_only_one_version_in_progress(published, editor):
    services.algorithm_new_draft(algorithm=published, by=editor)

    with pytest.raises(ValidationError):
        services.algorithm_new_draft(algorithm=published, by=editor)


def test_a_new_draft_needs_a_published_version(editor):
    algorithm = services.algorithm_create(by=editor, name="Concept")

    with pytest.raises(ValidationError):
        services.algorithm_new_draft(algorithm=algorithm, by=editor)


def test_republishing_after_withdrawal(published, editor, approver):
    services.algorithm_withdraw(algorithm=published, by=approver, reason="Even uit.")
    published.refresh_from_db()
    draft = services.algorithm_new_draft(algorithm=published, by=editor, status="In gebruik")
    services.algorithm_version_submit(version=draft, by=editor)
    services.algorithm_version_publish(version=draft, by=approver)

    published.refresh_from_db()
    assert published.current_version.state == "published"
    assert published.current_version.number == 2


def test_slugs_are_unique_and_stable(editor, approver):
    first = make_published(editor, approver)
    second = services.algorithm_create(by=editor, name=COMPLETE["name"])
    reserved = services.algorithm_create(by=editor, name="Nieuw")

    assert first.slug == "parkeercontrole-met-een-scanauto"
    assert second.slug == "parkeercontrole-met-een-scanauto-2"
    assert reserved.slug == "nieuw-2"
    draft = services.algorithm_new_draft(algorithm=first, by=editor, name="Andere naam")
    services.algorithm_version_submit(version=draft, by=editor)
    services.algorithm_version_publish(version=draft, by=approver)
    first.refresh_from_db()
    assert first.slug == "parkeercontrole-met-een-scanauto"


def test_inactive_civil_servant_cannot_publish(editor):
    version = _submitted(editor)
    other = UserFactory(groups=[roles.CIVIL_SERVANT], is_active=False)

    with pytest.raises(PermissionDenied):
        services.algorithm_version_publish(version=version, by=other)

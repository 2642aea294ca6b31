"""The pilot workflow: four-eyes publication, the life-cycle status table, evaluations."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.accounts import roles
from registry import services
from registry.models import Evaluation, KpiResult, Pilot, PilotEvent, PublishedVersionImmutable
from tests.factories import UserFactory, user_for_role
from tests.registry.conftest import FINAL, PILOT_COMPLETE, make_pilot

pytestmark = pytest.mark.django_db

Status = Pilot.Status


def test_the_happy_path_writes_one_event_per_transition(editor, approver):
    pilot = services.pilot_create(by=editor, **PILOT_COMPLETE)
    services.pilot_submit(pilot=pilot, by=editor)
    services.pilot_publish(pilot=pilot, by=approver)
    services.pilot_withdraw(pilot=pilot, by=editor, reason="Vervangen door een nieuwe pilot.")

    pilot.refresh_from_db()
    assert pilot.state == Pilot.State.WITHDRAWN
    assert pilot.published_by == approver
    assert pilot.withdrawn_reason == "Vervangen door een nieuwe pilot."
    assert list(pilot.events.order_by("pk").values_list("action", "from_state", "to_state")) == [
        ("create", "", "draft"), ("submit", "draft", "submitted"),
        ("publish", "submitted", "published"), ("withdraw", "published", "withdrawn"),
    ]


def test_the_submitter_cannot_publish_or_reject(editor):
    pilot = services.pilot_create(by=editor, **PILOT_COMPLETE)
    services.pilot_submit(pilot=pilot, by=editor)

    with pytest.raises(PermissionDenied):
        services.pilot_publish(pilot=pilot, by=editor)
    with pytest.raises(PermissionDenied):
        services.pilot_reject(pilot=pilot, by=editor, reason="zelf")
    pilot.refresh_from_db()
    assert pilot.state == Pilot.State.SUBMITTED


def test_an_admin_who_submitted_cannot_publish_either():
    admin = user_for_role(roles.ADMIN)
    pilot = services.pilot_create(by=admin, **PILOT_COMPLETE)
    services.pilot_submit(pilot=pilot, by=admin)

    with pytest.raises(PermissionDenied):
        services.pilot_publish(pilot=pilot, by=admin)


def test_reject_needs_a_reason_and_goes_back_to_draft(editor, approver):
    pilot = services.pilot_create(by=editor, **PILOT_COMPLETE)
    services.pilot_submit(pilot=pilot, by=editor)

    with pytest.raises(ValidationError):
        services.pilot_reject(pilot=pilot, by=approver, reason="  ")
    services.pilot_reject(pilot=pilot, by=approver, reason="De hypothese is niet meetbaar.")

    pilot.refresh_from_db()
    assert pilot.state == Pilot.State.DRAFT
    assert pilot.submitted_by is None
    assert pilot.events.first().reason == "De hypothese is niet meetbaar."


@pytest.mark.parametrize("action", ["publish", "withdraw"])
def test_refused_publication_transitions_change_nothing(editor, approver, action):
    pilot = services.pilot_create(by=editor, **PILOT_COMPLETE)
    events = PilotEvent.objects.count()

    calls = {
        "publish": lambda: services.pilot_publish(pilot=pilot, by=approver),
        "withdraw": lambda: services.pilot_withdraw(pilot=pilot, by=approver, reason="x"),
    }

    with pytest.raises(ValidationError):
        calls[action]()

    pilot.refresh_from_db()
    assert pilot.state == Pilot.State.DRAFT
    assert PilotEvent.objects.count() == events


def test_only_a_draft_can_be_edited(editor, approver):
    pilot = make_pilot(editor, approver)

    with pytest.raises(ValidationError):
        services.pilot_update(pilot=pilot, by=editor, title="Anders")
    with pytest.raises(ValidationError):
        services.kpi_add(pilot=pilot, by=editor, name="Nieuw")
    pilot.refresh_from_db()
    assert pilot.title == PILOT_COMPLETE["title"]


@pytest.mark.parametrize("role", [roles.VISITOR, roles.RESIDENT, roles.COUNCIL_MEMBER,
                                  roles.MODERATOR, roles.JURY_MEMBER])
def test_other_roles_cannot_write(editor, approver, role):
    user = user_for_role(role)
    draft = services.pilot_create(by=editor, title="Concept")
    pilot = make_pilot(editor, approver)

    for call in (
        lambda: services.pilot_create(by=user, title="X"),
        lambda: services.pilot_update(pilot=draft, by=user, title="X"),
        lambda: services.pilot_submit(pilot=draft, by=user),
        lambda: services.kpi_add(pilot=draft, by=user, name="X"),
        lambda: services.pilot_status_change(pilot=pilot, by=user, to_status="running"),
        lambda: services.evaluation_record(pilot=pilot, by=user, **FINAL),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Pilot.objects.count() == 2
    assert not Evaluation.objects.exists()


# --- the life-cycle status table -------------------------------------------------------------


def test_the_status_table_reaches_every_status_from_idea():
    reachable, todo = {Status.IDEA}, [Status.IDEA]
    while todo:
        for target in services.STATUS_TRANSITIONS[todo.pop()]:
            if target not in reachable:
                reachable.add(target)
                todo.append(target)

    assert reachable == set(Status)
    assert set(services.STATUS_TRANSITIONS) == set(Status)


@pytest.mark.parametrize(("path", "allowed"), [
    (["preparation", "running", "evaluating", "scaled_up"], True),
    (["preparation", "running", "evaluating", "adjusted", "running"], True),
    (["preparation", "prohibited"], True),
    (["running"], False),
    (["preparation", "running", "scaled_up"], False),
    (["stopped", "running"], False),
])
def test_status_changes_follow_the_table(editor, path, allowed):
    pilot = services.pilot_create(by=editor, title="Pilot")

    def walk():
        for step in path:
            services.pilot_status_change(pilot=pilot, by=editor, to_status=step, reason="r")

    if allowed:
        walk()
        pilot.refresh_from_db()
        assert pilot.status == path[-1]
        events = pilot.events.filter(action="status").order_by("pk")
        assert [event.to_state for event in events] == path
        assert events.first().from_state == "idea"
    else:
        with pytest.raises(ValidationError):
            walk()


def test_an_unknown_status_is_refused(editor):
    pilot = services.pilot_create(by=editor, title="Pilot")

    with pytest.raises(ValidationError):
        services.pilot_status_change(pilot=pilot, by=editor, to_status="paused")


# --- evaluations -----------------------------------------------------------------------------


def _results(pilot, **values):
    return {kpi.pk: {"value": Decimal(values.get(kpi.name, "90")), "assessment": "partly",
                     "note": f"over {kpi.name}"} for kpi in pilot.kpis.all()}


def test_an_evaluation_needs_a_public_pilot(editor):
    pilot = services.pilot_create(by=editor, title="Concept")

    with pytest.raises(ValidationError):
        services.evaluation_record(pilot=pilot, by=editor, **FINAL)


def test_a_final_evaluation_with_kpi_results_and_a_decision(editor, approver):
    pilot = make_pilot(editor, approver, kpis=2,
                       status=["preparation", "running"])
    evaluation = services.evaluation_record(pilot=pilot, by=editor,
                                            kpi_results=_results(pilot), **FINAL)

    assert evaluation.state == Evaluation.State.DRAFT
    assert KpiResult.objects.filter(evaluation=evaluation).count() == 2
    with pytest.raises(PermissionDenied):
        services.evaluation_publish(evaluation=evaluation, by=editor)  # four-eyes

    services.evaluation_publish(evaluation=evaluation, by=approver)

    pilot.refresh_from_db()
    evaluation.refresh_from_db()
    assert evaluation.state == Evaluation.State.PUBLISHED
    assert evaluation.published_by == approver
    # decision "adjust" -> status "adjusted", via "being evaluated" (explicit events)
    assert pilot.status == Status.ADJUSTED
    status_events = pilot.events.filter(action="status").order_by("pk")
    assert [(e.from_state, e.to_state) for e in status_events][-2:] == [
        ("running", "evaluating"), ("evaluating", "adjusted"),
    ]
    assert all(e.evaluation_id == evaluation.pk for e in status_events[2:])
    # the KPI results become the KPIs' measured results
    assert {(k.result_value, k.assessment) for k in pilot.kpis.all()} == {
        (Decimal("90"), "partly")
    }
    assert pilot.events.filter(action="evaluation_publish").count() == 1


@pytest.mark.parametrize(("decision", "status"), [
    ("scale_up", "scaled_up"), ("continue", "continued"), ("stop", "stopped"),
])
def test_the_decision_maps_to_the_status(editor, approver, decision, status):
    pilot = make_pilot(editor, approver, status=["preparation", "running", "evaluating"])
    evaluation = services.evaluation_record(pilot=pilot, by=editor,
                                            **{**FINAL, "decision": decision})
    services.evaluation_publish(evaluation=evaluation, by=approver)

    pilot.refresh_from_db()
    assert pilot.status == status


def test_a_decision_the_table_does_not_allow_refuses_the_whole_publication(editor, approver):
    pilot = make_pilot(editor, approver)  # still an idea: cannot be "adjusted"
    evaluation = services.evaluation_record(pilot=pilot, by=editor, **FINAL)

    with pytest.raises(ValidationError):
        services.evaluation_publish(evaluation=evaluation, by=approver)

    evaluation.refresh_from_db()
    pilot.refresh_from_db()
    assert evaluation.state == Evaluation.State.DRAFT
    assert pilot.status == Status.IDEA


def test_a_kpi_of_another_pilot_is_refused(editor, approver):
    pilot = make_pilot(editor, approver)
    other = make_pilot(editor, approver, title="Andere pilot")

    with pytest.raises(ValidationError):
        services.evaluation_record(pilot=pilot, by=editor, kpi_results=_results(other), **FINAL)
    assert not Evaluation.objects.exists()


def test_a_published_evaluation_is_immutable(editor, approver):
    pilot = make_pilot(editor, approver, status=["preparation", "running"])
    evaluation = services.evaluation_record(pilot=pilot, by=editor,
                                            kpi_results=_results(pilot), **FINAL)
    services.evaluation_publish(evaluation=evaluation, by=approver)
    evaluation.refresh_from_db()
    result = evaluation.kpi_results.get()

    evaluation.council_summary = "Herschreven"
    with pytest.raises(PublishedVersionImmutable):
        evaluation.save()
    with pytest.raises(PublishedVersionImmutable):
        Evaluation.objects.filter(pk=evaluation.pk).update(decision="stop")
    with pytest.raises(PublishedVersionImmutable):
        Evaluation.objects.filter(pk=evaluation.pk).delete()
    result.value = Decimal("1")
    with pytest.raises(PublishedVersionImmutable):
        result.save()
    with pytest.raises(PublishedVersionImmutable):
        result.delete()
    with pytest.raises(ValidationError):
        services.evaluation_publish(evaluation=evaluation, by=UserFactory(
            groups=[roles.CIVIL_SERVANT]))
    assert Evaluation.objects.get().council_summary == FINAL["council_summary"]
    assert KpiResult.objects.get().value == Decimal("90")

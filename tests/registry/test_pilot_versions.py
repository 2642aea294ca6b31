"""Versions of a published pilot (issue 6, item 3): a civil servant proposes a change to the
published card (content, linked algorithms, KPI definitions) as a new version; someone else
publishes it (four-eyes) or sends it back with a reason; every published version is kept frozen
and the history page shows what changed. Also: editing and sending back a draft evaluation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from portal.accounts import roles
from registry import selectors, services
from registry.models import (
    Evaluation,
    Kpi,
    Pilot,
    PilotEvent,
    PilotVersion,
    PublishedVersionImmutable,
)
from tests.factories import UserFactory, user_for_role
from tests.registry.conftest import FINAL, KPI, count_queries, make_pilot, make_published

pytestmark = pytest.mark.django_db

NEW_SUMMARY = "De bus rijdt nu alleen in de spits, als proef voor één jaar."


def _url(name, pilot, **kwargs):
    return reverse(f"registry:{name}", kwargs={"slug": pilot.slug, **kwargs})


def _propose(pilot, by, **changes):
    return services.pilot_new_draft(pilot=pilot, by=by, **({"summary": NEW_SUMMARY} | changes))


def _published_change(pilot, editor, approver, **changes):
    version = _propose(pilot, editor, **changes)
    services.pilot_version_submit(version=version, by=editor)
    return services.pilot_version_publish(version=version, by=approver)


def _kpi_fields(kpi, **changes):
    return {field: getattr(kpi, field) for field in services.KPI_DEFINITION_FIELDS} | changes


# --- services: the workflow ------------------------------------------------------------------


def test_the_first_publication_is_kept_as_version_1(editor, approver):
    pilot = make_pilot(editor, approver, kpis=2)

    version = pilot.current_version
    assert (version.number, version.state) == (1, "published")
    assert (version.submitted_by, version.published_by) == (editor, approver)
    assert version.title == pilot.title
    assert version.summary == pilot.summary
    assert [kpi["id"] for kpi in version.kpis] == list(pilot.kpis.values_list("pk", flat=True))
    assert version.kpis[0]["target_value"] == "150.000"
    assert pilot.events.get(action="publish").version == version


def test_propose_submit_publish_by_another_person(client, editor, approver):
    pilot = make_pilot(editor, approver)
    old_summary = pilot.summary

    version = _propose(pilot, editor)
    services.pilot_version_submit(version=version, by=editor)

    # The public keeps seeing the published content until the change is published.
    pilot.refresh_from_db()
    assert pilot.summary == old_summary
    assert old_summary in client.get(pilot.get_absolute_url()).content.decode()
    assert client.get(_url("pilot_version", pilot)).status_code == 302  # login: not public
    api = client.get(f"/api/v1/pilots/{pilot.slug}/").json()
    assert (api["summary"], api["version"]) == (old_summary, 1)

    services.pilot_version_publish(version=version, by=approver)

    pilot.refresh_from_db()
    version.refresh_from_db()
    assert pilot.summary == NEW_SUMMARY
    assert pilot.current_version == version
    assert (version.number, version.state, version.published_by) == (2, "published", approver)
    assert NEW_SUMMARY in client.get(pilot.get_absolute_url()).content.decode()
    api = client.get(f"/api/v1/pilots/{pilot.slug}/").json()
    assert (api["summary"], api["version"]) == (NEW_SUMMARY, 2)
    assert list(pilot.events.filter(version=version).order_by("pk").values_list(
        "action", "from_state", "to_state")) == [
        ("create", "", "draft"), ("submit", "draft", "submitted"),
        ("publish", "submitted", "published"),
    ]
    history = client.get(_url("pilot_history", pilot)).content.decode()
    assert 'data-field="summary"' in history
    assert old_summary in history
    assert NEW_SUMMARY in history
    assert "Version 2" in history or "Versie 2" in history


def test_the_submitter_cannot_publish_or_reject(editor, approver):
    pilot = make_pilot(editor, approver)
    version = _propose(pilot, editor)
    services.pilot_version_submit(version=version, by=editor)

    with pytest.raises(PermissionDenied):
        services.pilot_version_publish(version=version, by=editor)
    with pytest.raises(PermissionDenied):
        services.pilot_version_reject(version=version, by=editor, reason="zelf")
    version.refresh_from_db()
    pilot.refresh_from_db()
    assert version.state == "submitted"
    assert pilot.summary != NEW_SUMMARY


def test_an_admin_who_submitted_cannot_publish_either(editor, approver):
    admin = user_for_role(roles.ADMIN)
    pilot = make_pilot(editor, approver)
    version = _propose(pilot, admin)
    services.pilot_version_submit(version=version, by=admin)

    with pytest.raises(PermissionDenied):
        services.pilot_version_publish(version=version, by=admin)
    services.pilot_version_publish(version=version, by=editor)  # someone else may


def test_rejection_needs_a_reason_and_sends_the_version_back(editor, approver):
    pilot = make_pilot(editor, approver)
    version = _propose(pilot, editor)
    services.pilot_version_submit(version=version, by=editor)

    with pytest.raises(ValidationError):
        services.pilot_version_reject(version=version, by=approver, reason="  ")
    services.pilot_version_reject(version=version, by=approver,
                                  reason="Zeg ook waarom de bus alleen in de spits rijdt.")

    version.refresh_from_db()
    assert (version.state, version.submitted_by) == ("draft", None)
    event = pilot.events.filter(version=version).first()
    assert (event.action, event.reason) == ("reject", "Zeg ook waarom de bus alleen in de spits "
                                                      "rijdt.")
    # Back in draft, it can be changed and submitted again.
    services.pilot_version_update(version=version, by=editor, summary="Alleen in de spits.")
    services.pilot_version_submit(version=version, by=editor)
    services.pilot_version_publish(version=version, by=approver)
    pilot.refresh_from_db()
    assert pilot.summary == "Alleen in de spits."


def test_only_a_draft_version_can_be_changed(editor, approver):
    pilot = make_pilot(editor, approver)
    version = _propose(pilot, editor)
    services.pilot_version_submit(version=version, by=editor)

    with pytest.raises(ValidationError) as error:
        services.pilot_version_update(version=version, by=editor, summary="Nog iets")
    assert error.value.code == "not_a_draft"
    with pytest.raises(ValidationError):
        services.pilot_version_kpi_save(version=version, by=editor, **KPI)


def test_one_version_in_progress_at_a_time(editor, approver):
    pilot = make_pilot(editor, approver)
    _propose(pilot, editor)

    with pytest.raises(ValidationError) as error:
        _propose(pilot, approver)
    assert error.value.code == "open_version_exists"
    with pytest.raises(IntegrityError), transaction.atomic():
        PilotVersion.objects.create(pilot=pilot, number=9, title="Tweede concept")


def test_a_draft_pilot_is_edited_directly_not_versioned(editor):
    pilot = services.pilot_create(by=editor, title="Concept")

    with pytest.raises(ValidationError) as error:
        _propose(pilot, editor)
    assert error.value.code == "pilot_not_published"
    assert not pilot.versions.exists()


def test_a_version_is_validated_like_the_pilot(editor, approver):
    pilot = make_pilot(editor, approver)

    with pytest.raises(ValidationError) as error:
        _propose(pilot, editor, personal_data=True)
    assert {"legal_basis", "dpia_link", "retention"} <= set(error.value.message_dict)
    version = _propose(pilot, editor, summary="")
    with pytest.raises(ValidationError) as error:
        services.pilot_version_submit(version=version, by=editor)
    assert "summary" in error.value.message_dict


def test_kpi_definitions_and_algorithms_are_versioned_results_are_not(editor, approver):
    pilot = make_pilot(editor, approver, kpis=1, status=["preparation", "running"])
    kpi = pilot.kpis.get()
    evaluation = services.evaluation_record(
        pilot=pilot, by=editor, **FINAL,
        kpi_results={kpi.pk: {"value": Decimal("40"), "assessment": "not_met", "note": ""}},
    )
    services.evaluation_publish(evaluation=evaluation, by=approver)
    algorithm = make_published(editor, approver)

    version = _propose(pilot, editor, algorithms=[algorithm])
    services.pilot_version_kpi_save(version=version, by=editor, position=1,
                                    **_kpi_fields(kpi, target_value=Decimal("100")))
    services.pilot_version_kpi_save(version=version, by=editor,
                                    **{**KPI, "name": "Tevredenheid", "unit": "cijfer"})
    services.pilot_version_submit(version=version, by=editor)
    services.pilot_version_publish(version=version, by=approver)

    pilot.refresh_from_db()
    kpi.refresh_from_db()
    version.refresh_from_db()
    assert kpi.target_value == 100
    assert (kpi.result_value, kpi.assessment) == (40, "not_met")  # set by the evaluation
    assert list(pilot.kpis.order_by("pk").values_list("name", flat=True)) == [
        "KPI 1", "Tevredenheid"]
    assert [entry["id"] for entry in version.kpis] == list(
        pilot.kpis.order_by("pk").values_list("pk", flat=True))
    assert list(pilot.algorithms.all()) == [algorithm]
    assert version.algorithms == [{"slug": algorithm.slug, "name": algorithm.current_version.name}]
    # The first version still holds the old definition and no algorithm.
    first = pilot.versions.get(number=1)
    assert (first.kpis[0]["target_value"], first.algorithms) == ("150.000", [])

    changes = {row["field"]: row for row in selectors.version_diff(first, version)}
    assert changes[f"kpi-{kpi.pk}-target_value"]["before"] == "150"
    assert changes[f"kpi-{kpi.pk}-target_value"]["after"] == "100"
    new_kpi = pilot.kpis.get(name="Tevredenheid")
    added = changes[f"kpi-{new_kpi.pk}"]  # an added KPI is one row
    assert added["before"] == ""
    assert "Tevredenheid" in added["after"]
    assert "cijfer" in added["after"]
    assert changes["algorithms"]["after"] == algorithm.current_version.name
    assert "summary" in changes


def test_a_kpi_position_outside_the_version_is_refused(editor, approver):
    pilot = make_pilot(editor, approver, kpis=1)
    version = _propose(pilot, editor)

    with pytest.raises(ValidationError):
        services.pilot_version_kpi_save(version=version, by=editor, position=2, **KPI)
    with pytest.raises(ValidationError):
        services.pilot_version_kpi_save(version=version, by=editor, position=1,
                                        **{**KPI, "target_value": Decimal("1e20")})


# --- immutability ----------------------------------------------------------------------------


def test_a_published_version_cannot_be_changed_or_deleted_through_the_orm(editor, approver):
    pilot = make_pilot(editor, approver)
    _published_change(pilot, editor, approver)
    for version in PilotVersion.objects.filter(pilot=pilot):
        version.title = "Herschreven"
        with pytest.raises(PublishedVersionImmutable):
            version.save()
        version.refresh_from_db()
        version.kpis = []
        with pytest.raises(PublishedVersionImmutable):
            version.save()
        with pytest.raises(PublishedVersionImmutable):
            version.delete()
    queryset = PilotVersion.objects.filter(pilot=pilot)
    with pytest.raises(PublishedVersionImmutable):
        queryset.update(summary="Anders")
    with pytest.raises(PublishedVersionImmutable):
        queryset.update(kpis=[])
    with pytest.raises(PublishedVersionImmutable):
        queryset.delete()
    assert list(queryset.values_list("number", "title")) == [
        (2, pilot.title), (1, pilot.title)]


def test_the_services_refuse_to_change_a_published_version(editor, approver):
    pilot = make_pilot(editor, approver)
    first = pilot.current_version

    with pytest.raises(ValidationError):
        services.pilot_version_update(version=first, by=editor, summary="Anders")
    with pytest.raises(ValidationError):
        services.pilot_version_kpi_save(version=first, by=editor, position=1, **KPI)
    with pytest.raises(ValidationError):
        services.pilot_version_publish(version=first, by=approver)
    first.refresh_from_db()
    assert (first.summary, first.state) == (pilot.summary, "published")


def test_an_unchanged_published_version_saves_its_bookkeeping(editor, approver):
    """Loading a version and saving it unchanged (JSON and decimals read back) is no change."""
    pilot = make_pilot(editor, approver, kpis=2, budget=Decimal("480000"))
    version = PilotVersion.objects.get(pk=pilot.current_version_id)
    version.withdrawn_reason = "bijgehouden"
    version.save()


# --- withdrawal ------------------------------------------------------------------------------


def test_withdrawal_keeps_the_pilot_and_its_history_visible_with_the_reason(client, editor,
                                                                           approver):
    pilot = make_pilot(editor, approver)
    _published_change(pilot, editor, approver)
    open_version = _propose(pilot, editor, summary="Nog een wijziging")

    services.pilot_withdraw(pilot=pilot, by=approver, reason="De pilot is vervangen.")

    pilot.refresh_from_db()
    current = pilot.current_version
    assert (current.number, current.state) == (2, "withdrawn")
    assert current.withdrawn_reason == "De pilot is vervangen."
    assert pilot.versions.get(number=1).state == "published"
    detail = client.get(pilot.get_absolute_url())
    history = client.get(_url("pilot_history", pilot))
    assert detail.status_code == history.status_code == 200
    for page in (detail, history):
        assert "De pilot is vervangen." in page.content.decode()
        assert 'data-testid="withdrawn-notice"' in page.content.decode()
    assert client.get(f"/api/v1/pilots/{pilot.slug}/").status_code == 404
    # The change in progress can no longer be published, nor can a new one be proposed.
    with pytest.raises(ValidationError):
        services.pilot_version_submit(version=open_version, by=editor)
    with pytest.raises(ValidationError):
        services.pilot_new_draft(pilot=pilot, by=editor, summary="x")


# --- the data migration ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_published_pilots_version_1():
    executor = MigrationExecutor(connection)
    before, after = [("registry", "0003_pilotsubscription")], [("registry", "0004_pilot_versions")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    Pilot0, Kpi0 = apps.get_model("registry", "Pilot"), apps.get_model("registry", "Kpi")
    Event0 = apps.get_model("registry", "PilotEvent")
    published = Pilot0.objects.create(
        slug="gepubliceerd", title="Gepubliceerd", state="published", summary="Samenvatting",
        budget=Decimal("1000.50"), start_date=dt.date(2024, 1, 1),
        published_at=dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
    )
    Kpi0.objects.create(pilot=published, name="Reizigers", target_value=Decimal("150"))
    Event0.objects.create(pilot=published, action="publish", from_state="submitted",
                          to_state="published")
    withdrawn = Pilot0.objects.create(slug="ingetrokken", title="Ingetrokken", state="withdrawn",
                                      withdrawn_reason="Vervangen")
    Pilot0.objects.create(slug="concept", title="Concept", state="draft")

    try:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        apps = executor.loader.project_state(after).apps
        Pilot1 = apps.get_model("registry", "Pilot")
        Version1 = apps.get_model("registry", "PilotVersion")

        versions = {v.pilot.slug: v for v in Version1.objects.select_related("pilot")}
        assert set(versions) == {"gepubliceerd", "ingetrokken"}
        first = versions["gepubliceerd"]
        assert (first.number, first.state, first.title, first.budget) == (
            1, "published", "Gepubliceerd", Decimal("1000.50"))
        assert first.published_at == published.published_at
        assert [(k["name"], k["target_value"]) for k in first.kpis] == [("Reizigers", "150.000")]
        assert (versions["ingetrokken"].state,
                versions["ingetrokken"].withdrawn_reason) == ("withdrawn", "Vervangen")
        assert Pilot1.objects.get(pk=published.pk).current_version_id == first.pk
        assert Pilot1.objects.get(pk=withdrawn.pk).current_version_id == versions[
            "ingetrokken"].pk
        assert Pilot1.objects.get(slug="concept").current_version_id is None
        assert apps.get_model("registry", "PilotEvent").objects.get().version_id == first.pk
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- pages -----------------------------------------------------------------------------------


def _card(pilot, **overrides):
    """The pilot form's POST data with the pilot's current values."""
    data = {}
    for field in Pilot.CONTENT_FIELDS:
        value = getattr(pilot, field)
        if isinstance(value, bool):
            if value:
                data[field] = "on"
            continue
        data[field] = "" if value is None else (
            value.isoformat() if hasattr(value, "isoformat") else str(value))
    data["algorithms"] = [algorithm.pk for algorithm in pilot.algorithms.all()]
    data.update(overrides)
    return data


def test_edit_a_published_pilot_through_the_pages(client, editor, approver):
    pilot = make_pilot(editor, approver, kpis=1)
    old_summary = pilot.summary
    client.force_login(editor)

    page = client.get(pilot.get_absolute_url()).content.decode()
    assert 'data-testid="propose-changes"' in page
    form = client.get(_url("pilot_update", pilot))
    assert form.status_code == 200
    assert old_summary in form.content.decode()
    response = client.post(_url("pilot_update", pilot), _card(pilot, summary=NEW_SUMMARY))
    assert response.status_code == 302
    assert response.url == _url("pilot_version", pilot)
    # The form shows the draft's values the next time.
    assert NEW_SUMMARY in client.get(_url("pilot_update", pilot)).content.decode()
    response = client.post(_url("pilot_version_kpi_update", pilot, position=1), {
        "name": "KPI 1", "unit": "reizigers", "direction": "higher", "baseline_value": "0",
        "target_value": "120",
    })
    assert response.status_code == 302
    response = client.post(_url("pilot_version_kpi_create", pilot), {
        "name": "Tevredenheid", "unit": "cijfer", "direction": "higher", "target_value": "7.5",
    })
    assert response.status_code == 302

    concept = client.get(_url("pilot_version", pilot)).content.decode()
    assert 'data-field="summary"' in concept  # the diff with the published version
    assert "Tevredenheid" in concept
    assert client.post(_url("pilot_submit", pilot)).status_code == 302
    assert client.post(_url("pilot_publish", pilot)).status_code == 403  # four-eyes
    client.logout()
    assert old_summary in client.get(pilot.get_absolute_url()).content.decode()

    client.force_login(approver)
    concept = client.get(_url("pilot_version", pilot)).content.decode()
    assert 'data-testid="publish"' in concept
    assert client.post(_url("pilot_publish", pilot)).status_code == 302
    client.logout()

    pilot.refresh_from_db()
    assert pilot.summary == NEW_SUMMARY
    assert list(pilot.kpis.order_by("pk").values_list("target_value", flat=True)) == [
        Decimal("120"), Decimal("7.5")]
    detail = client.get(pilot.get_absolute_url()).content.decode()
    assert NEW_SUMMARY in detail
    assert 'data-testid="history-link"' in detail
    history = client.get(_url("pilot_history", pilot)).content.decode()
    assert 'data-field="summary"' in history
    assert f'data-field="kpi-{pilot.kpis.first().pk}-target_value"' in history
    assert 'id="versie-2"' in history
    assert 'id="versie-1"' in history


def test_rejection_through_the_page_shows_the_reason_to_the_editor(client, editor, approver):
    pilot = make_pilot(editor, approver)
    version = _propose(pilot, editor)
    services.pilot_version_submit(version=version, by=editor)
    client.force_login(approver)

    client.post(_url("pilot_reject", pilot), {"reason": "Bron ontbreekt."})

    version.refresh_from_db()
    assert version.state == "draft"
    client.force_login(editor)
    assert "Bron ontbreekt." in client.get(_url("pilot_history", pilot)).content.decode()
    assert client.get(_url("pilot_update", pilot)).status_code == 200


def test_a_submitted_version_cannot_be_edited_through_the_page(client, editor, approver):
    pilot = make_pilot(editor, approver)
    version = _propose(pilot, editor)
    services.pilot_version_submit(version=version, by=editor)
    client.force_login(editor)

    response = client.post(_url("pilot_update", pilot), _card(pilot, summary="Stiekem"))

    assert response.status_code == 302
    assert response.url == _url("pilot_version", pilot)
    version.refresh_from_db()
    assert version.summary == NEW_SUMMARY
    assert client.get(_url("pilot_version_kpi_create", pilot)).status_code == 302


def test_kpi_pages_of_a_draft_pilot_still_edit_the_kpis_directly(client, editor, approver):
    pilot = make_pilot(editor, approver)
    client.force_login(editor)

    # A published pilot's KPIs are changed through a version, not the draft KPI page.
    response = client.get(_url("kpi_create", pilot))
    assert response.status_code == 302
    assert response.url == pilot.get_absolute_url()
    # Without a version in progress the version's KPI pages send you back too.
    assert client.get(_url("pilot_version_kpi_create", pilot)).status_code == 302
    _propose(pilot, editor)
    assert client.get(_url("pilot_version_kpi_update", pilot, position=1)).status_code == 200
    assert client.get(_url("pilot_version_kpi_update", pilot, position=5)).status_code == 404


def test_history_query_count_does_not_grow_with_versions(client, editor, approver):
    pilot = make_pilot(editor, approver, kpis=2)
    _published_change(pilot, editor, approver)
    url = _url("pilot_history", pilot)
    client.get(url)
    few = count_queries(client, url)

    for number in range(4):
        _published_change(pilot, editor, approver, summary=f"Versie {number + 3}.")

    assert count_queries(client, url) == few


def test_the_api_keeps_its_shape_and_adds_the_version(client, editor, approver):
    pilot = make_pilot(editor, approver)
    _published_change(pilot, editor, approver)

    record = client.get("/api/v1/pilots/").json()["results"][0]

    assert record["version"] == 2
    assert list(record) == [
        "id", "slug", "title", "summary", "theme", "status", "start_date", "planned_end_date",
        "neighbourhood", "latitude", "longitude", "department", "alderman", "problem", "goal",
        "hypothesis", "intervention", "evaluation_design", "partners", "budget",
        "data_collected", "personal_data", "legal_basis", "dpia_link", "retention",
        "next_review_date", "algorithms", "published_at", "version", "kpis", "evaluations",
    ]


# --- page × role -----------------------------------------------------------------------------

OK, FORBIDDEN, TO_LOGIN, NOT_FOUND = 200, 403, 302, 404
EDITORS = {roles.CIVIL_SERVANT, roles.ADMIN}


def _expected(*, public):
    def status(role):
        if public or role in EDITORS:
            return OK
        return TO_LOGIN if role == roles.VISITOR else FORBIDDEN
    return status


# page -> (url maker, public?)
PAGES = {
    "history": (lambda pilot, evaluation: _url("pilot_history", pilot), True),
    "version in progress": (lambda pilot, evaluation: _url("pilot_version", pilot), False),
    "propose changes": (lambda pilot, evaluation: _url("pilot_update", pilot), False),
    "add a KPI to the version": (
        lambda pilot, evaluation: _url("pilot_version_kpi_create", pilot), False),
    "edit a KPI of the version": (
        lambda pilot, evaluation: _url("pilot_version_kpi_update", pilot, position=1), False),
    "edit a draft evaluation": (
        lambda pilot, evaluation: _url("evaluation_update", pilot, pk=evaluation.pk), False),
}


@pytest.mark.parametrize("role", roles.ALL_ROLES)
@pytest.mark.parametrize("page", sorted(PAGES))
def test_pages_by_role(client, editor, approver, page, role):
    pilot = make_pilot(editor, approver, status=["preparation", "running"])
    _propose(pilot, editor)
    evaluation = services.evaluation_record(pilot=pilot, by=editor, **FINAL)
    user = user_for_role(role)
    if user.is_authenticated:
        client.force_login(user)
    make_url, public = PAGES[page]

    response = client.get(make_url(pilot, evaluation))

    assert response.status_code == _expected(public=public)(role)


def test_the_history_of_an_unpublished_pilot_is_hidden(client, editor):
    pilot = services.pilot_create(by=editor, title="Concept")

    assert client.get(_url("pilot_history", pilot)).status_code == NOT_FOUND
    client.force_login(editor)
    assert client.get(_url("pilot_history", pilot)).status_code == OK


NON_EDITORS = sorted(set(roles.ALL_ROLES) - EDITORS)


@pytest.mark.parametrize("role", NON_EDITORS)
def test_wrong_role_cannot_propose_submit_publish_or_send_back(client, editor, approver, role):
    pilot = make_pilot(editor, approver, status=["preparation", "running"])
    version = _propose(pilot, editor)
    services.pilot_version_submit(version=version, by=editor)
    evaluation = services.evaluation_record(pilot=pilot, by=editor, **FINAL)
    user = user_for_role(role)
    if user.is_authenticated:
        client.force_login(user)
    expected = FORBIDDEN if user.is_authenticated else TO_LOGIN
    before = (list(Pilot.objects.values().order_by("pk")),
              list(PilotVersion.objects.values().order_by("pk")),
              list(Evaluation.objects.values().order_by("pk")), PilotEvent.objects.count())

    responses = [
        client.post(_url("pilot_update", pilot), _card(pilot, summary="Overgenomen")),
        client.post(_url("pilot_version_kpi_create", pilot), {"name": "x"}),
        client.post(_url("pilot_submit", pilot)),
        client.post(_url("pilot_publish", pilot)),
        client.post(_url("pilot_reject", pilot), {"reason": "nee"}),
        client.post(_url("evaluation_update", pilot, pk=evaluation.pk), {"kind": "final"}),
        client.post(_url("evaluation_return", pilot, pk=evaluation.pk), {"reason": "nee"}),
    ]

    assert {response.status_code for response in responses} == {expected}
    assert before == (list(Pilot.objects.values().order_by("pk")),
                      list(PilotVersion.objects.values().order_by("pk")),
                      list(Evaluation.objects.values().order_by("pk")),
                      PilotEvent.objects.count())


# --- draft evaluations: edit and send back ---------------------------------------------------


def _recorded(editor, approver):
    pilot = make_pilot(editor, approver, status=["preparation", "running"])
    kpi = pilot.kpis.get()
    evaluation = services.evaluation_record(
        pilot=pilot, by=editor, **FINAL,
        kpi_results={kpi.pk: {"value": Decimal("40"), "assessment": "not_met", "note": ""}},
    )
    return pilot, kpi, evaluation


def test_a_draft_evaluation_can_be_edited_and_the_editor_counts_as_recorder(editor, approver):
    pilot, kpi, evaluation = _recorded(editor, approver)

    services.evaluation_update(
        evaluation=evaluation, by=approver, council_summary="Korter en duidelijker.",
        kpi_results={kpi.pk: {"value": Decimal("45"), "assessment": "partly", "note": "Beter"}},
    )

    evaluation.refresh_from_db()
    result = evaluation.kpi_results.get()
    assert evaluation.council_summary == "Korter en duidelijker."
    assert (result.value, result.assessment, result.note) == (45, "partly", "Beter")
    assert evaluation.submitted_by == approver
    with pytest.raises(PermissionDenied):  # four-eyes: whoever changed it last
        services.evaluation_publish(evaluation=evaluation, by=approver)
    services.evaluation_publish(evaluation=evaluation, by=editor)
    assert pilot.events.filter(action="evaluation_update").count() == 1


def test_an_evaluation_sent_back_must_be_changed_before_publication(client, editor, approver):
    pilot, kpi, evaluation = _recorded(editor, approver)

    with pytest.raises(PermissionDenied):
        services.evaluation_return(evaluation=evaluation, by=editor, reason="zelf")
    with pytest.raises(ValidationError):
        services.evaluation_return(evaluation=evaluation, by=approver, reason=" ")
    services.evaluation_return(evaluation=evaluation, by=approver,
                               reason="De kosten ontbreken.")

    evaluation.refresh_from_db()
    assert evaluation.state == "returned"
    with pytest.raises(ValidationError):
        services.evaluation_publish(evaluation=evaluation, by=approver)
    assert client.get(_url("evaluation_detail", pilot, pk=evaluation.pk)).status_code == 404
    client.force_login(editor)
    page = client.get(_url("evaluation_detail", pilot, pk=evaluation.pk)).content.decode()
    assert "De kosten ontbreken." in page
    assert 'data-testid="edit-evaluation"' in page

    services.evaluation_update(evaluation=evaluation, by=editor, cost_benefit="€ 480.000.")
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.submitted_by) == ("draft", editor)
    services.evaluation_publish(evaluation=evaluation, by=approver)
    assert list(pilot.events.filter(evaluation=evaluation).order_by("pk").values_list(
        "action", "to_state"))[:4] == [
        ("evaluation_record", "draft"), ("evaluation_return", "returned"),
        ("evaluation_update", "draft"), ("evaluation_publish", "published"),
    ]


def test_a_published_evaluation_cannot_be_edited_or_sent_back(editor, approver):
    pilot, kpi, evaluation = _recorded(editor, approver)
    services.evaluation_publish(evaluation=evaluation, by=approver)

    with pytest.raises(ValidationError):
        services.evaluation_update(evaluation=evaluation, by=editor, council_summary="Anders")
    with pytest.raises(ValidationError):
        services.evaluation_return(evaluation=evaluation, by=approver, reason="Te laat")
    evaluation.refresh_from_db()
    assert evaluation.council_summary == FINAL["council_summary"]


def test_edit_and_send_back_an_evaluation_through_the_pages(client, editor, approver):
    pilot, kpi, evaluation = _recorded(editor, approver)
    url = _url("evaluation_detail", pilot, pk=evaluation.pk)
    client.force_login(approver)
    page = client.get(url).content.decode()
    assert 'data-testid="return-evaluation"' in page

    client.post(_url("evaluation_return", pilot, pk=evaluation.pk), {"reason": "Meer uitleg."})

    evaluation.refresh_from_db()
    assert evaluation.state == "returned"
    client.force_login(editor)
    form = client.get(_url("evaluation_update", pilot, pk=evaluation.pk))
    assert form.status_code == 200
    assert 'value="40.000"' in form.content.decode() or 'value="40"' in form.content.decode()
    data = {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in FINAL.items()}
    data.update({"side_effects": "", "participant_feedback": "", "cost_benefit": "Uitleg.",
                 "follow_up": "", f"kpi_{kpi.pk}_value": "41", f"kpi_{kpi.pk}_assessment":
                 "not_met", f"kpi_{kpi.pk}_note": ""})
    response = client.post(_url("evaluation_update", pilot, pk=evaluation.pk), data)
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.cost_benefit) == ("draft", "Uitleg.")
    assert evaluation.kpi_results.get().value == 41
    client.force_login(approver)
    client.post(_url("evaluation_publish", pilot, pk=evaluation.pk))
    evaluation.refresh_from_db()
    assert evaluation.state == "published"
    # Published: the edit page sends you back.
    client.force_login(editor)
    assert client.get(_url("evaluation_update", pilot, pk=evaluation.pk)).status_code == 302


def test_the_kpi_results_of_a_version_change_use_the_same_kpi_rows(editor, approver):
    """A KPI keeps its row (and its results) when a version changes its definition."""
    pilot, kpi, evaluation = _recorded(editor, approver)
    services.evaluation_publish(evaluation=evaluation, by=approver)
    before = Kpi.objects.count()

    version = _propose(pilot, editor)
    services.pilot_version_kpi_save(version=version, by=editor, position=1,
                                    **_kpi_fields(kpi, name="Reizigers per werkdag"))
    services.pilot_version_submit(version=version, by=editor)
    services.pilot_version_publish(version=version, by=approver)

    assert Kpi.objects.count() == before
    assert evaluation.kpi_results.get().kpi.name == "Reizigers per werkdag"


def test_a_superuser_is_not_exempt_from_four_eyes_on_evaluations():
    admin = user_for_role(roles.ADMIN)
    other = UserFactory(groups=[roles.CIVIL_SERVANT])
    pilot = make_pilot(admin, other, status=["preparation", "running"])
    evaluation = services.evaluation_record(pilot=pilot, by=admin, **FINAL)

    with pytest.raises(PermissionDenied):
        services.evaluation_return(evaluation=evaluation, by=admin, reason="zelf")

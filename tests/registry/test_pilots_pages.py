"""The pilot register's pages: public list/detail/evaluation, drafts, editor pages, permissions."""

import datetime as dt

import pytest
from django.urls import reverse

from portal.accounts import roles
from registry import services
from registry.models import Evaluation, Kpi, KpiResult, Pilot
from tests.factories import user_for_role
from tests.registry.conftest import (
    FINAL,
    PILOT_COMPLETE,
    count_queries,
    make_evaluated,
    make_pilot,
    make_published,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("registry:pilot_list")
CREATE_URL = reverse("registry:pilot_create")


def _url(name, pilot, **kwargs):
    return reverse(f"registry:{name}", kwargs={"slug": pilot.slug, **kwargs})


def _form_data(**overrides):
    data = {
        "title": "Slimme lantaarnpalen Scheveningen",
        "summary": "Lantaarnpalen met sensoren meten drukte en geluid.",
        "theme": "Ruimte en infrastructuur", "start_date": "2024-01-01",
        "planned_end_date": "2025-12-31", "neighbourhood": "Scheveningen",
        "latitude": "", "longitude": "", "department": "Stadsbeheer",
        "alderman": "Wethouder Buitenruimte", "problem": "p", "goal": "g", "hypothesis": "h",
        "intervention": "i", "evaluation_design": "e", "partners": "", "budget": "250000",
        "data_collected": "d", "legal_basis": "", "dpia_link": "", "retention": "",
        "next_review_date": "2026-01-31",
    }
    data.update(overrides)
    return data


# --- public pages ----------------------------------------------------------------------------


def test_registers_landing_links_to_the_pilot_register(client):
    content = client.get(reverse("area-registers")).content.decode()

    assert f'href="{LIST_URL}"' in content
    assert 'data-testid="pilot-register-link"' in content


def test_the_public_sees_published_pilots_only(client, editor, approver):
    pilot = make_pilot(editor, approver)
    draft = services.pilot_create(by=editor, title="Geheim concept")

    content = client.get(LIST_URL).content.decode()

    assert pilot.title in content
    assert "Geheim concept" not in content
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(_url("pilot_update", draft)).status_code == 404  # hidden, not leaked


def test_civil_servants_see_drafts(client, editor):
    draft = services.pilot_create(by=editor, title="Geheim concept")
    client.force_login(editor)

    assert "Geheim concept" in client.get(LIST_URL).content.decode()
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert 'data-testid="draft-notice"' in response.content.decode()


def test_detail_shows_card_kpis_evaluation_decision_and_timeline(client, editor, approver,
                                                                 english):
    pilot, evaluation = make_evaluated(editor, approver)

    content = client.get(pilot.get_absolute_url()).content.decode()

    assert PILOT_COMPLETE["summary"] in content
    assert "Hypothesis" in content
    assert PILOT_COMPLETE["hypothesis"] in content
    assert 'data-testid="kpi-table"' in content
    assert "Not met" in content  # the assessment in words, not colour alone
    assert FINAL["council_summary"] in content
    assert "Decision: Adjust and test again" in content
    assert "Evaluation published" in content
    assert "Status changed" in content
    assert _url("evaluation_detail", pilot, pk=evaluation.pk) in content
    assert editor.display_name not in content  # the public does not see who did what
    assert 'data-testid="workflow"' not in content


def test_the_evaluation_page_is_printable(client, editor, approver, english):
    pilot, evaluation = make_evaluated(editor, approver)

    content = client.get(_url("evaluation_detail", pilot, pk=evaluation.pk)).content.decode()

    assert "css/print.css" in content
    assert 'media="print"' in content
    assert "Results per KPI" in content
    assert "Weinig" in content
    assert FINAL["decision_link"] in content


def test_a_draft_evaluation_is_not_public(client, editor, approver):
    pilot = make_pilot(editor, approver)
    evaluation = services.evaluation_record(pilot=pilot, by=editor, **FINAL)

    assert client.get(_url("evaluation_detail", pilot, pk=evaluation.pk)).status_code == 404
    assert FINAL["council_summary"] not in client.get(pilot.get_absolute_url()).content.decode()
    client.force_login(approver)
    response = client.get(_url("evaluation_detail", pilot, pk=evaluation.pk))
    assert 'data-testid="publish-evaluation"' in response.content.decode()


def test_withdrawn_pilot_stays_visible_with_reason(client, editor, approver):
    pilot = make_pilot(editor, approver)
    services.pilot_withdraw(pilot=pilot, by=editor, reason="Dubbel geregistreerd.")

    content = client.get(pilot.get_absolute_url()).content.decode()

    assert "Dubbel geregistreerd." in content


def test_overdue_review_is_shown_in_words(client, editor, approver, english):
    pilot = make_pilot(editor, approver, next_review_date=dt.date(2020, 1, 1))

    assert "Evaluation overdue" in client.get(pilot.get_absolute_url()).content.decode()
    assert "overdue" in client.get(LIST_URL).content.decode()


def test_algorithm_page_shows_linked_pilots(client, editor, approver):
    algorithm = make_published(editor, approver)
    pilot = make_pilot(editor, approver, algorithms=[algorithm])

    content = client.get(algorithm.get_absolute_url()).content.decode()
    assert pilot.get_absolute_url() in content
    assert algorithm.get_absolute_url() in client.get(pilot.get_absolute_url()).content.decode()


# --- search, filters, query counts -----------------------------------------------------------


@pytest.fixture
def three(editor, approver):
    return [
        make_pilot(editor, approver),
        make_pilot(editor, approver, title="Experimenteerhuis", theme="Zorg en gezondheid",
                   department="Zorg", neighbourhood="Meerzicht", status=["preparation"]),
        make_pilot(editor, approver, title="Warmtetransitie data-experiment", theme="Wonen",
                   department="Duurzaamheid", summary="Met TNO data over wijken koppelen."),
    ]


@pytest.mark.parametrize(("query", "expected"), [
    ({}, {"Experimenteerhuis", "Warmtetransitie data-experiment",
          "Zelfrijdende bus op het Dutch Innovation Park"}),
    ({"q": "tno"}, {"Warmtetransitie data-experiment"}),
    ({"q": "meerzicht"}, {"Experimenteerhuis"}),
    ({"theme": "Wonen"}, {"Warmtetransitie data-experiment"}),
    ({"status": "preparation"}, {"Experimenteerhuis"}),
    ({"department": "Zorg"}, {"Experimenteerhuis"}),
    ({"theme": "Wonen", "status": "preparation"}, set()),
    ({"theme": "<script>", "status": "nonsense", "page": "x"}, None),
])
def test_search_and_filters(client, three, query, expected):
    response = client.get(LIST_URL, query)

    assert response.status_code in (200, 404)
    if expected is None:  # bad values are ignored, never a 500
        return
    titles = {pilot.title for pilot in response.context["pilots"]}
    assert titles == expected


def _many(editor, approver, start, stop):
    for number in range(start, stop):
        pilot = Pilot.objects.create(
            slug=f"pilot-{number}", title=f"Pilot {number}", state="published",
            status="running", theme="Verkeer", department="Economie",
        )
        kpi = Kpi.objects.create(pilot=pilot, name="Reizigers")
        evaluation = Evaluation.objects.create(pilot=pilot, state="published", **FINAL)
        KpiResult.objects.create(evaluation=evaluation, kpi=kpi, value=1)
        services.pilot_create(by=editor, title=f"Concept {number}")


@pytest.mark.parametrize("as_civil_servant", [False, True])
def test_list_query_count_is_constant(client, editor, approver, as_civil_servant):
    if as_civil_servant:
        client.force_login(approver)
    _many(editor, approver, 0, 3)
    client.get(LIST_URL)  # warm up (session profile)
    few = count_queries(client, LIST_URL)
    _many(editor, approver, 3, 60)

    many = count_queries(client, LIST_URL)

    assert many == few
    assert count_queries(client, LIST_URL + "?page=2&theme=Verkeer") <= few


def test_detail_query_count_does_not_grow_with_kpis_and_evaluations(client, editor, approver):
    pilot, _evaluation = make_evaluated(editor, approver)
    before = count_queries(client, pilot.get_absolute_url())
    for number in range(5):
        kpi = Kpi.objects.create(pilot=pilot, name=f"KPI {number}")
        evaluation = Evaluation.objects.create(pilot=pilot, state="published",
                                               **{**FINAL, "kind": "mid_term"})
        KpiResult.objects.create(evaluation=evaluation, kpi=kpi, value=number)

    assert count_queries(client, pilot.get_absolute_url()) == before


# --- editor pages ----------------------------------------------------------------------------


def test_create_edit_kpi_submit_publish_through_the_pages(client, editor, approver):
    client.force_login(editor)
    response = client.post(CREATE_URL, _form_data())
    pilot = Pilot.objects.get()
    assert response.status_code == 302
    assert response.url == pilot.get_absolute_url()

    response = client.post(_url("pilot_update", pilot), _form_data(partners="TNO"))
    assert response.status_code == 302
    response = client.post(_url("kpi_create", pilot), {
        "name": "Storingen per maand", "definition": "", "unit": "storingen",
        "direction": "lower", "baseline_value": "12", "baseline_date": "",
        "baseline_source": "", "target_value": "4", "target_date": "", "result_value": "",
        "assessment": "",
    })
    assert response.status_code == 302
    kpi = pilot.kpis.get()
    client.post(_url("kpi_update", pilot, kpi_id=kpi.pk), {
        "name": "Storingen per maand", "unit": "storingen", "direction": "lower",
        "baseline_value": "10", "target_value": "4",
    })
    client.post(_url("pilot_submit", pilot))
    pilot.refresh_from_db()
    kpi.refresh_from_db()
    assert (pilot.partners, kpi.baseline_value, pilot.state) == ("TNO", 10, "submitted")

    assert client.post(_url("pilot_publish", pilot)).status_code == 403  # four-eyes
    pilot.refresh_from_db()
    assert pilot.state == "submitted"

    client.force_login(approver)
    client.post(_url("pilot_publish", pilot))
    client.post(_url("pilot_status", pilot), {"to_status": "preparation", "reason": "Start"})
    pilot.refresh_from_db()
    assert (pilot.state, pilot.status) == ("published", "preparation")


def test_record_an_evaluation_through_the_page(client, editor, approver):
    pilot = make_pilot(editor, approver, kpis=2, status=["preparation", "running"])
    kpis = list(pilot.kpis.all())
    client.force_login(editor)
    page = client.get(_url("evaluation_create", pilot))
    assert page.status_code == 200
    data = {key: value.isoformat() if hasattr(value, "isoformat") else value
            for key, value in FINAL.items()}
    data.update({"side_effects": "", "participant_feedback": "", "cost_benefit": "",
                 "follow_up": ""})
    for kpi in kpis:
        data.update({f"kpi_{kpi.pk}_value": "75", f"kpi_{kpi.pk}_assessment": "partly",
                     f"kpi_{kpi.pk}_note": "Half"})

    response = client.post(_url("evaluation_create", pilot), data)

    evaluation = Evaluation.objects.get()
    assert response.status_code == 302
    assert evaluation.kpi_results.count() == 2
    client.force_login(approver)
    client.post(_url("evaluation_publish", pilot, pk=evaluation.pk))
    evaluation.refresh_from_db()
    pilot.refresh_from_db()
    assert evaluation.state == "published"
    assert pilot.status == "adjusted"


def test_personal_data_errors_come_back_on_the_form(client, editor, english):
    client.force_login(editor)

    response = client.post(CREATE_URL, _form_data(personal_data="on"))

    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="error-summary" role="alert"' in content
    assert "Required when personal data is processed." in content
    assert not Pilot.objects.exists()


@pytest.mark.parametrize("overrides", [
    {"budget": "-5"},
    {"budget": "99999999999999999999"},
    {"latitude": "1e400", "longitude": "4"},
    {"title": "x" * 5000},
    {"summary": "x" * 100000},
    {"start_date": "2025-13-45"},
    {"theme": "Smart City"},
])
def test_bad_input_gives_form_errors_not_500(client, editor, overrides):
    client.force_login(editor)

    response = client.post(CREATE_URL, _form_data(**overrides))

    assert response.status_code == 400
    assert not Pilot.objects.exists()


def test_script_tags_and_unicode_are_escaped(client, editor, approver):
    pilot = make_pilot(editor, approver, title="Zoetermeer 🚌 <script>alert(1)</script>",
                       summary="Ĳsselmeer “test” <b>vet</b>")

    content = client.get(pilot.get_absolute_url()).content.decode()
    listing = client.get(LIST_URL).content.decode()

    assert "<script>alert(1)</script>" not in content + listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "Zoetermeer 🚌" in listing
    assert "Ĳsselmeer “test”" in content


# --- permissions -----------------------------------------------------------------------------

NON_EDITORS = sorted(set(roles.ALL_ROLES) - {roles.CIVIL_SERVANT, roles.ADMIN})


@pytest.mark.parametrize("role", NON_EDITORS)
def test_wrong_role_gets_403_and_nothing_changes(client, editor, approver, role):
    user = user_for_role(role)
    if user.is_authenticated:
        client.force_login(user)
    pilot = make_pilot(editor, approver, status=["preparation", "running"])
    draft = services.pilot_create(by=editor, **{**PILOT_COMPLETE, "title": "Concept"})
    evaluation = services.evaluation_record(pilot=pilot, by=editor, **FINAL)
    expected = 403 if user.is_authenticated else 302
    before = (list(Pilot.objects.values().order_by("pk")),
              list(Evaluation.objects.values().order_by("pk")))

    responses = [
        client.post(CREATE_URL, _form_data()),
        client.post(_url("pilot_status", pilot), {"to_status": "evaluating"}),
        client.post(_url("pilot_withdraw", pilot), {"reason": "weg"}),
        client.post(_url("evaluation_create", pilot), {"kind": "final"}),
        client.post(_url("evaluation_publish", pilot, pk=evaluation.pk)),
    ]

    assert {response.status_code for response in responses} == {expected}
    assert client.post(_url("pilot_submit", draft)).status_code == 404  # drafts are hidden
    assert before == (list(Pilot.objects.values().order_by("pk")),
                      list(Evaluation.objects.values().order_by("pk")))


def test_transitions_are_post_only(client, editor, approver):
    pilot = make_pilot(editor, approver)
    client.force_login(approver)

    assert client.get(_url("pilot_withdraw", pilot)).status_code == 405


def test_a_refused_status_change_shows_a_message_and_changes_nothing(client, editor, approver,
                                                                     english):
    pilot = make_pilot(editor, approver)  # an idea
    client.force_login(editor)

    response = client.post(_url("pilot_status", pilot), {"to_status": "scaled_up"}, follow=True)
    client.post(_url("pilot_status", pilot), {"to_status": "nonsense"})

    assert "A pilot cannot go from idea to scaled up." in response.content.decode()
    pilot.refresh_from_db()
    assert pilot.status == "idea"
    assert not pilot.events.filter(action="status").exists()


def test_huge_kpi_result_is_a_form_error(client, editor, approver):
    pilot = make_pilot(editor, approver, status=["preparation", "running"])
    kpi = pilot.kpis.get()
    client.force_login(editor)
    data = {"kind": "mid_term", f"kpi_{kpi.pk}_value": "1e30", "council_summary": "x" * 3001}

    response = client.post(_url("evaluation_create", pilot), data)

    assert response.status_code == 400
    assert not Evaluation.objects.exists()


def test_admin_is_read_only_for_pilots(client, editor, approver):
    pilot = make_pilot(editor, approver)
    client.force_login(user_for_role(roles.ADMIN))

    assert client.get(f"/beheer/registry/pilot/{pilot.pk}/change/").status_code == 200
    assert client.get("/beheer/registry/pilot/add/").status_code == 403

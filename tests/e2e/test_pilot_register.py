"""A pilot's final evaluation, recorded and published four-eyes, in a real browser.

Civil servant A records a final evaluation with a result per KPI and the decision for a
demo-like pilot (created in the test through the services); civil servant B publishes it; an
anonymous visitor then finds the pilot with the evaluation, its KPI results and the decision,
and opens the printable evaluation page. UI text is checked in English (language cookie).
"""

import datetime as dt
import re
from decimal import Decimal

import pytest

from portal.accounts import roles
from registry import services
from registry.models import Evaluation, Pilot
from tests.e2e.conftest import assert_accessible
from tests.e2e.register_helpers import english, log_in, log_out, screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _screenshot(page, name):
    screenshot(page, "pilot", name)


def _bus_pilot(daan, sanne):
    pilot = services.pilot_create(
        by=daan, slug="zelfrijdende-bus",
        title="Zelfrijdende bus op het Dutch Innovation Park",
        summary="Een bus zonder chauffeur rijdt tussen het station en het park.",
        theme="Verkeer", start_date=dt.date(2023, 4, 3), planned_end_date=dt.date(2024, 9, 30),
        neighbourhood="Dutch Innovation Park", department="Economie",
        alderman="Wethouder Economie", problem="Slecht bereikbaar.", goal="Meer ov.",
        hypothesis="Als de bus rijdt, nemen 150 mensen per dag de bus.",
        intervention="Eén bus, elk kwartier.", evaluation_design="Tellingen en een enquête.",
        data_collected="Aantal reizigers.", budget=Decimal("480000"),
        next_review_date=dt.date(2030, 9, 30),
    )
    services.kpi_add(pilot=pilot, by=daan, name="Reizigers per werkdag", unit="reizigers",
                     direction="higher", baseline_value=Decimal("0"),
                     target_value=Decimal("150"))
    services.kpi_add(pilot=pilot, by=daan, name="Ritten zonder storing", unit="%",
                     direction="higher", target_value=Decimal("95"))
    services.pilot_submit(pilot=pilot, by=daan)
    services.pilot_publish(pilot=pilot, by=sanne)
    for status in ("preparation", "running"):
        services.pilot_status_change(pilot=pilot, by=daan, to_status=status)
    return pilot


def _civil_servants():
    """Daan drafts and records; Sanne approves (four-eyes)."""
    return (
        UserFactory(email="daan@gemeente.example", display_name="Daan Hendriks",
                    groups=[roles.CIVIL_SERVANT]),
        UserFactory(email="sanne@gemeente.example", display_name="Sanne de Vries",
                    groups=[roles.CIVIL_SERVANT]),
    )


def test_final_evaluation_recorded_published_and_shown(page, browser, live_server):
    english(page.context, live_server.url)
    daan, sanne = _civil_servants()
    pilot = _bus_pilot(daan, sanne)
    kpis = list(pilot.kpis.order_by("pk"))

    # --- A records the final evaluation ---
    log_in(page, daan.email)
    page.goto(pilot.get_absolute_url())
    assert_accessible(page, label="pilot detail with workflow panel")
    page.get_by_test_id("record-evaluation").click()
    page.wait_for_url("**/evaluaties/nieuw/")
    assert_accessible(page, label="evaluation form")
    _screenshot(page, "evaluation-form")

    page.locator("#id_kind").select_option("final")
    page.locator("#id_evaluated_on").fill("2024-11-15")
    page.locator("#id_evaluator").fill("Haagse Hogeschool")
    page.locator("#id_method").fill("Tellingen in de bus en twee enquêtes.")
    page.locator("#id_council_summary").fill(
        "De techniek werkte goed, maar er reden minder mensen mee dan gehoopt."
    )
    page.locator(f"#id_kpi_{kpis[0].pk}_value").fill("64")
    page.locator(f"#id_kpi_{kpis[0].pk}_assessment").select_option("not_met")
    page.locator(f"#id_kpi_{kpis[0].pk}_note").fill("Vooral in de spits gebruikt.")
    page.locator(f"#id_kpi_{kpis[1].pk}_value").fill("96.5")
    page.locator(f"#id_kpi_{kpis[1].pk}_assessment").select_option("met")
    page.locator("#id_lessons_learned").fill("Betrek werkgevers vanaf het begin.")
    page.locator("#id_recommendation").select_option("adjust")
    page.locator("#id_decision").select_option("adjust")
    page.locator("#id_decision_by").fill("College van B en W")
    page.locator("#id_decision_date").fill("2025-01-21")
    page.locator("#id_decision_link").fill("raad.zoetermeer.example/brief")  # no https: wrong
    page.get_by_test_id("save").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Link to council letter or proposal" in alert.inner_text()
    assert_accessible(page, label="evaluation form with errors")
    _screenshot(page, "evaluation-form-error")
    page.locator("#id_decision_link").fill("https://raad.zoetermeer.example/brief-2025-007")
    page.get_by_test_id("save").click()

    page.wait_for_url(re.compile(r".*/evaluaties/\d+/$"))
    assert page.get_by_test_id("draft-notice").is_visible()
    assert page.get_by_test_id("publish-evaluation").count() == 0  # four-eyes
    _screenshot(page, "evaluation-draft")
    log_out(page)

    # --- B publishes it ---
    log_in(page, sanne.email)
    page.goto(pilot.get_absolute_url())
    page.get_by_role("link", name=re.compile("Read the whole evaluation")).click()
    page.wait_for_url(re.compile(r".*/evaluaties/\d+/$"))
    assert_accessible(page, label="draft evaluation")
    page.get_by_test_id("publish-evaluation").click()
    page.wait_for_url(re.compile(r".*/evaluaties/\d+/$"))
    assert "published" in page.locator(".messages").inner_text()
    evaluation = Evaluation.objects.get()
    assert evaluation.state == "published"
    assert evaluation.published_by == sanne
    assert Pilot.objects.get().status == "adjusted"
    log_out(page)

    # --- the public ---
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    english(context, live_server.url)
    visitor = context.new_page()
    try:
        visitor.goto("/registers/")
        visitor.get_by_test_id("pilot-register-link").click()
        visitor.wait_for_url("**/registers/pilots/")
        visitor.locator("#id_status").select_option("adjusted")
        visitor.get_by_role("button", name="Search").click()
        visitor.wait_for_url("**/registers/pilots/?*")
        assert visitor.get_by_test_id("result-count").inner_text() == "1 pilot"
        assert_accessible(visitor, label="pilot list")
        _screenshot(visitor, "list")

        visitor.get_by_role("link", name="Zelfrijdende bus op het Dutch Innovation Park").click()
        visitor.wait_for_url("**/registers/pilots/zelfrijdende-bus/")
        assert visitor.get_by_test_id("status").inner_text() == "Adjusted"
        kpi_table = visitor.get_by_test_id("kpi-table").inner_text()
        assert "64" in kpi_table
        assert "Not met" in kpi_table
        assert "Met" in kpi_table
        decision = visitor.get_by_test_id("decision").inner_text()
        assert "Decision: Adjust and test again" in decision
        assert "College van B en W" in decision
        assert "Evaluation published" in visitor.get_by_test_id("timeline").inner_text()
        assert visitor.get_by_test_id("workflow").count() == 0
        assert_accessible(visitor, label="pilot detail")
        _screenshot(visitor, "detail")

        visitor.get_by_role("link", name=re.compile("Read the whole evaluation")).click()
        visitor.wait_for_url(re.compile(r".*/evaluaties/\d+/$"))
        page_text = visitor.get_by_test_id("evaluation-page").inner_text()
        assert "Results per KPI" in page_text
        assert "Vooral in de spits gebruikt." in page_text
        assert visitor.get_by_role("link", name="Council letter or proposal").get_attribute(
            "href") == "https://raad.zoetermeer.example/brief-2025-007"
        assert_accessible(visitor, label="evaluation page")
        _screenshot(visitor, "evaluation")
        visitor.emulate_media(media="print")
        assert not visitor.locator(".site-header").is_visible()
        _screenshot(visitor, "evaluation-print")
    finally:
        context.close()


def test_pilot_form_is_accessible_and_shows_personal_data_errors(page, live_server):
    english(page.context, live_server.url)
    daan = UserFactory(email="daan@gemeente.example", display_name="Daan Hendriks",
                       groups=[roles.CIVIL_SERVANT])
    log_in(page, daan.email)
    page.goto("/registers/pilots/")
    page.get_by_test_id("new-pilot").click()
    page.wait_for_url("**/registers/pilots/nieuw/")
    assert_accessible(page, label="new pilot form")
    page.locator("#id_title").fill("Experimenteerhuis")
    page.locator("#id_personal_data").check()
    page.get_by_test_id("save").click()
    page.get_by_role("alert").wait_for()
    assert "Required when personal data is processed." in page.get_by_role("alert").inner_text()
    assert_accessible(page, label="pilot form with errors")
    _screenshot(page, "form-error")
    page.locator("#id_legal_basis").fill("Toestemming")
    page.locator("#id_dpia_link").fill("https://zoetermeer.example/dpia.pdf")
    page.locator("#id_retention").fill("Een jaar")
    page.get_by_test_id("save").click()
    page.wait_for_url("**/registers/pilots/experimenteerhuis/")
    assert page.get_by_test_id("draft-notice").is_visible()
    page.get_by_test_id("add-kpi").click()
    page.wait_for_url("**/kpis/nieuw/")
    assert_accessible(page, label="KPI form")
    _screenshot(page, "kpi-form")


def test_published_pilot_changed_as_a_new_version_four_eyes(page, browser, live_server):
    """Civil servant A proposes a change to the published pilot's card and a KPI's target; the
    public keeps seeing the published version; civil servant B publishes it; the history shows
    the change per field."""
    english(page.context, live_server.url)
    daan, sanne = _civil_servants()
    pilot = _bus_pilot(daan, sanne)
    old_intervention = pilot.intervention
    new_intervention = "Eén bus, alleen in de ochtend- en avondspits."

    # --- A proposes the change ---
    log_in(page, daan.email)
    page.goto(pilot.get_absolute_url())
    page.get_by_test_id("propose-changes").click()
    page.wait_for_url("**/zelfrijdende-bus/bewerken/")
    assert_accessible(page, label="propose changes form")
    page.locator("#id_intervention").fill(new_intervention)
    page.get_by_test_id("save").click()
    page.wait_for_url("**/zelfrijdende-bus/concept/")
    page.get_by_role("link", name=re.compile("Edit Reizigers per werkdag")).click()
    page.wait_for_url("**/concept/kpis/1/bewerken/")
    assert page.locator("#id_result_value").count() == 0  # results come from evaluations
    page.locator("#id_target_value").fill("100")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r".*/zelfrijdende-bus/concept/#kpis$"))
    changes = page.get_by_test_id("diff-table").inner_text()
    assert "Intervention" in changes
    assert "target value" in changes
    assert_accessible(page, label="version in progress")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/zelfrijdende-bus/concept/")
    assert "submitted for approval" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("publish").count() == 0  # four-eyes
    _screenshot(page, "version-submitted")
    log_out(page)

    # --- the public still sees the published version ---
    page.goto(pilot.get_absolute_url())
    assert old_intervention in page.locator('[data-field="intervention"]').inner_text()
    log_in(page, sanne.email)

    # --- B publishes it ---
    page.goto(pilot.get_absolute_url())
    page.get_by_test_id("view-open-version").click()
    page.wait_for_url("**/zelfrijdende-bus/concept/")
    page.get_by_test_id("publish").click()
    page.wait_for_url("**/registers/pilots/zelfrijdende-bus/")
    assert "published" in page.locator(".messages").inner_text()
    assert new_intervention in page.locator('[data-field="intervention"]').inner_text()
    assert "100" in page.get_by_test_id("kpi-table").inner_text()
    log_out(page)

    # --- anyone reads the history ---
    page.goto(pilot.get_absolute_url())
    page.get_by_test_id("history-link").click()
    page.wait_for_url("**/zelfrijdende-bus/geschiedenis/")
    row = page.locator('[data-field="intervention"]')
    assert old_intervention in row.locator(".diff-before").inner_text()
    assert new_intervention in row.locator(".diff-after").inner_text()
    assert page.locator("#versie-1").is_visible()
    assert "Published" in page.get_by_test_id("timeline").inner_text()
    assert_accessible(page, label="pilot history")
    _screenshot(page, "history")
    assert Pilot.objects.get().current_version.number == 2

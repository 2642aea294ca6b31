"""Four-eyes publication of an algorithm record in a real browser.

Civil servant A drafts a record through the form and submits it; civil servant B logs in and
publishes it; an anonymous visitor then finds it in the public register with the standard's
fields, and "Field not filled in" ("Veld niet ingevuld") for the empty ones.
UI text is checked in English (language cookie), so the test does not depend on the Dutch
catalogue; the standard's permitted values are Dutch data and are checked as such.
"""


import pytest

from portal.accounts import roles
from registry.models import Algorithm
from tests.e2e.conftest import assert_accessible
from tests.e2e.register_helpers import english, log_in, log_out, screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _screenshot(page, name):
    screenshot(page, "algorithm", name)


def test_civil_servant_drafts_a_colleague_publishes_the_public_sees_it(
    page, browser, live_server
):
    english(page.context, live_server.url)
    daan = UserFactory(email="daan@gemeente.example", display_name="Daan Hendriks",
                       groups=[roles.CIVIL_SERVANT])
    UserFactory(email="sanne@gemeente.example", display_name="Sanne de Vries",
                groups=[roles.CIVIL_SERVANT])

    # --- A drafts the record ---
    log_in(page, daan.email)
    page.goto("/registers/algoritmes/")
    page.get_by_test_id("new-algorithm").click()
    page.wait_for_url("**/registers/algoritmes/nieuw/")
    assert_accessible(page, label="new algorithm form")
    _screenshot(page, "form")

    page.locator("#id_name").fill("Parkeercontrole met een scanauto")
    page.locator("#id_description_short").fill(
        "Een auto met camera's leest kentekens en kijkt of er betaald is voor parkeren."
    )
    page.locator("#id_organization").fill("Gemeente Zoetermeer")
    page.get_by_label("Verkeer", exact=True).check()
    page.locator("#id_status").select_option("In gebruik")
    page.locator("#id_begin_date").fill("april 2019")  # wrong on purpose
    page.locator("#id_contact_email").fill("algoritmes@zoetermeer.example")
    page.locator("#id_publication_category").select_option("Impactvolle algoritmes")
    page.locator("#id_goal").fill("Parkeerplekken beschikbaar houden voor bewoners.")
    page.locator("#id_impacttoetsen_grouping").fill(
        "Data Protection Impact Assessment (DPIA) | https://zoetermeer.example/dpia.pdf"
    )
    page.locator("#id_methods_and_models").fill("Kentekenherkenning. Niet zelflerend.")
    page.get_by_test_id("save").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "YYYY-MM" in alert.inner_text()
    assert_accessible(page, label="algorithm form with errors")
    _screenshot(page, "form-error")
    page.locator("#id_begin_date").fill("2019-04")
    page.get_by_test_id("save").click()

    page.wait_for_url("**/concept/")
    assert page.get_by_test_id("draft-notice").is_visible()
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/concept/")
    assert "submitted for approval" in page.locator(".messages").inner_text()
    # Four-eyes: the submitter gets no publish button.
    assert page.get_by_test_id("publish").count() == 0
    _screenshot(page, "submitted")
    log_out(page)

    # --- B approves and publishes ---
    log_in(page, "sanne@gemeente.example")
    page.goto("/registers/algoritmes/")
    page.get_by_role("link", name="Parkeercontrole met een scanauto").click()
    page.wait_for_url("**/concept/")
    assert_accessible(page, label="draft awaiting approval")
    _screenshot(page, "approve")
    page.get_by_test_id("publish").click()
    page.wait_for_url("**/registers/algoritmes/parkeercontrole-met-een-scanauto/")
    assert "published" in page.locator(".messages").inner_text()
    assert Algorithm.objects.get().current_version.published_by.email == "sanne@gemeente.example"
    log_out(page)

    # --- the public (a fresh, anonymous browser) ---
    context = browser.new_context(base_url=live_server.url, locale="nl-NL")
    english(context, live_server.url)
    visitor = context.new_page()
    try:
        visitor.goto("/registers/")
        visitor.get_by_test_id("algorithm-register-link").click()
        visitor.wait_for_url("**/registers/algoritmes/")
        visitor.locator("#id_q").fill("scanauto")
        visitor.locator("#id_category").select_option("Verkeer")
        visitor.get_by_role("button", name="Search").click()
        visitor.wait_for_url("**/registers/algoritmes/?*")
        assert visitor.get_by_test_id("result-count").inner_text() == "1 algorithm"
        assert_accessible(visitor, label="algorithm list")
        _screenshot(visitor, "list")

        visitor.get_by_role("link", name="Parkeercontrole met een scanauto").click()
        visitor.wait_for_url("**/parkeercontrole-met-een-scanauto/")
        record = visitor.get_by_test_id("algorithm-record")
        assert visitor.locator("h1").inner_text() == "Parkeercontrole met een scanauto"
        for heading in ["General information", "Responsible use", "How it works",
                        "Municipal additions"]:
            assert record.get_by_role("heading", name=heading).is_visible()

        def field(key):
            return record.locator(f"[data-field='{key}'] dd").inner_text()

        assert field("status") == "In gebruik"
        assert field("publication_category") == "Impactvolle algoritmes"
        assert field("category") == "Verkeer"
        assert field("begin_date") == "2019-04"
        assert field("impacttoetsen_grouping") == "Data Protection Impact Assessment (DPIA)"
        assert field("proportionality") == "Field not filled in"
        assert field("human_intervention") == "Field not filled in"
        assert field("provider") == "Field not filled in"
        assert visitor.get_by_test_id("workflow").count() == 0
        assert_accessible(visitor, label="algorithm detail")
        _screenshot(visitor, "detail")

        visitor.get_by_role("link", name="History of this record").click()
        visitor.wait_for_url("**/geschiedenis/")
        assert visitor.get_by_test_id("version-list").locator("li.version").count() == 1
        assert "Published" in visitor.get_by_test_id("timeline").inner_text()
        assert_accessible(visitor, label="algorithm history")
        _screenshot(visitor, "history")
    finally:
        context.close()


def test_history_diff_and_withdrawal_are_accessible(page, live_server):
    from registry import services
    from tests.registry.conftest import make_published

    english(page.context, live_server.url)
    daan = UserFactory(email="daan@gemeente.example", display_name="Daan Hendriks",
                       groups=[roles.CIVIL_SERVANT])
    sanne = UserFactory(email="sanne@gemeente.example", display_name="Sanne de Vries",
                        groups=[roles.CIVIL_SERVANT])
    algorithm = make_published(daan, sanne, provider="Intern ontwikkeld")
    draft = services.algorithm_new_draft(
        algorithm=algorithm, by=daan, goal="Parkeerplekken vrij houden voor bewoners.",
        impacttoetsen_grouping=[{"title": "Pre-scan DPIA", "link": ""}],
    )
    services.algorithm_version_submit(version=draft, by=daan)
    services.algorithm_version_publish(version=draft, by=sanne)

    log_in(page, sanne.email)
    page.goto(f"/registers/algoritmes/{algorithm.slug}/")
    assert_accessible(page, label="published record with workflow panel")
    page.locator("#withdraw-reason").fill("Vervangen door controle te voet.")
    page.get_by_test_id("withdraw").click()
    page.wait_for_url(f"**/registers/algoritmes/{algorithm.slug}/")
    assert "Vervangen door controle te voet." in page.get_by_test_id(
        "withdrawn-notice").inner_text()
    assert_accessible(page, label="withdrawn record")
    _screenshot(page, "withdrawn")

    page.goto(f"/registers/algoritmes/{algorithm.slug}/geschiedenis/")
    diff = page.locator("table.diff-table")
    assert diff.locator("tbody tr").count() == 2  # goal, impact assessments
    assert_accessible(page, label="history with diff")
    _screenshot(page, "history-diff")

"""A council member reads Raadsinformatie, follows a pilot and hears of its evaluation.

The council member logs in with e-mail, opens Raadsinformatie from the registers page, follows
the self-driving bus pilot from its page; then (through the services, as two civil servants) a
final evaluation of that pilot is recorded and published. The council member sees the
notification at /meldingen/, and an e-mail went out (the live server runs in this process, so
django.core.mail.outbox sees it). UI text is checked in English (language cookie).
"""

import datetime as dt
import re

import pytest
from django.core import mail

from portal.accounts import roles
from registry import services
from registry.models import PilotSubscription
from tests.e2e.conftest import assert_accessible
from tests.e2e.register_helpers import english, log_in, screenshot
from tests.e2e.test_pilot_register import _bus_pilot
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _screenshot(page, name):
    screenshot(page, "council", name)


def test_council_member_follows_a_pilot_and_is_notified(page, live_server):
    english(page.context, live_server.url)
    daan = UserFactory(email="daan@gemeente.example", display_name="Daan Hendriks",
                       groups=[roles.CIVIL_SERVANT])
    sanne = UserFactory(email="sanne@gemeente.example", display_name="Sanne de Vries",
                        groups=[roles.CIVIL_SERVANT])
    raad = UserFactory(email="raad@gemeente.example", display_name="Fatima el Amrani",
                       groups=[roles.COUNCIL_MEMBER])
    pilot = _bus_pilot(daan, sanne)
    kpis = list(pilot.kpis.all())

    log_in(page, raad.email)
    page.goto("/registers/")
    page.get_by_test_id("dashboard-link").click()
    page.wait_for_url(re.compile(r".*/registers/raadsinformatie/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Raadsinformatie"
    status_table = page.get_by_test_id("pilots-by-status")
    assert status_table.get_by_role("link", name="1").first.get_attribute("href") == \
        "/registers/pilots/?status=running"
    assert_accessible(page, label="dashboard")
    _screenshot(page, "dashboard")

    page.get_by_test_id("pilots-by-theme").get_by_role("link", name="1").click()
    page.wait_for_url(re.compile(r".*\?theme=Verkeer$"))
    page.get_by_role("link", name=pilot.title).click()
    page.wait_for_url(re.compile(rf".*/registers/pilots/{pilot.slug}/$"))
    page.get_by_test_id("follow-pilot").click()
    page.wait_for_url(re.compile(rf".*/registers/pilots/{pilot.slug}/$"))
    assert "You follow this pilot" in page.get_by_test_id("follow").inner_text()
    assert PilotSubscription.objects.filter(user=raad, pilot=pilot).exists()
    assert_accessible(page, label="pilot with follow button")
    _screenshot(page, "pilot-followed")

    mail.outbox.clear()
    evaluation = services.evaluation_record(
        pilot=pilot, by=daan, kind="final", evaluated_on=dt.date(2024, 10, 15),
        evaluator="TNO", method="Tellingen en een enquête.",
        council_summary="De bus reed betrouwbaar, maar te weinig mensen gebruikten hem.",
        lessons_learned="Begin met een kortere route.", recommendation="adjust",
        decision="adjust", decision_by="College van B en W",
        decision_date=dt.date(2024, 11, 12),
        kpi_results={kpis[0].pk: {"value": 40, "assessment": "not_met", "note": ""}},
    )
    services.evaluation_publish(evaluation=evaluation, by=sanne)

    page.goto("/meldingen/")
    item = page.get_by_test_id("notification").first
    assert pilot.title in item.inner_text()
    _screenshot(page, "notification")
    assert [message.to for message in mail.outbox] == [[raad.email]]
    assert pilot.title in mail.outbox[0].subject + mail.outbox[0].body

    page.goto("/registers/raadsinformatie/")
    decisions = page.get_by_test_id("decisions")
    assert pilot.title in decisions.inner_text()
    decisions.get_by_role("link", name=pilot.title).click()
    page.wait_for_url(re.compile(rf".*/evaluaties/{evaluation.pk}/$"))

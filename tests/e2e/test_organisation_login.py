"""An organisation member logs in with e-mail in a real browser and sees their organisation."""

import re

import pytest
from django.core import mail

from portal.accounts.models import Membership, User
from tests.e2e.conftest import ARTIFACTS, assert_accessible
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"organisation-{name}.png"), full_page=True)


def test_organisation_member_logs_in_with_email_and_sees_the_members(page):
    organisation = OrganisationFactory(
        name="Luchtpeil Zwolle B.V.", slug="luchtpeil-zwolle", kvk_number="84219563",
        description="Wij meten fijnstof in Zwolle.",
    )
    eva = MembershipFactory(
        organisation=organisation, role=Membership.Role.ADMIN,
        user=UserFactory(email="eva@luchtpeil.example", display_name="Eva Mulder"),
    ).user
    MembershipFactory(organisation=organisation,
                      user=UserFactory(display_name="Sem Verhoeven"))

    page.goto("/")
    page.locator(".user-menu a[href='/inloggen/']").click()
    page.wait_for_url("**/inloggen/")
    # The e-mail choice, found by its target (its text depends on the Dutch catalogue).
    page.locator("main a[href='/account/login/']").click()

    page.wait_for_url("**/account/login/")
    assert_accessible(page, label="e-mail login")
    _screenshot(page, "email-login")
    page.locator("#id_login").fill(eva.email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("main form.account-form button[type=submit]").click()

    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_test_id("user-name").inner_text() == "Eva Mulder"

    page.goto("/organisaties/luchtpeil-zwolle/")
    assert page.locator("h1").inner_text() == "Luchtpeil Zwolle B.V."
    members = page.get_by_test_id("member-list").locator("li").all_text_contents()
    assert members == ["Eva Mulder (beheerder)", "Sem Verhoeven"]
    assert_accessible(page, label="organisation page")
    _screenshot(page, "profile")

    page.locator("a[href='/organisaties/luchtpeil-zwolle/leden/']").click()
    page.wait_for_url("**/leden/")
    assert_accessible(page, label="members management")
    _screenshot(page, "members")


def test_wrong_password_error_is_announced(page):
    UserFactory(email="piet@example.org")

    page.goto("/account/login/")
    page.locator("#id_login").fill("piet@example.org")
    page.locator("#id_password").fill("helemaal-verkeerd")
    page.locator("main form.account-form button[type=submit]").click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.is_visible()
    assert_accessible(page, label="login with error")
    _screenshot(page, "login-error")


def test_signup_flow_to_creating_an_organisation(page):
    page.goto("/account/signup/")
    assert_accessible(page, label="signup")
    _screenshot(page, "signup")
    page.locator("#id_email").fill("noor@lectoraat.example")
    page.locator("#id_display_name").fill("Noor Bakker")
    page.locator("#id_password1").fill("Sensor-data-2026!")
    page.locator("#id_password2").fill("Sensor-data-2026!")
    page.locator("main form.account-form button[type=submit]").click()

    page.wait_for_url("**/account/confirm-email/")
    assert_accessible(page, label="verification sent")
    _screenshot(page, "verification-sent")
    link = re.search(r"https?://[^/\s]+(/account/confirm-email/\S+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    page.goto(link.group(1))
    assert_accessible(page, label="confirm e-mail")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url("**/account/login/**")
    page.locator("#id_login").fill("noor@lectoraat.example")
    page.locator("#id_password").fill("Sensor-data-2026!")
    page.locator("main form.account-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert page.get_by_test_id("user-name").inner_text() == "Noor Bakker"

    page.goto("/organisaties/nieuw/")
    assert_accessible(page, label="register organisation")
    page.locator("#id_name").fill("Lectoraat Sensordata")
    page.locator("#id_kind").select_option("knowledge_institution")
    page.locator("#id_kvk_number").fill("1234")
    page.locator("main form button[type=submit]").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").locator("li").inner_text() == (
        "KvK-nummer: Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678."
    )
    assert_accessible(page, label="organisation form with errors")
    _screenshot(page, "create-error")
    page.locator("#id_kvk_number").fill("4102 9837")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url("**/organisaties/lectoraat-sensordata/")
    assert page.get_by_test_id("member-list").inner_text().startswith("Noor Bakker")
    assert User.objects.get(email="noor@lectoraat.example").memberships.get().role == "admin"

"""Steps shared by the register journeys (algorithm and pilot registers)."""

import re

from django.conf import settings

from tests.e2e.conftest import ARTIFACTS
from tests.factories import TEST_PASSWORD


def screenshot(page, prefix, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"), full_page=True)


def english(context, base_url):
    """UI text is checked in English, so the tests do not depend on the Dutch catalogue."""
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base_url}]
    )


def log_in(page, email):
    page.goto("/account/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("main form.account-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def log_out(page):
    page.locator(".user-menu form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))

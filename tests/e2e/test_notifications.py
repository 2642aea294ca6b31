"""Notifications in the browser: the list, opening one, preferences and the test notification.

Locators use test ids, form actions and values, not texts, so the Dutch catalogue cannot break them.
"""

import pytest
from django.conf import settings
from django.test import Client

from portal.core import services
from portal.core.models import Notification, NotificationPreference
from tests.e2e.conftest import assert_accessible
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])


def test_notification_journey(page, live_server):
    user = UserFactory()
    services.notification_send(recipient=user, kind="test", title="Older <notification>")
    services.notification_send(
        recipient=user, kind="test", title="Go to preferences", url="/meldingen/voorkeuren/"
    )
    log_in(page, live_server, user)

    page.goto("/meldingen/")
    items = page.get_by_test_id("notification")
    assert items.count() == 2
    assert "Go to preferences" in items.first.locator("h2").inner_text()
    assert page.locator(".notification--unread").count() == 2
    assert "(2" in page.get_by_test_id("notification-count").inner_text()
    assert page.get_by_test_id("notification-count").text_content() == "Meldingen (2 ongelezen)"
    assert page.locator(".notification__badge").all_text_contents() == ["Nieuw", "Nieuw"]
    # What a person wrote is shown as text, never parsed as HTML.
    assert page.locator(".notification__title", has_text="Older <notification>").count() == 1
    assert page.locator("notification").count() == 0
    assert_accessible(page, label="notification list")

    items.first.locator("button").click()
    page.wait_for_url("**/meldingen/voorkeuren/")
    assert "(1" in page.get_by_test_id("notification-count").inner_text()
    assert_accessible(page, label="notification preferences")

    page.locator("input[name=email_frequency][value=daily]").check()
    page.locator("form:not([action]) button[type=submit]").click()
    page.wait_for_url("**/meldingen/voorkeuren/")
    assert page.locator("input[name=email_frequency][value=daily]").is_checked()
    assert NotificationPreference.objects.get(user=user).email_frequency == "daily"

    page.locator("form[action='/meldingen/test/'] button").click()
    page.wait_for_url("**/meldingen/voorkeuren/")
    assert Notification.objects.filter(recipient=user, kind="test").count() == 3
    assert "(2" in page.get_by_test_id("notification-count").inner_text()

    page.goto("/meldingen/")
    page.locator("form[action='/meldingen/alles-gelezen/'] button").click()
    page.wait_for_url("**/meldingen/")
    assert page.locator(".notification--unread").count() == 0
    assert "(0" in page.get_by_test_id("notification-count").inner_text()
    assert_accessible(page, label="notification list, all read")

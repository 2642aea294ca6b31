"""The API documentation renders in a real browser, from our own assets, under the strict CSP."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_lists_the_endpoints_without_csp_violations(page):
    console = []
    page.on("console", lambda message: console.append(message.text))
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(request.url.split("/")[2]))

    page.goto("/api/v1/docs/")
    page.locator(".opblock").first.wait_for()

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/me/" in paths
    assert "/api/v1/notifications/" in paths
    assert not [text for text in console if "Content Security Policy" in text]
    assert requested_hosts == {page.url.split("/")[2]}  # nothing from a CDN

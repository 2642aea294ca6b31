"""The site shell in a real browser: every shell page is accessible at desktop and phone width,
the skip link works from the keyboard, and nothing overflows sideways on a small screen."""

import pytest

from tests.e2e.conftest import ARTIFACTS, assert_accessible
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = [
    ("home", "/"),
    ("ideas", "/ideeen/"),
    ("challenges", "/uitdagingen/"),
    ("sensors", "/sensoren/"),
    ("registers", "/registers/"),
    ("accessibility", "/toegankelijkheid/"),
    ("privacy", "/privacy/"),
]
WIDTHS = {"desktop": (1280, 900), "phone": (375, 740), "narrow": (320, 640)}


def _check_page(page, name: str, path: str, *, expected_status: int = 200):
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(path)
        assert response.status == expected_status
        assert_accessible(page, label=f"{name} at {width}px")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"{name} scrolls sideways at {width}px"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"shell-{name}-{label}.png"), full_page=True)


@pytest.mark.parametrize(("name", "path"), PUBLIC_PAGES)
def test_public_shell_page_is_accessible_at_desktop_and_phone_width(page, name, path):
    _check_page(page, name, path)


def test_not_found_page_is_accessible(page):
    _check_page(page, "not-found", "/bestaat-niet/", expected_status=404)

    assert page.locator(".error-page h1").count() == 1
    assert page.locator(".site-nav a").count() == 5
    assert page.locator(".error-page a[href='/']").is_visible()


def test_my_data_page_is_accessible_when_logged_in(page):
    user = UserFactory()
    page.goto("/account/login/")
    page.get_by_label("E-mail", exact=False).first.fill(user.email)
    page.locator("input[type=password]").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()

    _check_page(page, "my-data", "/mijn-gegevens/")

    assert page.get_by_test_id("user-name").inner_text() == str(user)


def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(page):
    page.goto("/ideeen/")

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_every_header_tab_stop_shows_a_thick_solid_focus_outline(page):
    page.goto("/")

    seen = []
    for _ in range(9):  # skip link, brand, log in, language, five areas
        page.keyboard.press("Tab")
        href, outline_style, outline_width = page.evaluate(
            "(() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [e.getAttribute('href') || e.textContent.trim(), s.outlineStyle,"
            " s.outlineWidth]; })()"
        )
        seen.append(href)
        assert outline_style == "solid", href
        assert float(outline_width.removesuffix("px")) >= 3, href

    assert seen[0] == "#main"
    areas = ["/ideeen/", "/uitdagingen/", "/sensoren/", "/registers/", "/mijn-gegevens/"]
    assert seen[-5:] == areas


def test_current_area_is_marked_in_the_navigation(page):
    page.goto("/sensoren/")

    current = page.locator(".site-nav a[aria-current='page']")
    assert current.count() == 1
    assert current.get_attribute("href") == "/sensoren/"


def test_language_switch_changes_page_language(page):
    page.goto("/ideeen/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Ideeën"

    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/ideeen/")

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Ideas"
    assert page.get_by_role("button", name="Nederlands").is_visible()

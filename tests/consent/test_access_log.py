"""Staff views of personal data are logged; the person sees role, what and when, not the name."""

import pytest
from django.conf import settings
from django.test import Client

from portal.accounts import roles
from portal.consent import services
from portal.consent.models import PersonalDataAccess
from portal.core.access import personal_data_viewed
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def test_an_admin_opening_a_residents_page_is_logged_once_and_shown_by_role():
    staff = UserFactory(display_name="Beheerder Bram", is_staff=True, is_superuser=True)
    resident = ResidentFactory()

    response = _client(staff).get(f"/beheer/accounts/user/{resident.pk}/change/")

    assert response.status_code == 200
    access = PersonalDataAccess.objects.get()
    assert (access.viewer, access.viewer_role, access.subject, access.what) == (
        staff, roles.ADMIN, resident, "admin.user")
    html = _client(resident).get("/mijn-gegevens/").content.decode()
    assert 'data-testid="access"' in html
    assert "Administrator" in html
    assert "Your account page in the management screens" in html
    assert "Beheerder Bram" not in html
    assert staff.email not in html


def test_a_moderator_with_view_permission_is_logged_as_moderator():
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True, groups=[roles.MODERATOR])
    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    resident = ResidentFactory()

    response = _client(staff).get(f"/beheer/accounts/user/{resident.pk}/change/")

    assert response.status_code == 200
    assert PersonalDataAccess.objects.get().viewer_role == roles.MODERATOR
    assert "Moderator" in _client(resident).get("/mijn-gegevens/").content.decode()


def test_the_list_page_and_a_missing_user_are_not_logged_as_views():
    staff = UserFactory(is_staff=True, is_superuser=True)
    ResidentFactory()
    client = _client(staff)

    assert client.get("/beheer/accounts/user/").status_code == 200
    assert client.get("/beheer/accounts/user/999999/change/").status_code == 302
    assert PersonalDataAccess.objects.count() == 0


def test_staff_looking_at_themselves_is_not_logged():
    staff = UserFactory(is_staff=True, is_superuser=True)

    _client(staff).get(f"/beheer/accounts/user/{staff.pk}/change/")

    assert PersonalDataAccess.objects.count() == 0


def test_a_person_without_admin_access_logs_nothing():
    resident, other = ResidentFactory(), ResidentFactory()

    response = _client(resident).get(f"/beheer/accounts/user/{other.pk}/change/")

    assert response.status_code == 302
    assert PersonalDataAccess.objects.count() == 0


def test_the_hook_point_calls_the_consent_service():
    staff = UserFactory(is_staff=True, groups=[roles.CIVIL_SERVANT])
    resident = ResidentFactory()

    personal_data_viewed(viewer=staff, subject=resident, what="ideas.moderation")

    assert PersonalDataAccess.objects.get().viewer_role == roles.CIVIL_SERVANT


def test_the_viewer_leaving_keeps_the_log_row():
    staff = UserFactory(is_staff=True, is_superuser=True)
    resident = ResidentFactory()
    services.personal_data_access_log(viewer=staff, subject=resident, what="admin.user")

    services.account_delete(user=staff)

    access = PersonalDataAccess.objects.get()
    assert access.viewer is None
    assert access.viewer_role == roles.ADMIN


def test_other_people_do_not_see_my_access_log():
    staff = UserFactory(is_staff=True, is_superuser=True)
    resident, other = ResidentFactory(), ResidentFactory()
    services.personal_data_access_log(viewer=staff, subject=resident, what="admin.user")

    html = _client(other).get("/mijn-gegevens/").content.decode()

    assert 'data-testid="access"' not in html
    assert "Nobody from the municipality has looked at your data." in html

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.core import services
from portal.core.models import Notification, NotificationPreference
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

Frequency = NotificationPreference.EmailFrequency


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert English msgids: the Dutch catalogue is filled in later and must not break these."""
    settings.LANGUAGE_CODE = "en"


def send(user, *, title="Your idea was published", body="Thank you.", url="/ideeen/1/"):
    return services.notification_send(
        recipient=user, kind="idea_published", title=title, body=body, url=url
    )


def test_sent_notification_appears_in_my_list(client):
    user = UserFactory()
    send(user, title="Your idea <b>Benches</b> was published")
    client.force_login(user)

    response = client.get("/meldingen/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Your idea &lt;b&gt;Benches&lt;/b&gt; was published" in content
    assert "<b>Benches</b>" not in content
    assert 'class="notification notification--unread"' in content
    assert 'data-testid="notification-count">Notifications (1<' in content


def test_list_shows_only_my_notifications(client):
    me, other = UserFactory(), UserFactory()
    send(me, title="For me")
    send(other, title="For someone else")
    client.force_login(me)

    content = client.get("/meldingen/").content.decode()

    assert "For me" in content
    assert "For someone else" not in content


def test_list_without_notifications_says_so(client):
    client.force_login(UserFactory())

    response = client.get("/meldingen/")

    assert 'data-testid="no-notifications"' in response.content.decode()


def test_list_query_count_does_not_grow_with_notifications(client):
    user = UserFactory()
    client.force_login(user)
    send(user)
    client.get("/meldingen/")  # warm up once-per-process caches (content types, sites)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/meldingen/").status_code == 200
    for i in range(29):
        send(user, title=f"Notification {i}")
    with CaptureQueriesContext(connection) as thirty:
        response = client.get("/meldingen/")

    assert response.content.decode().count('data-testid="notification"') == 30
    assert len(thirty) == len(one), [q["sql"] for q in thirty.captured_queries]


def test_immediately_sends_one_email(django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://stadsmakers.example"
    user = UserFactory(email="ondernemer@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        notification = send(user, title="Your proposal was received", url="/uitdagingen/3/")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ondernemer@example.org"]
    assert message.subject == "[Stadsmakers] Your proposal was received"
    assert "https://stadsmakers.example/uitdagingen/3/" in message.body
    assert "https://stadsmakers.example/meldingen/voorkeuren/" in message.body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_email_is_in_the_site_language(django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "nl"
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        send(user)

    # The e-mail is written in the site language, Dutch.
    assert mail.outbox[0].body.startswith("Hallo,\n\nJe hebt een nieuwe melding op Stadsmakers:\n")


def test_email_task_does_not_send_twice(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(user)

    assert services.notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_preference_off_sends_no_email(django_capture_on_commit_callbacks):
    user = UserFactory()
    services.notification_preference_set(user=user, email_frequency=Frequency.OFF)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(user)

    assert callbacks == []
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=user).count() == 1


def test_resident_without_email_gets_only_the_in_site_notification(
    django_capture_on_commit_callbacks,
):
    resident = ResidentFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(resident)

    assert callbacks == []
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=resident).count() == 1


def test_external_link_is_refused():
    user = UserFactory()

    with pytest.raises(ValidationError):
        send(user, url="https://evil.example/")
    with pytest.raises(ValidationError):
        send(user, url="//evil.example/")

    assert not Notification.objects.exists()


def test_daily_digest_combines_notifications_and_is_idempotent(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="bewoner@example.org")
    services.notification_preference_set(user=user, email_frequency=Frequency.DAILY)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(user, title="First thing happened")
        send(user, title="Second thing happened")
    assert callbacks == []
    now = timezone.now() + timedelta(seconds=1)

    assert services.notifications_send_daily_digests(now=now) == 1
    assert services.notifications_send_daily_digests(now=now + timedelta(days=1)) == 0

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bewoner@example.org"]
    assert "First thing happened" in message.body
    assert "Second thing happened" in message.body
    assert Notification.objects.filter(recipient=user, digest_sent_at=now).count() == 2


def test_digest_leaves_out_other_preferences_and_residents_without_email():
    immediate = UserFactory()
    resident = ResidentFactory()
    services.notification_preference_set(user=resident, email_frequency=Frequency.DAILY)
    send(immediate)
    send(resident)

    assert services.notifications_send_daily_digests(now=timezone.now()) == 0
    assert mail.outbox == []
    assert not Notification.objects.filter(digest_sent_at__isnull=False).exists()


def test_digest_task_is_the_scheduled_task():
    from portal.core import tasks

    scheduled = settings.CELERY_BEAT_SCHEDULE["notifications-daily-digest"]["task"]

    assert scheduled == tasks.notifications_send_daily_digests_task.name


def test_mark_read_via_post_redirects_to_the_link(client):
    user = UserFactory()
    notification = send(user, url="/ideeen/7/")
    client.force_login(user)

    response = client.post(f"/meldingen/{notification.public_id}/gelezen/")

    assert response.status_code == 302
    assert response.url == "/ideeen/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_needs_post(client):
    user = UserFactory()
    notification = send(user)
    client.force_login(user)

    response = client.get(f"/meldingen/{notification.public_id}/gelezen/")

    assert response.status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_cannot_mark_someone_elses_notification_read(client):
    owner, intruder = UserFactory(), UserFactory()
    notification = send(owner)
    client.force_login(intruder)

    response = client.post(f"/meldingen/{notification.public_id}/gelezen/")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_only_touches_my_notifications(client):
    me, other = UserFactory(), UserFactory()
    send(me)
    send(me)
    theirs = send(other)
    client.force_login(me)

    response = client.post("/meldingen/alles-gelezen/")

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    content = client.get("/meldingen/").content.decode()
    assert 'data-testid="notification-count">Notifications (0<' in content


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/meldingen/"),
        ("get", "/meldingen/voorkeuren/"),
        ("post", "/meldingen/test/"),
        ("post", "/meldingen/alles-gelezen/"),
    ],
)
def test_anonymous_is_sent_to_login(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL) + "?next=")


def test_preferences_page_shows_current_choice_as_radio_group(client):
    user = UserFactory()
    services.notification_preference_set(user=user, email_frequency=Frequency.DAILY)
    client.force_login(user)

    content = client.get("/meldingen/voorkeuren/").content.decode()

    assert "<fieldset" in content
    assert "<legend" in content
    assert 'type="radio" name="email_frequency" value="daily"' in content
    checked = content.split('value="daily"', 1)[1].split(">", 1)[0]
    assert "checked" in checked
    assert 'data-testid="no-email-notice"' not in content


def test_preferences_page_explains_email_to_resident_without_address(client):
    client.force_login(ResidentFactory())

    content = client.get("/meldingen/voorkeuren/").content.decode()

    assert 'data-testid="no-email-notice"' in content


def test_preferences_form_saves_a_choice(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post("/meldingen/voorkeuren/", {"email_frequency": "off"})

    assert response.status_code == 302
    assert user.notification_preference.email_frequency == Frequency.OFF


def test_preferences_form_rejects_unknown_value(client):
    user = UserFactory()
    services.notification_preference_set(user=user, email_frequency=Frequency.DAILY)
    client.force_login(user)

    response = client.post("/meldingen/voorkeuren/", {"email_frequency": "hourly"})

    assert response.status_code == 400
    content = response.content.decode()
    assert 'role="alert"' in content
    assert "“hourly” is not one of the options. Choose immediately, daily or never." in content
    assert NotificationPreference.objects.get(user=user).email_frequency == Frequency.DAILY


def test_service_rejects_unknown_frequency():
    user = UserFactory()

    with pytest.raises(ValidationError):
        services.notification_preference_set(user=user, email_frequency="hourly")

    assert not NotificationPreference.objects.filter(user=user).exists()


def test_test_notification_button_sends_me_a_notification(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="tester@example.org")
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/meldingen/test/")

    assert response.status_code == 302
    assert response.url == "/meldingen/voorkeuren/"
    notification = Notification.objects.get(recipient=user)
    assert notification.kind == "test"
    assert [m.to for m in mail.outbox] == [["tester@example.org"]]


def test_header_count_is_not_shown_to_anonymous_visitors(client):
    content = client.get("/").content.decode()

    assert 'data-testid="notification-count"' not in content


def test_email_task_retries_after_an_smtp_error(monkeypatch):
    import smtplib

    from celery.exceptions import Retry

    from portal.core import tasks

    user = UserFactory()
    notification = send(user)  # on_commit callbacks are not run here: the task is called below
    real_send = services._send_plain_email
    attempts = []

    def flaky_send(**kwargs):
        attempts.append(kwargs["to"])
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        real_send(**kwargs)

    monkeypatch.setattr(services, "_send_plain_email", flaky_send)

    with pytest.raises(Retry):
        tasks.notification_email_send_task.delay(notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert mail.outbox == []

    tasks.notification_email_send_task.delay(notification.pk)  # what the retry runs

    assert attempts == [user.email, user.email]
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_digest_failure_for_one_user_does_not_stop_the_others(monkeypatch):
    import smtplib

    broken, fine = UserFactory(email="broken@example.org"), UserFactory(email="fine@example.org")
    for user in (broken, fine):
        services.notification_preference_set(user=user, email_frequency=Frequency.DAILY)
        send(user, title=f"For {user.email}")
    real_send = services._send_plain_email
    outage = {"on": True}

    def send_unless_broken(**kwargs):
        if kwargs["to"] == "broken@example.org" and outage["on"]:
            raise smtplib.SMTPRecipientsRefused({})
        real_send(**kwargs)

    monkeypatch.setattr(services, "_send_plain_email", send_unless_broken)
    now = timezone.now() + timedelta(seconds=1)

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        services.notifications_send_daily_digests(now=now)
    assert [m.to for m in mail.outbox] == [["fine@example.org"]]
    assert Notification.objects.get(recipient=broken).digest_sent_at is None

    outage["on"] = False
    assert services.notifications_send_daily_digests(now=now) == 1
    assert [m.to for m in mail.outbox] == [["fine@example.org"], ["broken@example.org"]]

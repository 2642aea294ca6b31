"""Followers of a pilot (or of its theme) get one notification when the published pilot's
life-cycle status changes (services.pilot_status_change -> tasks.pilot_status_notify_task)."""

import pytest
from django.core import mail
from django.urls import reverse

from portal.accounts import roles
from portal.core.models import Notification, NotificationPreference
from registry import services, tasks
from registry.models import PilotEvent
from tests.factories import user_for_role
from tests.registry.conftest import FINAL, PILOT_COMPLETE, make_pilot

pytestmark = pytest.mark.django_db

KIND = "pilot_status_changed"


@pytest.fixture
def council():
    return user_for_role(roles.COUNCIL_MEMBER)


@pytest.fixture
def pilot(editor, approver):
    return make_pilot(editor, approver, status=["preparation"])


def _last_status_event(pilot):
    return PilotEvent.objects.filter(pilot=pilot, action=PilotEvent.Action.STATUS).latest("pk")


def test_each_follower_of_the_pilot_or_its_theme_is_notified_once(
    pilot, editor, council, django_capture_on_commit_callbacks
):
    resident = user_for_role(roles.RESIDENT)
    theme_only = user_for_role(roles.COUNCIL_MEMBER)
    other_theme = user_for_role(roles.COUNCIL_MEMBER)
    services.pilot_follow(user=council, pilot=pilot)
    services.pilot_follow(user=council, theme="Verkeer")  # the same person: one message
    services.pilot_follow(user=resident, pilot=pilot)
    services.pilot_follow(user=theme_only, theme="Verkeer")
    services.pilot_follow(user=other_theme, theme="Economie")

    with django_capture_on_commit_callbacks(execute=True):
        services.pilot_status_change(pilot=pilot, by=editor, to_status="running",
                                     reason="De bus rijdt vanaf vandaag.")

    notifications = Notification.objects.filter(kind=KIND)
    assert sorted(n.recipient_id for n in notifications) == sorted(
        [council.pk, resident.pk, theme_only.pk]
    )
    event = _last_status_event(pilot)
    assert {n.url for n in notifications} == {f"{pilot.get_absolute_url()}#event-{event.pk}"}
    notification = notifications.first()
    assert pilot.title in notification.title
    assert "loopt" in notification.title
    assert "voorbereiding" in notification.body
    assert "De bus rijdt vanaf vandaag." in notification.body


def test_a_redelivered_task_notifies_nobody_twice(
    pilot, editor, council, django_capture_on_commit_callbacks
):
    services.pilot_follow(user=council, pilot=pilot)
    with django_capture_on_commit_callbacks(execute=True):
        services.pilot_status_change(pilot=pilot, by=editor, to_status="running")
    event = _last_status_event(pilot)

    assert tasks.pilot_status_notify_task(event.pk) == 0
    assert services.pilot_status_followers_notify(event=event) == 0
    assert Notification.objects.filter(kind=KIND, recipient=council).count() == 1
    assert tasks.pilot_status_notify_task(event.pk + 1000) == 0  # a vanished event


def test_every_change_notifies_once(pilot, editor, council, django_capture_on_commit_callbacks):
    services.pilot_follow(user=council, pilot=pilot)
    with django_capture_on_commit_callbacks(execute=True):
        services.pilot_status_change(pilot=pilot, by=editor, to_status="running")
    with django_capture_on_commit_callbacks(execute=True):
        services.pilot_status_change(pilot=pilot, by=editor, to_status="stopped")

    titles = list(Notification.objects.filter(kind=KIND).order_by("pk")
                  .values_list("title", flat=True))
    assert len(titles) == 2
    assert "loopt" in titles[0]
    assert "gestopt" in titles[1]


def test_no_notification_for_a_pilot_that_is_not_published(
    editor, approver, council, django_capture_on_commit_callbacks
):
    draft = services.pilot_create(by=editor, **PILOT_COMPLETE)
    withdrawn = make_pilot(editor, approver, title="Ingetrokken")
    services.pilot_follow(user=council, pilot=withdrawn)
    services.pilot_follow(user=council, theme="Verkeer")  # the theme of both
    services.pilot_withdraw(pilot=withdrawn, by=editor, reason="Dubbel.")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.pilot_status_change(pilot=draft, by=editor, to_status="preparation")
        services.pilot_status_change(pilot=withdrawn, by=editor, to_status="preparation")

    assert callbacks == []
    assert services.pilot_status_followers_notify(event=_last_status_event(draft)) == 0
    assert services.pilot_status_followers_notify(event=_last_status_event(withdrawn)) == 0
    assert not Notification.objects.filter(kind=KIND).exists()


def test_the_email_follows_the_preference(
    pilot, editor, council, django_capture_on_commit_callbacks
):
    daily = user_for_role(roles.COUNCIL_MEMBER)
    NotificationPreference.objects.create(
        user=daily, email_frequency=NotificationPreference.EmailFrequency.DAILY
    )
    services.pilot_follow(user=council, pilot=pilot)  # no preference: immediately
    services.pilot_follow(user=daily, pilot=pilot)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.pilot_status_change(pilot=pilot, by=editor, to_status="running")

    assert Notification.objects.filter(kind=KIND).count() == 2
    assert [message.to for message in mail.outbox] == [[council.email]]
    assert pilot.title in mail.outbox[0].subject + mail.outbox[0].body


def test_a_decision_in_a_final_evaluation_sends_only_the_evaluation_message(
    pilot, editor, approver, council, django_capture_on_commit_callbacks
):
    services.pilot_follow(user=council, pilot=pilot)
    with django_capture_on_commit_callbacks(execute=True):
        services.pilot_status_change(pilot=pilot, by=editor, to_status="running")
    kpi = pilot.kpis.get()
    evaluation = services.evaluation_record(
        pilot=pilot, by=editor, **FINAL,
        kpi_results={kpi.pk: {"value": 40, "assessment": "not_met", "note": ""}},
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_publish(evaluation=evaluation, by=approver)

    pilot.refresh_from_db()
    assert pilot.status == "adjusted"  # running -> being evaluated -> adjusted
    kinds = list(Notification.objects.filter(recipient=council).order_by("pk")
                 .values_list("kind", flat=True))
    assert kinds == [KIND, "pilot_evaluation_published"]


def test_the_status_form_notifies_the_followers(
    client, pilot, editor, council, django_capture_on_commit_callbacks
):
    services.pilot_follow(user=council, theme="Verkeer")
    client.force_login(editor)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("registry:pilot_status", args=[pilot.slug]),
                               {"to_status": "running", "reason": ""})

    assert response.status_code == 302
    assert Notification.objects.get(kind=KIND).recipient == council
    assert [message.to for message in mail.outbox] == [[council.email]]

    # the notification links to the change on the pilot's timeline
    page = client.get(Notification.objects.get(kind=KIND).url).content.decode()
    assert f'id="event-{_last_status_event(pilot).pk}"' in page

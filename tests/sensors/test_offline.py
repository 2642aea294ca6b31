"""Offline alerts: the owner of a kit that went quiet is told once per silence."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from portal.core.models import Notification, NotificationPreference
from sensors.models import Kit
from sensors.offline import kit_live_path, kits_offline_notify
from sensors.services import Reading, observations_store
from sensors.tasks import kits_offline_check_task
from tests.factories import UserFactory
from tests.sensors.factories import DatastreamFactory, KitFactory, ProjectFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def kit_seen(hours_ago, *, now=NOW, **kwargs):
    kit = KitFactory(**kwargs)
    Kit.objects.filter(pk=kit.pk).update(
        last_seen_at=now - dt.timedelta(hours=hours_ago),
        created_at=now - dt.timedelta(days=30),
    )
    kit.refresh_from_db()
    return kit


def notified():
    return list(Notification.objects.filter(kind="sensor_offline")
                .values_list("recipient_id", flat=True))


def test_a_silent_kit_notifies_its_owner_once_with_a_link_to_the_live_page(
    django_capture_on_commit_callbacks,
):
    kit = kit_seen(7, owner=UserFactory(email="bewoner@example.org"))  # project default: 6 h

    with django_capture_on_commit_callbacks(execute=True):
        assert kits_offline_notify(now=NOW) == 1

    notification = Notification.objects.get(kind="sensor_offline")
    assert notification.recipient == kit.owner
    assert kit.name in notification.title
    assert notification.url == kit_live_path(kit)
    assert str(kit.public_id) in notification.url
    assert len(mail.outbox) == 1
    assert notification.url in mail.outbox[0].body
    kit.refresh_from_db()
    assert kit.offline_notified_at == NOW

    # the second run, and the next, send nothing more for the same silence
    assert kits_offline_notify(now=NOW + dt.timedelta(minutes=15)) == 0
    assert kits_offline_notify(now=NOW + dt.timedelta(days=3)) == 0
    assert len(notified()) == 1


def test_data_arriving_ends_the_silence_and_a_later_silence_notifies_again():
    kit = kit_seen(10)
    stream = DatastreamFactory(kit=kit)
    kits_offline_notify(now=NOW)

    later = NOW + dt.timedelta(hours=1)
    observations_store([Reading(stream.pk, later, 12.0)], now=later)
    kit.refresh_from_db()
    assert kit.offline_notified_at is None
    assert kits_offline_notify(now=later + dt.timedelta(hours=2)) == 0  # live again

    assert kits_offline_notify(now=later + dt.timedelta(hours=6, minutes=1)) == 1
    assert len(notified()) == 2


def test_the_projects_own_threshold_counts():
    patient = ProjectFactory(offline_after_hours=24)
    kit_seen(7, project=patient)
    kit_seen(25, project=patient)
    kit_seen(7)  # default project: 6 hours

    assert kits_offline_notify(now=NOW) == 2


def test_a_kit_that_never_sent_anything_counts_from_its_registration():
    new = KitFactory()
    Kit.objects.filter(pk=new.pk).update(created_at=NOW - dt.timedelta(hours=2))
    old = KitFactory()
    Kit.objects.filter(pk=old.pk).update(created_at=NOW - dt.timedelta(hours=8))

    assert kits_offline_notify(now=NOW) == 1

    notification = Notification.objects.get()
    assert notification.recipient == old.owner
    with translation.override(settings.LANGUAGE_CODE):  # the site's language
        expected = gettext("Your sensor “%(name)s” has not sent any data yet")
    assert notification.title == expected % {"name": old.name}


def test_stopped_unclaimed_ownerless_and_live_kits_are_left_alone():
    kit_seen(30, state=Kit.State.STOPPED)
    kit_seen(30, state=Kit.State.UNCLAIMED)
    kit_seen(30, owner=None)
    kit_seen(30, owner__is_active=False)
    kit_seen(1)

    assert kits_offline_notify(now=NOW) == 0


def test_the_persons_email_preference_is_respected(django_capture_on_commit_callbacks):
    owner = UserFactory(email="liever-niet@example.org")
    NotificationPreference.objects.create(
        user=owner, email_frequency=NotificationPreference.EmailFrequency.DAILY)
    kit_seen(8, owner=owner)

    with django_capture_on_commit_callbacks(execute=True):
        kits_offline_notify(now=NOW)

    assert len(notified()) == 1
    assert mail.outbox == []  # in the daily digest instead


def test_a_resident_without_email_gets_the_notification_in_the_site(
    django_capture_on_commit_callbacks,
):
    kit = kit_seen(8)  # KitFactory's owner is a DigiD resident without an address

    with django_capture_on_commit_callbacks(execute=True):
        kits_offline_notify(now=NOW)

    assert notified() == [kit.owner_id]
    assert mail.outbox == []


def test_the_link_is_the_owners_live_page():
    kit = KitFactory()
    try:
        expected = reverse("sensors:kit_live", kwargs={"public_id": kit.public_id})
    except NoReverseMatch:  # the pages are built separately; the documented path meanwhile
        expected = f"/sensoren/mijn-sensoren/{kit.public_id}/"
    assert kit_live_path(kit) == expected


def test_the_celery_task_and_the_command():
    now = timezone.now()
    kit_seen(100, now=now)
    kit_seen(100, now=now)

    assert kits_offline_check_task.delay().get() == 2

    kit_seen(100, now=now)
    out = _Buffer()
    call_command("sensors_offline_check", stdout=out)
    assert "1 owner notification(s) sent" in out.text


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

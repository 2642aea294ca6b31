"""Following a pilot or a theme, and the notification when an evaluation is published."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from portal.accounts import roles
from portal.core.models import Notification, NotificationPreference
from registry import services
from registry.models import PilotSubscription
from tests.factories import user_for_role
from tests.registry.conftest import FINAL, make_pilot

pytestmark = pytest.mark.django_db

KIND = "pilot_evaluation_published"


@pytest.fixture
def council():
    return user_for_role(roles.COUNCIL_MEMBER)


@pytest.fixture
def pilot(editor, approver):
    return make_pilot(editor, approver, status=["preparation", "running"])


def _record(pilot, editor):
    kpi = pilot.kpis.get()
    return services.evaluation_record(
        pilot=pilot, by=editor, **FINAL,
        kpi_results={kpi.pk: {"value": 40, "assessment": "not_met", "note": ""}},
    )


def _follow_url(pilot):
    return reverse("registry:pilot_follow", args=[pilot.slug])


# --- the model and the services --------------------------------------------------------------


def test_a_subscription_has_exactly_one_target(council, pilot):
    with pytest.raises(IntegrityError), transaction.atomic():
        PilotSubscription.objects.create(user=council, pilot=pilot, theme="Verkeer")
    with pytest.raises(IntegrityError), transaction.atomic():
        PilotSubscription.objects.create(user=council)


def test_a_subscription_is_unique_per_user_and_target(council, pilot):
    PilotSubscription.objects.create(user=council, pilot=pilot)
    PilotSubscription.objects.create(user=council, theme="Verkeer")
    with pytest.raises(IntegrityError), transaction.atomic():
        PilotSubscription.objects.create(user=council, pilot=pilot)
    with pytest.raises(IntegrityError), transaction.atomic():
        PilotSubscription.objects.create(user=council, theme="Verkeer")


def test_follow_and_unfollow_are_idempotent(council, pilot):
    services.pilot_follow(user=council, pilot=pilot)
    services.pilot_follow(user=council, pilot=pilot)
    services.pilot_follow(user=council, theme="Verkeer")
    assert PilotSubscription.objects.filter(user=council).count() == 2

    assert services.pilot_unfollow(user=council, pilot=pilot) is True
    assert services.pilot_unfollow(user=council, pilot=pilot) is False
    assert list(PilotSubscription.objects.filter(user=council).values_list("theme", flat=True)) \
        == ["Verkeer"]


def test_an_unknown_theme_or_a_draft_pilot_cannot_be_followed(council, editor):
    draft = services.pilot_create(by=editor, title="Concept")
    with pytest.raises(ValidationError):
        services.pilot_follow(user=council, pilot=draft)
    with pytest.raises(ValidationError):
        services.pilot_follow(user=council, theme="Geen thema")
    assert not PilotSubscription.objects.exists()


# --- the pages -------------------------------------------------------------------------------


def test_follow_and_unfollow_a_pilot_from_its_page(client, council, pilot):
    client.force_login(council)
    assert 'data-testid="follow-pilot"' in client.get(pilot.get_absolute_url()).content.decode()

    response = client.post(_follow_url(pilot), {"action": "follow"})
    assert response.status_code == 302
    assert response.url == pilot.get_absolute_url()
    client.post(_follow_url(pilot), {"action": "follow"})  # again: nothing changes
    assert PilotSubscription.objects.filter(user=council, pilot=pilot).count() == 1
    assert 'data-testid="unfollow-pilot"' in client.get(pilot.get_absolute_url()).content.decode()

    client.post(_follow_url(pilot), {"action": "unfollow"})
    client.post(_follow_url(pilot), {"action": "unfollow"})
    assert not PilotSubscription.objects.exists()


def test_following_needs_a_post(client, council, pilot):
    client.force_login(council)
    assert client.get(_follow_url(pilot)).status_code == 405
    assert client.get(reverse("registry:theme_follow")).status_code == 405


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, pilot):
    response = client.post(_follow_url(pilot), {"action": "follow"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not PilotSubscription.objects.exists()
    page = client.get(pilot.get_absolute_url()).content.decode()
    assert 'data-testid="follow-pilot"' not in page
    assert f"{reverse('login')}?next=" in page


def test_follow_a_theme_from_the_dashboard(client, council, pilot):
    client.force_login(council)
    dashboard = reverse("registry:dashboard")
    assert 'data-testid="follow-theme"' in client.get(dashboard).content.decode()

    response = client.post(reverse("registry:theme_follow"),
                           {"action": "follow", "theme": "Verkeer", "next": dashboard})
    assert response.url == dashboard
    assert PilotSubscription.objects.get(user=council).theme == "Verkeer"
    assert 'data-testid="unfollow-theme"' in client.get(dashboard).content.decode()

    response = client.post(reverse("registry:theme_follow"),
                           {"action": "unfollow", "theme": "Verkeer",
                            "next": "https://evil.example/"})
    assert response.url == dashboard  # never off-site
    assert not PilotSubscription.objects.exists()


def test_a_bad_theme_gives_a_message_not_an_error(client, council):
    client.force_login(council)
    response = client.post(reverse("registry:theme_follow"),
                           {"action": "follow", "theme": "Onzin"}, follow=True)
    assert response.status_code == 200
    assert not PilotSubscription.objects.exists()


# --- notifications ---------------------------------------------------------------------------


def test_each_follower_is_notified_once_when_an_evaluation_is_published(
    pilot, editor, approver, council, django_capture_on_commit_callbacks
):
    other = user_for_role(roles.RESIDENT)
    theme_only = user_for_role(roles.COUNCIL_MEMBER)
    stranger = user_for_role(roles.COUNCIL_MEMBER)
    services.pilot_follow(user=council, pilot=pilot)
    services.pilot_follow(user=council, theme="Verkeer")  # the same person: still one message
    services.pilot_follow(user=other, pilot=pilot)
    services.pilot_follow(user=theme_only, theme="Verkeer")
    services.pilot_follow(user=stranger, theme="Economie")
    evaluation = _record(pilot, editor)

    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_publish(evaluation=evaluation, by=approver)

    notifications = Notification.objects.filter(kind=KIND)
    assert sorted(n.recipient_id for n in notifications) == sorted(
        [council.pk, other.pk, theme_only.pk]
    )
    url = reverse("registry:evaluation_detail", args=[pilot.slug, evaluation.pk])
    assert {n.url for n in notifications} == {url}
    assert all(pilot.title in n.title for n in notifications)
    # a redelivered task notifies nobody twice
    assert services.pilot_followers_notify(evaluation=evaluation) == 0
    assert Notification.objects.filter(kind=KIND).count() == 3


def test_no_notification_for_an_unpublished_evaluation(
    pilot, editor, council, django_capture_on_commit_callbacks
):
    services.pilot_follow(user=council, pilot=pilot)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = _record(pilot, editor)

    assert services.pilot_followers_notify(evaluation=evaluation) == 0
    assert not Notification.objects.filter(kind=KIND).exists()


def test_the_email_follows_the_preference(
    pilot, editor, approver, council, django_capture_on_commit_callbacks
):
    daily = user_for_role(roles.COUNCIL_MEMBER)
    NotificationPreference.objects.create(
        user=daily, email_frequency=NotificationPreference.EmailFrequency.DAILY
    )
    services.pilot_follow(user=council, pilot=pilot)  # no preference: immediately
    services.pilot_follow(user=daily, pilot=pilot)
    evaluation = _record(pilot, editor)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.evaluation_publish(evaluation=evaluation, by=approver)

    assert Notification.objects.filter(kind=KIND).count() == 2
    assert [message.to for message in mail.outbox] == [[council.email]]
    assert pilot.title in mail.outbox[0].subject + mail.outbox[0].body

"""Granting, withdrawing, the state derived from the ledger, re-asking, and withdrawal effects."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from portal.consent import selectors, services
from portal.consent.models import ConsentEvent, WithdrawalEffectRun
from portal.consent.pseudonyms import consent_subject_pseudonym
from portal.core.models import Notification
from tests.consent.conftest import make_purpose
from tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def grant(user, text, **kwargs):
    return services.consent_grant(user=user, text=text, method=kwargs.get("method", "web"),
                                  assurance_level=kwargs.get("assurance_level", "midden"))


def withdraw(user, purpose, **kwargs):
    return services.consent_withdraw(user=user, purpose=purpose,
                                     method=kwargs.get("method", "web"),
                                     assurance_level=kwargs.get("assurance_level", "midden"))


def test_never_granted(purpose):
    state = selectors.consent_state(user=ResidentFactory(), purpose=purpose)
    assert state.status == selectors.NEVER
    assert state.text is None
    assert state.current_text.version == 1
    assert selectors.consent_needs_asking(user=ResidentFactory(), purpose=purpose) is True


def test_grant_records_an_event_with_the_text_and_pseudonym(text):
    user = ResidentFactory()

    event = grant(user, text, assurance_level="substantieel")

    assert event.action == "grant"
    assert event.method == "web"
    assert event.text == text
    assert event.purpose == text.purpose
    assert event.assurance_level == "substantieel"
    assert event.subject_pseudonym == consent_subject_pseudonym(user)
    # The receipt's pseudonym is not the account key.
    assert event.subject_pseudonym != user.bsn_pseudonym
    state = selectors.consent_state(user=user, purpose=text.purpose)
    assert state.status == selectors.GRANTED
    assert state.text == text
    assert selectors.consent_needs_asking(user=user, purpose=text.purpose) is False
    assert selectors.consent_has(user=user, purpose_code=text.purpose.code) is True


def test_pseudonyms_are_stable_and_distinct():
    resident, other, email_user = ResidentFactory(), ResidentFactory(), UserFactory()
    assert consent_subject_pseudonym(resident) == consent_subject_pseudonym(resident)
    assert len({consent_subject_pseudonym(u) for u in (resident, other, email_user)}) == 3
    assert len(consent_subject_pseudonym(email_user)) == 64


def test_granting_twice_is_a_no_op(text):
    user = ResidentFactory()
    first = grant(user, text)

    again = grant(user, text)

    assert again.pk == first.pk
    assert ConsentEvent.objects.filter(user=user).count() == 1


def test_only_the_current_text_can_be_granted(text):
    services.consent_text_publish(purpose=text.purpose, body="Versie twee", material_change=True,
                                  by=None)
    with pytest.raises(ValidationError) as error:
        grant(ResidentFactory(), text)
    assert error.value.code == "stale_text"
    assert not ConsentEvent.objects.exists()


def test_an_inactive_purpose_cannot_be_granted():
    purpose = make_purpose(code="oud-project", active=False)
    with pytest.raises(ValidationError):
        grant(ResidentFactory(), purpose.texts.get())


def test_anonymous_cannot_grant_or_withdraw(text):
    with pytest.raises(PermissionDenied):
        grant(AnonymousUser(), text)
    with pytest.raises(PermissionDenied):
        withdraw(AnonymousUser(), text.purpose)


def test_an_unknown_method_is_refused(text):
    with pytest.raises(ValueError, match="unknown consent method"):
        grant(ResidentFactory(), text, method="paper")


def test_withdraw_derives_the_state_from_the_latest_event(text, django_capture_on_commit_callbacks):
    user = ResidentFactory()
    grant(user, text)

    with django_capture_on_commit_callbacks(execute=True):
        event = withdraw(user, text.purpose, method="api")

    assert event.action == "withdraw"
    assert event.method == "api"
    assert event.text == text
    state = selectors.consent_state(user=user, purpose=text.purpose)
    assert state.status == selectors.WITHDRAWN
    assert state.needs_asking is True
    assert [e.action for e in selectors.consent_history(user=user)] == ["withdraw", "grant"]

    # Granting again after a withdrawal is a new event.
    grant(user, text)
    assert selectors.consent_state(user=user, purpose=text.purpose).status == selectors.GRANTED
    assert ConsentEvent.objects.filter(user=user).count() == 3


def test_withdrawing_without_consent_is_refused(purpose):
    with pytest.raises(ValidationError) as error:
        withdraw(ResidentFactory(), purpose)
    assert error.value.code == "not_granted"
    assert not ConsentEvent.objects.exists()


def test_a_new_material_version_means_asking_again(text):
    user = ResidentFactory()
    grant(user, text)

    services.consent_text_publish(purpose=text.purpose, body="Nu ook je postcode.",
                                  material_change=True, by=None)

    state = selectors.consent_state(user=user, purpose=text.purpose)
    assert state.status == selectors.GRANTED
    assert state.text_changed is True
    assert selectors.consent_needs_asking(user=user, purpose=text.purpose) is True
    assert selectors.consent_has(user=user, purpose_code=text.purpose.code) is False
    # Agreeing to the new text ends the re-asking.
    grant(user, state.current_text)
    assert selectors.consent_needs_asking(user=user, purpose=text.purpose) is False


def test_a_non_material_version_does_not_ask_again(text):
    user = ResidentFactory()
    grant(user, text)

    services.consent_text_publish(purpose=text.purpose, body="Een tikfout verbeterd.",
                                  material_change=False, by=None)

    state = selectors.consent_state(user=user, purpose=text.purpose)
    assert state.text.version == 1
    assert state.current_text.version == 2
    assert state.text_changed is False
    assert selectors.consent_needs_asking(user=user, purpose=text.purpose) is False


def test_an_older_material_change_before_the_grant_does_not_ask_again(text):
    services.consent_text_publish(purpose=text.purpose, body="v2", material_change=True, by=None)
    v3 = services.consent_text_publish(purpose=text.purpose, body="v3", material_change=False,
                                       by=None)
    user = ResidentFactory()
    grant(user, v3)
    assert selectors.consent_needs_asking(user=user, purpose=text.purpose) is False


def test_anonymous_always_needs_asking(purpose):
    assert selectors.consent_needs_asking(user=AnonymousUser(), purpose=purpose) is True
    assert selectors.consent_has(user=AnonymousUser(), purpose_code=purpose.code) is False
    assert selectors.consent_has(user=ResidentFactory(), purpose_code="bestaat-niet") is False


# --- withdrawal effects -------------------------------------------------------------------------


@pytest.fixture
def purpose(db):
    """A purpose that no app owns, so only the effects a test registers run (the real apps
    register theirs for the demo purposes)."""
    return make_purpose(code="testdoel-zonder-eigen-app")



def test_withdrawal_runs_the_registered_effects_and_tells_the_person(
    text, effect, django_capture_on_commit_callbacks
):
    calls = []

    def unpublish_kits(*, user_id, event):
        calls.append((user_id, event.pk))
        return "Je sensor staat niet meer op de kaart."

    effect(text.purpose.code, unpublish_kits, name="sensors.unpublish_kits")
    effect("another-purpose", lambda **kw: calls.append("wrong"), name="other")
    user = ResidentFactory()
    grant(user, text)

    with django_capture_on_commit_callbacks(execute=True):
        event = withdraw(user, text.purpose)

    assert calls == [(user.pk, event.pk)]
    runs = {run.effect_name: run for run in WithdrawalEffectRun.objects.filter(event=event)}
    assert set(runs) == {"sensors.unpublish_kits", selectors.NOTIFY_STEP}
    assert runs["sensors.unpublish_kits"].status == "done"
    assert runs["sensors.unpublish_kits"].message == "Je sensor staat niet meer op de kaart."
    notification = Notification.objects.get(recipient=user, kind="consent_withdrawn")
    assert text.purpose.title in notification.title
    assert "verwerkt" in notification.title
    assert notification.url == "/mijn-gegevens/toestemmingen/"
    outcome = selectors.withdrawal_outcome(event)
    assert outcome["status"] == selectors.PROCESSED
    assert [run.effect_name for run in outcome["effects"]] == ["sensors.unpublish_kits"]


def test_effects_are_queued_after_commit_not_before(text, effect,
                                                    django_capture_on_commit_callbacks):
    calls = []
    effect(text.purpose.code, lambda **kw: calls.append(1), name="t")
    user = ResidentFactory()
    grant(user, text)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event = withdraw(user, text.purpose)

    assert calls == []
    assert len(callbacks) == 1
    assert selectors.withdrawal_outcome(event)["status"] == selectors.PROCESSING


def test_a_failing_effect_is_recorded_and_the_others_still_run(
    text, effect, django_capture_on_commit_callbacks
):
    def broken(*, user_id, event):
        raise RuntimeError("database of the sensor platform is down")

    effect(text.purpose.code, broken, name="sensors.broken")
    effect(text.purpose.code, lambda *, user_id, event: "ok", name="ideas.fine")
    user = ResidentFactory()
    grant(user, text)

    with django_capture_on_commit_callbacks(execute=True):
        event = withdraw(user, text.purpose)

    runs = {r.effect_name: r for r in WithdrawalEffectRun.objects.filter(event=event)}
    assert runs["sensors.broken"].status == "failed"
    assert runs["sensors.broken"].message == "RuntimeError"
    assert runs["ideas.fine"].status == "done"
    assert selectors.withdrawal_outcome(event)["status"] == selectors.FAILED
    notification = Notification.objects.get(recipient=user, kind="consent_withdrawn")
    assert "niet helemaal gelukt" in notification.title


def test_running_the_effects_twice_changes_nothing(text, effect,
                                                   django_capture_on_commit_callbacks):
    calls = []
    effect(text.purpose.code, lambda *, user_id, event: calls.append(1), name="once")
    user = ResidentFactory()
    grant(user, text)
    with django_capture_on_commit_callbacks(execute=True):
        event = withdraw(user, text.purpose)

    services.consent_withdrawal_effects_run(event_id=event.pk)

    assert calls == [1]
    assert WithdrawalEffectRun.objects.filter(event=event).count() == 2
    assert Notification.objects.filter(recipient=user, kind="consent_withdrawn").count() == 1


def test_effects_of_a_grant_event_or_unknown_id_do_nothing(text):
    event = grant(ResidentFactory(), text)
    assert services.consent_withdrawal_effects_run(event_id=event.pk) == []
    assert services.consent_withdrawal_effects_run(event_id=999999) == []

"""Sensors and the person's rights: what withdrawing consent does, and the "sensors" section of
"Mijn gegevens" (export and erasure). Registered with portal.consent in `SensorsConfig.ready`
(consent never imports sensors).

Personal data, and what happens to it:
- While a kit is linked to a person, its name, device id, exact home location and every
  measurement are personal data (a home sensor says something about the household).
- Withdrawing consent for a project's purpose stops all the person's kits in projects with that
  purpose: off the map, data refused (`kit_authenticate` answers None), memberships end. The
  measurements so far are kept ANONYMISED (the documented default): the kit loses its owner,
  its exact location, its name and its device id; only the public 100 m grid point and the
  measurements stay, as open data without a name. A person who wants the data gone chooses
  "delete" when leaving with a kit (its page), before or instead of withdrawing.
- Account deletion (the eraser) does the same for every kit: stopped and anonymised, data kept
  as open data, memberships deleted. Once unlinked, with the exact location erased and only the
  grid cell public, the measurements no longer relate to an identifiable person (GDPR recital
  26), and they stay useful to the neighbourhood that measured them.
- Export: kits (name, project, device id, exact location, state, dates), the data volume per
  kit (observations, first and last time) and memberships: four queries, whatever the number
  of kits or observations.
"""

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from sensors.models import Datastream, Kit, Membership, Observation

# Consent purposes that projects may use. Each gets the withdrawal effect below; the project
# admin only accepts these codes, so no project can rely on a purpose without an effect.
PARTICIPATION_PURPOSES = ("sensor-project-participation",)


def _iso(value):
    return value.isoformat() if value else None


def _float(value):
    return float(value) if value is not None else None


# --- withdrawal of consent --------------------------------------------------------------------


def participation_withdrawn(*, user_id, event=None) -> str:
    """Withdrawal effect: stop every kit of the person in projects with this purpose, keep the
    measurements anonymised, end the memberships. Idempotent (a second run finds no kits)."""
    from sensors.services import kits_of_user_stop

    purpose_code = event.purpose.code if event is not None else PARTICIPATION_PURPOSES[0]
    with translation.override(settings.LANGUAGE_CODE):
        if user_id is None:
            # The account is gone: its eraser already stopped and anonymised every kit.
            return gettext("You have no sensors with us any more.")
        count = kits_of_user_stop(user_id=user_id, delete_data=False, purpose_code=purpose_code)
        if not count:
            return gettext("You had no sensors in these projects: nothing needed to stop.")
        return ngettext(
            "Your sensor has stopped: it is no longer on the map and we no longer accept its "
            "data. Its measurements so far are kept as open data, without your name or home "
            "address.",
            "Your %(count)d sensors have stopped: they are no longer on the map and we no "
            "longer accept their data. Their measurements so far are kept as open data, "
            "without your name or home address.",
            count,
        ) % {"count": count}


# --- Mijn gegevens: export --------------------------------------------------------------------


def export_sensors(user) -> dict[str, list[dict]]:
    """Everything sensors holds about `user`: four queries, whatever the number of rows."""
    kits = list(Kit.objects.filter(owner=user).select_related("project")
                .order_by("project__name", "name", "pk"))
    kit_ids = [kit.pk for kit in kits]
    times = {
        row["kit_id"]: row
        for row in Datastream.objects.filter(kit_id__in=kit_ids).values("kit_id").annotate(
            first=Min("first_time"), last=Max("last_time"))
    }
    counts = dict(
        Observation.objects.filter(datastream__kit_id__in=kit_ids)
        .values_list("datastream__kit_id").annotate(total=Count("id")).order_by()
    )
    kit_rows = [
        {
            "name": kit.name,
            "project": kit.project.name,
            "device_id": kit.device_id,
            "latitude": _float(kit.latitude),
            "longitude": _float(kit.longitude),
            "public_latitude": _float(kit.public_latitude),
            "public_longitude": _float(kit.public_longitude),
            "indoor": kit.indoor,
            "state": kit.state,
            "state_display": str(kit.get_state_display()),
            "created_at": _iso(kit.created_at),
            "last_seen_at": _iso(kit.last_seen_at),
        }
        for kit in kits
    ]
    volume_rows = [
        {
            "kit": kit.name,
            "observations": counts.get(kit.pk, 0),
            "first_time": _iso(times.get(kit.pk, {}).get("first")),
            "last_time": _iso(times.get(kit.pk, {}).get("last")),
        }
        for kit in kits
    ]
    memberships = [
        {"project": membership.project.name, "joined_at": _iso(membership.joined_at)}
        for membership in Membership.objects.filter(user=user).select_related("project")
        .order_by("project__name")
    ]
    return {"kits": kit_rows, "data_volume": volume_rows, "memberships": memberships}


# --- Mijn gegevens: erasure -------------------------------------------------------------------


def erase_sensors(user) -> str:
    """Runs inside account_delete's transaction, before the User row goes: every kit stopped
    and anonymised (measurements kept as open data, see the module docstring), memberships
    deleted."""
    from sensors.services import kits_of_user_stop

    memberships, _by_model = Membership.objects.filter(user=user).delete()
    kits = kits_of_user_stop(user_id=user.pk, delete_data=False)
    return f"{kits} sensor kits stopped and anonymised, {memberships} memberships deleted"


def register() -> None:
    """Called from SensorsConfig.ready (may run twice: both registries replace by name)."""
    from portal.consent.effects import register_withdrawal_effect
    from portal.consent.personal_data import PersonalDataSection, register_personal_data_section

    for code in PARTICIPATION_PURPOSES:
        register_withdrawal_effect(code, participation_withdrawn)
    register_personal_data_section(PersonalDataSection(
        code="sensors", title=_("Sensors"), exporter=export_sensors, eraser=erase_sensors,
        lists={
            "kits": _("Your sensors"),
            "data_volume": _("Measurements per sensor"),
            "memberships": _("Sensor projects you take part in"),
        },
        columns={
            "kits": {"name": _("Name"), "project": _("Project"), "device_id": _("Device id"),
                     "latitude": _("Latitude"), "longitude": _("Longitude"),
                     "state_display": _("State"), "created_at": _("Registered"),
                     "last_seen_at": _("Last message")},
            "data_volume": {"kit": _("Sensor"), "observations": _("Measurements"),
                            "first_time": _("First"), "last_time": _("Last")},
            "memberships": {"project": _("Project"), "joined_at": _("Since")},
        },
        order=50,
    ))

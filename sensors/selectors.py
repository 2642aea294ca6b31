"""Reads of the sensors pages used in more than one place: projects with their numbers, a
person's kits and memberships, and "is my sensor live?".

Query counts are fixed, whatever the number of rows: lists annotate their counts and fetch
related rows in the same query or one prefetch.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from sensors.models import Datastream, Kit, Membership, ObservedProperty, Project

# The airrohr firmware sends every 145 s (`sending_intervall_ms = 145000`).
AIRROHR_INTERVAL = timedelta(seconds=145)
# Live: the last message is at most this many intervals old (one or two may get lost).
LIVE_INTERVALS = 3
# Where the airrohr firmware's "Send to own API" must point (the ingest endpoint of issue 5).
PUSH_PATH = "/api/v1/sensors/push/sensor-community/"


def projects_overview():
    """Every project with its quantities and the number of active kits: two queries."""
    return (
        Project.objects.annotate(
            active_kits=Count("kits", filter=Q(kits__state=Kit.State.ACTIVE), distinct=True))
        .prefetch_related(Prefetch("quantities", queryset=ObservedProperty.objects.order_by(
            "name")))
        .order_by("name")
    )


def project_for_page(*, slug: str) -> Project | None:
    return (
        projects_overview().select_related("pilot").filter(slug=slug).first()
    )


def project_areas() -> list[dict]:
    """Every project as a light row for the projects GeoJSON: name, slug, area, licence, the
    number of active kits and the linked pilot's slug and state (one query)."""
    return list(
        Project.objects.order_by("name", "pk")
        .annotate(active_kits=Count("kits", filter=Q(kits__state=Kit.State.ACTIVE)))
        .values("slug", "name", "area", "licence", "active_kits", "pilot__slug", "pilot__state")
    )


def project_public_pilot(project: Project):
    """The linked pilot if the register shows it to the public, else None."""
    pilot = project.pilot
    return pilot if pilot is not None and pilot.is_public else None


def home_projects(limit: int = 3) -> list[dict]:
    """Projects as cards for the home page ("Sensor projects"): one query."""
    projects = Project.objects.only("slug", "name", "summary").order_by(
        "-open_for_joining", "name")[:limit]
    return [{"title": project.name, "url": project.get_absolute_url(),
             "summary": project.summary} for project in projects]


def is_member(*, project: Project, user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.filter(project=project, user=user).exists()


def kits_of_user(*, user):
    """A person's kits (any state), with the project: one query."""
    return Kit.objects.filter(owner=user).select_related("project").order_by(
        "project__name", "name", "pk")


def memberships_of_user(*, user):
    return Membership.objects.filter(user=user).select_related("project").order_by(
        "project__name")


def own_kit(*, user, public_id) -> Kit | None:
    """The person's own kit by its public id; None for anyone else's (pages answer 404)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Kit.objects.select_related("project").filter(public_id=public_id,
                                                        owner=user).first()


@dataclass
class LiveRow:
    """One quantity on "is my sensor live?"."""

    name: str
    unit: str
    value: float | None
    time: datetime | None
    calibrated: bool = False
    sensor: str = ""

    @property
    def received(self) -> bool:
        return self.time is not None


@dataclass
class LiveStatus:
    kit: Kit
    rows: list[LiveRow]
    state: str            # never / live / late / offline / stopped
    last_seen_at: datetime | None
    interval: timedelta = AIRROHR_INTERVAL

    @property
    def interval_seconds(self) -> int:
        return int(self.interval.total_seconds())


def kit_live_status(*, kit: Kit, now: datetime | None = None) -> LiveStatus:
    """Per quantity of the project and per datastream of the kit: the last value received, or
    nothing yet. Two queries (the project's quantities, the kit's datastreams)."""
    now = now or timezone.now()
    streams = list(
        Datastream.objects.filter(kit=kit).select_related("observed_property", "sensor")
        .order_by("observed_property__name", "calibrated_from_id", "pk")
    )
    rows = []
    measured = set()
    for stream in streams:
        quantity = stream.observed_property
        measured.add(quantity.pk)
        rows.append(LiveRow(name=quantity.name, unit=quantity.unit_symbol,
                            value=stream.last_result, time=stream.last_time,
                            calibrated=stream.is_calibrated, sensor=stream.sensor.name))
    for quantity in kit.project.quantities.order_by("name"):
        if quantity.pk not in measured:
            rows.append(LiveRow(name=quantity.name, unit=quantity.unit_symbol, value=None,
                                time=None))
    rows.sort(key=lambda row: (row.name.lower(), row.calibrated))
    return LiveStatus(kit=kit, rows=rows, state=_live_state(kit, now),
                      last_seen_at=kit.last_seen_at)


def _live_state(kit: Kit, now: datetime) -> str:
    if kit.state == Kit.State.STOPPED:
        return "stopped"
    if kit.last_seen_at is None:
        return "never"
    silent = now - kit.last_seen_at
    if silent <= AIRROHR_INTERVAL * LIVE_INTERVALS:
        return "live"
    if silent <= timedelta(hours=kit.project.offline_after_hours):
        return "late"
    return "offline"


def firmware_settings(request, kit: Kit | None = None) -> dict:
    """What to type in the airrohr firmware's "Send to own API" settings for this site."""
    secure = request.is_secure()
    return {
        "server": request.get_host().split(":")[0],
        "path": PUSH_PATH,
        "port": 443 if secure else int(request.get_port() or 80),
        "https": secure,
        "user": kit.device_id if kit is not None else "",
        "interval_seconds": int(AIRROHR_INTERVAL.total_seconds()),
    }

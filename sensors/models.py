"""Citizen sensor networks (#SensHagen style), modelled on OGC SensorThings API v1.1.

| ours             | SensorThings       | what                                                |
|------------------|--------------------|-----------------------------------------------------|
| Project          | (STAplus Project)  | a measuring project: area, licence, consent         |
| Kit              | Thing (+ Location) | one home kit (e.g. an airrohr), owned by a resident |
| KitLocation      | HistoricalLocation | where a kit was placed, from when                   |
| Sensor           | Sensor             | a sensor model, e.g. SDS011 or BME280               |
| ObservedProperty | ObservedProperty   | a quantity (PM2.5, temperature, ...) with its unit  |
| Datastream       | Datastream         | one quantity of one kit, raw or calibrated          |
| Observation      | Observation        | one value at one time: THE table that grows         |

A FeatureOfInterest is not stored per observation: it is the kit's (public) location, which
the STA layer derives. Locations: the exact spot is private (the owner sees it); everyone else
sees it snapped to a fixed 100 m grid (`public_latitude/longitude`, computed by the service).

The observation store is one narrow table with a unique (datastream, phenomenon_time) key, so
a replayed message adds nothing. On PostgreSQL it is range-partitioned by month on
`phenomenon_time` with a BRIN index (migration 0002), written with bulk inserts / COPY; summaries
(`Datastream.last_*`, hourly and daily `Aggregate` rows) are maintained set-based by the
services and Celery, never by per-row triggers.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Licence(models.TextChoices):
    CC_BY_4 = "CC-BY-4.0", "CC BY 4.0"
    CC0 = "CC0-1.0", "CC0 1.0"
    ODBL = "ODbL-1.0", "ODbL 1.0"


LICENCE_URLS = {
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/",
    Licence.CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
    Licence.ODBL: "https://opendatacommons.org/licenses/odbl/1-0/",
}


class ObservedProperty(models.Model):
    """A quantity with its canonical unit (results are stored in this unit)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    definition = models.URLField(_("definition (URI)"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    unit_name = models.CharField(_("unit"), max_length=60)
    unit_symbol = models.CharField(_("unit symbol"), max_length=20)
    unit_definition = models.CharField(_("unit definition"), max_length=200, blank=True)
    # Physically possible range; values outside are stored but flagged.
    valid_min = models.FloatField(_("lowest plausible value"), null=True, blank=True)
    valid_max = models.FloatField(_("highest plausible value"), null=True, blank=True)
    # The map colours values by these breakpoints (ascending), e.g. WHO/EU classes for PM.
    scale = models.JSONField(_("colour scale"), default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("observed property")
        verbose_name_plural = _("observed properties")

    def __str__(self):
        return self.name


class Sensor(models.Model):
    """A sensor model, as STA's Sensor: e.g. SDS011 (Nova Fitness) or BME280 (Bosch)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    encoding_type = models.CharField(max_length=100, default="application/pdf")
    metadata = models.CharField(_("datasheet"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Project(models.Model):
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=150)
    summary = models.CharField(_("summary"), max_length=300)
    description = models.TextField(_("description"))
    # A GeoJSON Polygon or MultiPolygon (WGS84): homes must lie inside it.
    area = models.JSONField(_("area (GeoJSON)"))
    quantities = models.ManyToManyField(
        ObservedProperty, related_name="projects", verbose_name=_("measured quantities"),
    )
    partners = models.TextField(_("partners"), blank=True)
    licence = models.CharField(
        _("data licence"), max_length=20, choices=Licence.choices, default=Licence.CC_BY_4,
    )
    consent_purpose_code = models.SlugField(
        _("consent purpose"), max_length=80, default="sensor-project-participation",
        help_text=_("Joining needs consent for this purpose (see Consent in the admin)."),
    )
    manual = models.TextField(_("installation manual"), blank=True)
    offline_after_hours = models.PositiveSmallIntegerField(
        _("offline after (hours)"), default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )
    pilot = models.ForeignKey(
        "registry.Pilot", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="sensor_projects", verbose_name=_("pilot in the register"),
    )
    open_for_joining = models.BooleanField(_("open for joining"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sensor project")
        verbose_name_plural = _("sensor projects")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sensors:project_detail", kwargs={"slug": self.slug})


class Kit(models.Model):
    """A home kit (STA Thing). `device_id` is what the firmware sends in `X-Sensor`
    ("esp8266-<chip id>"). The device token is shown once and stored as a SHA-256 hash."""

    class State(models.TextChoices):
        # handed out by the municipality, waiting to be claimed with its claim code
        UNCLAIMED = "unclaimed", _("Not yet claimed")
        ACTIVE = "active", _("Active")
        # owner left the project or withdrew consent: not on the map, data refused
        STOPPED = "stopped", _("Stopped")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="kits")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="sensor_kits",
    )
    device_id = models.CharField(_("device id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    token_hash = models.CharField(max_length=64, blank=True)
    token_created_at = models.DateTimeField(null=True, blank=True)
    claim_code_hash = models.CharField(max_length=64, blank=True)
    # Exact spot: private (the owner and staff). Public: snapped to a 100 m grid.
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    public_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True,
                                          blank=True)
    public_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True,
                                           blank=True)
    indoor = models.BooleanField(_("indoors"), default=False)
    software_version = models.CharField(max_length=40, blank=True)
    # Not indexed: every push updates it, and an index on it would make each of those updates
    # rewrite every index of the table (no HOT update). The offline check scans active kits.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # When the owner was last told the kit went silent (sent once per silence).
    offline_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        verbose_name = _("sensor kit")
        verbose_name_plural = _("sensor kits")
        indexes = [models.Index(fields=["project", "state"], name="sensors_kit_project_state")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sensors:kit_public", kwargs={"public_id": self.public_id})

    @property
    def is_public(self) -> bool:
        return self.state == self.State.ACTIVE and self.public_latitude is not None

    @property
    def accepts_data(self) -> bool:
        return self.state == self.State.ACTIVE


class KitLocation(models.Model):
    """STA HistoricalLocation: the kit's public location from `time` on."""

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="locations")
    time = models.DateTimeField()
    public_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    public_longitude = models.DecimalField(max_digits=9, decimal_places=6)

    class Meta:
        ordering = ["kit", "-time"]

    def __str__(self):
        return f"{self.kit_id} from {self.time:%Y-%m-%d}"


class Datastream(models.Model):
    """One quantity of one kit by one sensor. Calibrated series are separate datastreams
    beside the raw ones (`calibrated_from`), never overwriting raw values."""

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="datastreams")
    observed_property = models.ForeignKey(
        ObservedProperty, on_delete=models.PROTECT, related_name="datastreams",
    )
    sensor = models.ForeignKey(Sensor, on_delete=models.PROTECT, related_name="datastreams")
    calibrated_from = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="calibrated",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    observation_type = models.CharField(
        max_length=200,
        default="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
    )
    # Summaries kept by the ingest service, one UPDATE per datastream per batch.
    first_time = models.DateTimeField(null=True, blank=True)
    last_time = models.DateTimeField(null=True, blank=True)
    last_result = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kit", "observed_property"]
        constraints = [
            models.UniqueConstraint(
                fields=["kit", "observed_property", "sensor"],
                condition=models.Q(calibrated_from__isnull=True),
                name="sensors_datastream_one_raw",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_calibrated(self) -> bool:
        return self.calibrated_from_id is not None


class Quality(models.IntegerChoices):
    """Bit flags on an observation (`Observation.quality`); 0 = no remarks."""

    OUT_OF_RANGE = 1, _("outside the plausible range")
    SPIKE = 2, _("spike")
    FLATLINE = 4, _("stuck: the same value for a long time")
    HUMID = 8, _("humidity above 95%: particulate matter reads too high")
    FUTURE = 16, _("time in the future")


class Observation(models.Model):
    """One value. Narrow on purpose: this table grows without bound."""

    id = models.BigAutoField(primary_key=True)
    # No foreign-key constraint in the database: checking it costs half the time of a bulk
    # COPY (per row, at commit). Every write checks its datastreams first (one query per
    # batch), Django's CASCADE still deletes a datastream's observations, and every read joins
    # through the datastream. See docs/decisions.md.
    datastream = models.ForeignKey(
        Datastream, on_delete=models.CASCADE, related_name="observations", db_index=False,
        db_constraint=False,
    )
    phenomenon_time = models.DateTimeField()
    result = models.FloatField()
    result_time = models.DateTimeField(null=True, blank=True)
    quality = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["datastream", "phenomenon_time"], name="sensors_observation_once",
            ),
        ]

    def __str__(self):
        return f"{self.datastream_id}@{self.phenomenon_time}: {self.result}"


class Aggregate(models.Model):
    """Hourly and daily count/mean/min/max per datastream, maintained incrementally by Celery
    from the buckets that received data (`AggregateDirty`)."""

    class Interval(models.TextChoices):
        HOUR = "hour", _("hour")
        DAY = "day", _("day")

    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE,
                                   related_name="aggregates")
    interval = models.CharField(max_length=4, choices=Interval.choices)
    start = models.DateTimeField()
    count = models.PositiveIntegerField()
    mean = models.FloatField()
    minimum = models.FloatField()
    maximum = models.FloatField()
    # Observations without quality remarks only; flagged ones are counted apart.
    flagged = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["datastream", "interval", "start"],
                                    name="sensors_aggregate_once"),
        ]

    def __str__(self):
        return f"{self.datastream_id} {self.interval} {self.start:%Y-%m-%d %H:%M}"


class AggregateDirty(models.Model):
    """A (datastream, hour) that received observations since its aggregate was computed."""

    datastream = models.ForeignKey(Datastream, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["datastream", "hour"], name="sensors_dirty_once"),
        ]

    def __str__(self):
        return f"{self.datastream_id} {self.hour:%Y-%m-%d %H:00}"


class Membership(models.Model):
    """A resident who joined a project (after consent)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="sensor_memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="sensors_member_once"),
        ]

    def __str__(self):
        return f"{self.user_id} in {self.project_id}"


class ImportSource(models.Model):
    """A SensorThings API (v1.0 or v1.1) whose observations `sensors.importer` pulls in, e.g.
    RIVM Samen Meten. Its Things (narrowed by `thing_filter`) become kits of `project` without
    an owner; each remote Datastream with a known quantity becomes one of ours. `state` holds,
    per remote datastream, our datastream and the last phenomenonTime imported, so every run
    asks only for what is new."""

    name = models.SlugField(
        _("name"), max_length=60, unique=True,
        help_text=_("Used on the command line: manage.py sta_import <name>."),
    )
    base_url = models.URLField(
        _("service root"), max_length=300,
        help_text=_("The SensorThings service root, e.g. https://api-samenmeten.rivm.nl/v1.0"),
    )
    thing_filter = models.CharField(
        _("Things filter"), max_length=500, blank=True,
        help_text=_("An OData $filter on Things, e.g. properties/project eq 'Zwolle' or "
                    "startswith(name,'ZWL')."),
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT,
                                related_name="import_sources", verbose_name=_("project"))
    property_map = models.JSONField(
        _("quantity mapping"), default=dict, blank=True,
        help_text=_('Remote observed property name or definition to our quantity code, on top '
                    'of the built-in mapping, e.g. {"pm2_5": "pm25"}. An empty code skips it.'),
    )
    backfill_hours = models.PositiveIntegerField(
        _("first import (hours back)"), default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 366)],
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    state = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import source")
        verbose_name_plural = _("import sources")

    def __str__(self):
        return self.name

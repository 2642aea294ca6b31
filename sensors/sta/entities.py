"""The eight SensorThings v1.1 entity types, mapped onto the sensors app's models.

| STA entity        | our rows                                                              |
|-------------------|-----------------------------------------------------------------------|
| Thing             | Kit in state active (unclaimed and stopped kits do not exist here)    |
| Location          | one per active kit with a public location: the 100 m grid point       |
| HistoricalLocation| KitLocation rows of active kits                                       |
| Datastream        | Datastreams of active kits (raw and calibrated)                       |
| Sensor            | Sensor (models such as SDS011)                                        |
| ObservedProperty  | ObservedProperty                                                      |
| Observation       | Observations of active kits' datastreams                              |
| FeatureOfInterest | derived, one per active kit with a public location (id = kit id)      |

Privacy: the exact home location (`Kit.latitude/longitude`) is never read here, and no property
maps onto it, so it can be neither shown nor probed with `$filter`/`$orderby`.

Every property that `$filter` and `$orderby` may use names its ORM path and its type; a
property without one (a constant or a computed value) is refused there with a clear 400.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sensors.models import (
    LICENCE_URLS,
    Datastream,
    Kit,
    KitLocation,
    Observation,
    ObservedProperty,
    Quality,
    Sensor,
)

GEOJSON = "application/geo+json"
DEFAULT_TOP = 100
MAX_TOP = 1_000
MAX_TOP_OBSERVATIONS = 10_000

QUALITY_NAMES = [(flag.value, flag.name.lower()) for flag in Quality]


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def quality_names(bits: int) -> list[str] | None:
    """Our quality flags as a list of names (resultQuality), or null without remarks."""
    if not bits:
        return None
    return [name for value, name in QUALITY_NAMES if bits & value]


def point(kit: Kit) -> dict:
    """The public (grid-snapped) point; never the exact spot."""
    return {"type": "Point",
            "coordinates": [float(kit.public_longitude), float(kit.public_latitude)]}


@dataclass(frozen=True)
class Prop:
    """A property. `orm` is its ORM path (None: not usable in $filter/$orderby); `keys` maps
    the keys of a JSON-object property (properties/..., unitOfMeasurement/...) to
    (ORM path, type); `interval` gives the (start, end) ORM paths of a time interval."""

    name: str
    type: str  # id | num | str | bool | datetime | interval | object | quality
    orm: str | None = None
    keys: dict[str, tuple[str | None, str]] | None = None
    interval: tuple[str, str] | None = None


@dataclass(frozen=True)
class Nav:
    """A navigation property. To-one: `path` is the ORM path from our model to the target row.
    To-many: our field `local` equals the target's field `remote`; `implies_visible` says that
    a visible parent makes all its children visible (no visibility filter needed)."""

    name: str
    target: str  # entity set name
    many: bool
    path: str = ""
    local: str = "pk"
    remote: str = ""
    implies_visible: bool = False


@dataclass
class Entity:
    name: str       # Thing
    set_name: str   # Things
    model: type
    props: list[Prop]
    navs: list[Nav]
    max_top: int = MAX_TOP
    prop_map: dict[str, Prop] = field(init=False)
    nav_map: dict[str, Nav] = field(init=False)

    def __post_init__(self):
        self.prop_map = {prop.name: prop for prop in self.props}
        self.nav_map = {nav.name: nav for nav in self.navs}

    # querysets
    def unrestricted(self):
        return self.model.objects.all()

    def visible(self):
        return self.unrestricted()

    # output: {property name: value}, in the standard's order
    def values(self, row) -> dict:
        raise NotImplementedError


# Kit columns no STA answer needs; the exact spot above all stays in the database.
PRIVATE_KIT_FIELDS = ("latitude", "longitude", "token_hash", "claim_code_hash",
                      "token_created_at")


class ThingEntity(Entity):
    def unrestricted(self):
        return Kit.objects.select_related("project").defer(*PRIVATE_KIT_FIELDS)

    def visible(self):
        return self.unrestricted().filter(state=Kit.State.ACTIVE)

    def values(self, kit):
        project = kit.project
        return {
            "name": kit.name,
            "description": project.summary,
            "properties": {
                "project": project.slug,
                "projectName": project.name,
                "indoor": kit.indoor,
                "licence": project.licence,
                "licenceUrl": LICENCE_URLS.get(project.licence, ""),
                "lastSeenAt": iso(kit.last_seen_at),
            },
        }


class LocationEntity(Entity):
    def unrestricted(self):
        return Kit.objects.filter(public_latitude__isnull=False,
                                  public_longitude__isnull=False).defer(*PRIVATE_KIT_FIELDS)

    def visible(self):
        return self.unrestricted().filter(state=Kit.State.ACTIVE)

    def values(self, kit):
        return {
            "name": kit.name,
            "description": "Public location: the centre of a fixed 100 m grid cell, "
                           "never the exact spot.",
            "encodingType": GEOJSON,
            "location": point(kit),
            "properties": {"gridMetres": 100},
        }


class FeatureOfInterestEntity(LocationEntity):
    def values(self, kit):
        return {
            "name": kit.name,
            "description": "The air at the kit's public location (a fixed 100 m grid cell).",
            "encodingType": GEOJSON,
            "feature": point(kit),
            "properties": {"gridMetres": 100},
        }


class HistoricalLocationEntity(Entity):
    def unrestricted(self):
        return KitLocation.objects.all()

    def visible(self):
        return KitLocation.objects.filter(kit__state=Kit.State.ACTIVE)

    def values(self, row):
        return {"time": iso(row.time)}


class DatastreamEntity(Entity):
    def unrestricted(self):
        return Datastream.objects.select_related("observed_property")

    def visible(self):
        return self.unrestricted().filter(kit__state=Kit.State.ACTIVE)

    def values(self, stream):
        quantity = stream.observed_property
        interval = None
        if stream.first_time and stream.last_time:
            interval = f"{iso(stream.first_time)}/{iso(stream.last_time)}"
        return {
            "name": stream.name,
            "description": stream.description,
            "unitOfMeasurement": {"name": quantity.unit_name, "symbol": quantity.unit_symbol,
                                  "definition": quantity.unit_definition},
            "observationType": stream.observation_type,
            "phenomenonTime": interval,
            "resultTime": None,
            "properties": {
                "calibratedFrom": stream.calibrated_from_id,
                "lastResult": stream.last_result,
                "lastTime": iso(stream.last_time),
            },
        }


class SensorEntity(Entity):
    def values(self, sensor):
        return {
            "name": sensor.name,
            "description": sensor.description,
            "encodingType": sensor.encoding_type,
            "metadata": sensor.metadata,
            "properties": {"code": sensor.code},
        }


class ObservedPropertyEntity(Entity):
    def values(self, quantity):
        return {
            "name": quantity.name,
            "definition": quantity.definition,
            "description": quantity.description,
            "properties": {"code": quantity.code, "unitSymbol": quantity.unit_symbol},
        }


class ObservationEntity(Entity):
    def unrestricted(self):
        return Observation.objects.all()

    def visible(self):
        return Observation.objects.filter(datastream__kit__state=Kit.State.ACTIVE)

    def values(self, obs):
        return {
            "phenomenonTime": iso(obs.phenomenon_time),
            "resultTime": iso(obs.result_time),
            "result": obs.result,
            "resultQuality": quality_names(obs.quality),
        }


ID = Prop("id", "id", "pk")

ENTITIES: dict[str, Entity] = {
    entity.set_name: entity
    for entity in (
        ThingEntity(
            "Thing", "Things", Kit,
            props=[
                ID, Prop("name", "str", "name"),
                Prop("description", "str", "project__summary"),
                Prop("properties", "object", keys={
                    "project": ("project__slug", "str"),
                    "projectName": ("project__name", "str"),
                    "indoor": ("indoor", "bool"),
                    "licence": ("project__licence", "str"),
                    "licenceUrl": (None, "str"),
                    "lastSeenAt": ("last_seen_at", "datetime"),
                }),
            ],
            navs=[
                Nav("Locations", "Locations", True, remote="pk", implies_visible=False),
                Nav("HistoricalLocations", "HistoricalLocations", True, remote="kit_id",
                    implies_visible=True),
                Nav("Datastreams", "Datastreams", True, remote="kit_id", implies_visible=True),
            ],
        ),
        LocationEntity(
            "Location", "Locations", Kit,
            props=[
                ID, Prop("name", "str", "name"), Prop("description", "str"),
                Prop("encodingType", "str"), Prop("location", "object", keys={}),
                Prop("properties", "object", keys={"gridMetres": (None, "num")}),
            ],
            navs=[
                Nav("Things", "Things", True, remote="pk", implies_visible=True),
                Nav("HistoricalLocations", "HistoricalLocations", True, remote="kit_id",
                    implies_visible=True),
            ],
        ),
        HistoricalLocationEntity(
            "HistoricalLocation", "HistoricalLocations", KitLocation,
            props=[ID, Prop("time", "datetime", "time")],
            navs=[
                Nav("Thing", "Things", False, path="kit"),
                Nav("Locations", "Locations", True, local="kit_id", remote="pk"),
            ],
        ),
        DatastreamEntity(
            "Datastream", "Datastreams", Datastream,
            props=[
                ID, Prop("name", "str", "name"), Prop("description", "str", "description"),
                Prop("unitOfMeasurement", "object", keys={
                    "name": ("observed_property__unit_name", "str"),
                    "symbol": ("observed_property__unit_symbol", "str"),
                    "definition": ("observed_property__unit_definition", "str"),
                }),
                Prop("observationType", "str", "observation_type"),
                Prop("phenomenonTime", "interval", interval=("first_time", "last_time")),
                Prop("resultTime", "datetime"),
                Prop("properties", "object", keys={
                    "calibratedFrom": ("calibrated_from_id", "id"),
                    "lastResult": ("last_result", "num"),
                    "lastTime": ("last_time", "datetime"),
                }),
            ],
            navs=[
                Nav("Thing", "Things", False, path="kit"),
                Nav("Sensor", "Sensors", False, path="sensor"),
                Nav("ObservedProperty", "ObservedProperties", False, path="observed_property"),
                Nav("Observations", "Observations", True, remote="datastream_id",
                    implies_visible=True),
            ],
        ),
        SensorEntity(
            "Sensor", "Sensors", Sensor,
            props=[
                ID, Prop("name", "str", "name"), Prop("description", "str", "description"),
                Prop("encodingType", "str", "encoding_type"), Prop("metadata", "str", "metadata"),
                Prop("properties", "object", keys={"code": ("code", "str")}),
            ],
            navs=[Nav("Datastreams", "Datastreams", True, remote="sensor_id")],
        ),
        ObservedPropertyEntity(
            "ObservedProperty", "ObservedProperties", ObservedProperty,
            props=[
                ID, Prop("name", "str", "name"), Prop("definition", "str", "definition"),
                Prop("description", "str", "description"),
                Prop("properties", "object", keys={"code": ("code", "str"),
                                                   "unitSymbol": ("unit_symbol", "str")}),
            ],
            navs=[Nav("Datastreams", "Datastreams", True, remote="observed_property_id")],
        ),
        ObservationEntity(
            "Observation", "Observations", Observation,
            props=[
                ID, Prop("phenomenonTime", "datetime", "phenomenon_time"),
                Prop("resultTime", "datetime", "result_time"), Prop("result", "num", "result"),
                # our quality bit flags; in $filter only "eq null" (no remarks) / "ne null"
                Prop("resultQuality", "quality", "quality"),
            ],
            navs=[
                Nav("Datastream", "Datastreams", False, path="datastream"),
                Nav("FeatureOfInterest", "FeaturesOfInterest", False, path="datastream__kit"),
            ],
            max_top=MAX_TOP_OBSERVATIONS,
        ),
        FeatureOfInterestEntity(
            "FeatureOfInterest", "FeaturesOfInterest", Kit,
            props=[
                ID, Prop("name", "str", "name"), Prop("description", "str"),
                Prop("encodingType", "str"), Prop("feature", "object", keys={}),
                Prop("properties", "object", keys={"gridMetres": (None, "num")}),
            ],
            navs=[Nav("Observations", "Observations", True, remote="datastream__kit_id",
                      implies_visible=True)],
        ),
    )
}

# Entity sets in the order of the standard's service root.
SET_NAMES = ["Datastreams", "FeaturesOfInterest", "HistoricalLocations", "Locations",
             "Observations", "ObservedProperties", "Sensors", "Things"]

"""Creating Observations through the SensorThings API: `POST Observations`,
`POST Datastreams(<id>)/Observations` and `POST CreateObservations` (dataArray).

This module only reads the STA request shapes and checks who may write where; storing is
`sensors.services.observations_store` (bulk insert, replays ignored, bad readings refused one by
one, summaries updated set-based), called once per request.

Who may write: a kit with its own device credentials, to its own raw datastreams; staff with
`sensors.manage_projects`, to any datastream of an active kit. Datastreams of kits that are not
active (unclaimed, stopped) do not exist for the API.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from operator import or_

import psycopg
from django.db import connection
from django.db.models import Q

from sensors.models import Datastream, Kit, Observation
from sensors.services import Reading, observations_store
from sensors.sta.query import StaError, parse_instant

MAX_CREATE_OBSERVATIONS = 10_000
COMPONENTS = ("phenomenonTime", "result", "resultTime", "FeatureOfInterest/id", "parameters",
              "validTime", "resultQuality")


@dataclass(frozen=True)
class Writer:
    kit: Kit | None = None
    staff: bool = False

    def may_write(self, datastream: Datastream) -> bool:
        if self.staff:
            return True
        return (self.kit is not None and datastream.kit_id == self.kit.pk
                and datastream.calibrated_from_id is None)


class RowError(ValueError):
    pass


def _id(value, what: str) -> int:
    if isinstance(value, dict):
        value = value.get("@iot.id", value.get("id"))
    if isinstance(value, bool) or value is None:
        raise StaError(f"{what}: give the id as {{\"@iot.id\": <number>}}; creating "
                       f"{what}s is not supported")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise StaError(f"{what}: not a valid id: {value!r}")


def _result(value) -> float:
    if isinstance(value, bool) or value is None:
        raise RowError("result must be a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise RowError(f"result must be a number, not {value!r}") from None
    else:
        raise RowError("result must be a number")
    if not math.isfinite(number):
        raise RowError("result must be a finite number")
    return number


def _time(value, now: datetime) -> datetime:
    if value is None:
        return now  # the standard: a missing phenomenonTime is the time of receipt
    if value.__class__ is str:
        # The common case of a bulk upload, "2026-11-23T10:20:00Z", read at once; anything
        # else (offsets, spaces, intervals, mistakes) through parse_instant and its messages.
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is UTC:
            return moment
    try:
        return parse_instant(value)
    except StaError as error:
        raise RowError(error.message) from None


def _datastreams(ids, writer: Writer) -> dict[int, Datastream]:
    """The visible datastreams among `ids`; 403 if the writer may not write one of them."""
    found = {stream.pk: stream for stream in Datastream.objects.filter(
        pk__in=ids, kit__state=Kit.State.ACTIVE).only("pk", "kit_id", "calibrated_from_id")}
    for stream in found.values():
        if not writer.may_write(stream):
            own = writer.kit is not None and stream.kit_id == writer.kit.pk
            reason = "it is calibrated, computed by the platform" if own else (
                "it belongs to another kit")
            raise StaError(f"these credentials may not write to Datastreams({stream.pk}): "
                           f"{reason}", 403)
    return found


def observation_create(*, writer: Writer, body, datastream_id: int | None,
                       now: datetime) -> tuple[int, bool]:
    """One Observation: (its id, whether it is new). A replay of an existing (datastream,
    phenomenonTime) stores nothing and answers the stored one."""
    if not isinstance(body, dict):
        raise StaError("the body must be one Observation as a JSON object")
    if "Datastream" in body or datastream_id is None:
        if "Datastream" not in body:
            raise StaError("Datastream is missing: POST to Datastreams(<id>)/Observations or "
                           "give \"Datastream\": {\"@iot.id\": <id>}")
        given = _id(body["Datastream"], "Datastream")
        if datastream_id is not None and given != datastream_id:
            raise StaError("the Datastream in the body differs from the one in the URL")
        datastream_id = given
    if "result" not in body:
        raise StaError("result is missing")
    stream = _datastreams([datastream_id], writer).get(datastream_id)
    if stream is None:
        raise StaError(f"no such entity: Datastreams({datastream_id})", 404)
    foi = body.get("FeatureOfInterest")
    if isinstance(foi, dict) and ("@iot.id" in foi or "id" in foi):
        if _id(foi, "FeatureOfInterest") != stream.kit_id:
            raise StaError(f"FeatureOfInterest: the feature of this datastream is "
                           f"FeaturesOfInterest({stream.kit_id})")
    try:
        reading = Reading(stream.pk, _time(body.get("phenomenonTime"), now),
                          _result(body["result"]))
    except RowError as error:
        raise StaError(str(error)) from None
    stored = observations_store([reading], now=now)
    if stored.rejected:
        raise StaError(stored.rejected[0][1])
    pk = Observation.objects.filter(datastream_id=stream.pk,
                                    phenomenon_time=reading.phenomenon_time).values_list(
        "pk", flat=True).first()
    return pk, stored.stored == 1


def observations_create_bulk(*, writer: Writer, body, now: datetime) -> list[int | None]:
    """CreateObservations: one entry per row, the new (or already stored) Observation's id or
    None for a row that could not be stored. Good rows are stored even if others are bad."""
    if not isinstance(body, list):
        raise StaError("CreateObservations needs a JSON array of "
                       "{\"Datastream\", \"components\", \"dataArray\"} objects")
    groups = []
    total = 0
    for number, group in enumerate(body, start=1):
        if not isinstance(group, dict):
            raise StaError(f"item {number}: expected an object with Datastream, components "
                           f"and dataArray")
        if "MultiDatastream" in group:
            raise StaError("MultiDatastreams are not supported")
        if "Datastream" not in group:
            raise StaError(f"item {number}: Datastream is missing")
        components, rows = group.get("components"), group.get("dataArray")
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise StaError(f"item {number}: components must be a list of names")
        unknown = [c for c in components if c not in COMPONENTS]
        if unknown:
            raise StaError(f"item {number}: unknown component {unknown[0]!r} "
                           f"(known: {', '.join(COMPONENTS)})")
        if "result" not in components or len(set(components)) != len(components):
            raise StaError(f"item {number}: components must name result once")
        if not isinstance(rows, list):
            raise StaError(f"item {number}: dataArray must be a list of rows")
        total += len(rows)
        if total > MAX_CREATE_OBSERVATIONS:
            raise StaError(f"at most {MAX_CREATE_OBSERVATIONS} observations per request", 413)
        groups.append((_id(group["Datastream"], "Datastream"), components, rows))
    streams = _datastreams({datastream for datastream, _c, _r in groups}, writer)

    readings: list[Reading] = []
    slots: list[int | None] = []  # per row: index into readings, or None
    for datastream, components, rows in groups:
        stream = streams.get(datastream)
        if stream is None:
            slots.extend([None] * len(rows))
            continue
        position = {name: index for index, name in enumerate(components)}
        width, result = len(components), position["result"]
        time, foi = position.get("phenomenonTime"), position.get("FeatureOfInterest/id")
        stream_id, feature = stream.pk, str(stream.kit_id)
        for row in rows:
            try:
                if row.__class__ is not list or len(row) != width:
                    raise RowError("row does not match the components")
                if foi is not None and str(row[foi]) != feature:
                    raise RowError("wrong FeatureOfInterest")
                reading = Reading(stream_id, _time(row[time] if time is not None else None, now),
                                  _result(row[result]))
            except RowError:
                slots.append(None)
                continue
            slots.append(len(readings))
            readings.append(reading)
    stored = observations_store(readings, now=now) if readings else None
    refused = {index for index, _reason in stored.rejected} if stored else set()
    ids = _ids([r for index, r in enumerate(readings) if index not in refused])
    # readings[slot][:2] is its (datastream, time)
    return [None if slot is None or slot in refused else ids.get(readings[slot][:2])
            for slot in slots]


def _ids(readings: list[Reading]) -> dict[tuple[int, datetime], int]:
    """{(datastream, time): observation id} for stored readings, in one query."""
    if not readings:
        return {}
    spans: dict[int, list[datetime]] = {}
    for datastream, moment, _result, _quality in readings:
        span = spans.get(datastream)
        if span is None:
            spans[datastream] = [moment, moment]
        elif moment < span[0]:
            span[0] = moment
        elif moment > span[1]:
            span[1] = moment
    condition = reduce(or_, (Q(datastream_id=datastream, phenomenon_time__range=span)
                             for datastream, span in spans.items()))
    # May hold a few rows that were already there between the request's own times; the
    # caller looks its readings up by (datastream, time), so those do no harm.
    found = Observation.objects.filter(condition).values_list(
        "datastream_id", "phenomenon_time", "pk")
    if connection.vendor != "postgresql":
        return {(datastream, moment): pk for datastream, moment, pk in found}
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        # Django reads timestamptz with a loader written in Python (~6 µs a value); psycopg's
        # own C loader gives the same UTC datetimes about ten times faster, which counts for
        # the 10,000 rows of a CreateObservations.
        timestamptz = psycopg.adapters.types["timestamptz"].oid
        cursor.cursor.adapters.register_loader(
            timestamptz, psycopg.adapters.get_loader(timestamptz, psycopg.pq.Format.TEXT))
        cursor.execute(sql, params)
        return {(datastream, moment): pk for datastream, moment, pk in cursor.fetchall()}

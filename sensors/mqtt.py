"""MQTT ingest: the SensorThings v1.1 MQTT extension ("create" part), run by
`manage.py mqtt_ingest` (docs/sensors-mqtt-and-import.md).

A client PUBLISHes one Observation JSON to `v1.1/Datastreams(<id>)/Observations`, or to
`v1.1/Observations` with the Datastream in the body:

    {"result": 12.3, "phenomenonTime": "2026-01-01T10:00:00Z"}
    {"result": 12.3, "Datastream": {"@iot.id": 17}}

MQTT topic filters cannot match `Datastreams(+)`, so the ingester subscribes to `v1.1/#` (under
an optional configured prefix) and parses each topic itself. Messages are collected for a short
while (`batch_ms`, or until `batch_size` messages, or until the burst is over) and stored in one
call of `observations_store`; only then are they acknowledged (QoS 1, manual acks). A crash
before the store therefore loses nothing: the broker sends the messages again, and the store
ignores what it already has. Bad messages (no JSON, no number, unknown datastream, a time in the
future, ...) are logged and acknowledged, so they are not sent again; they never stop the loop.

Who may write to which datastream is the broker's business: each device logs in to Mosquitto
with its own user, and the broker's ACL says which topics that user may publish to. The ingester
trusts the broker; it only checks that the datastream exists, is raw and belongs to a kit that
accepts data.
"""

import json
import logging
import math
import queue
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sensors.models import Datastream, Kit
from sensors.services import Reading, observations_store

logger = logging.getLogger("sensors.mqtt")

VERSION = "v1.1"
# An Observation is a few hundred bytes; FROST's default limit is 8092.
MAX_PAYLOAD_BYTES = 16 * 1024
_DATASTREAM_TOPIC = re.compile(r"Datastreams\((\d+)\)/Observations")
_LOGGED_PAYLOAD = 200


class MessageError(ValueError):
    """A message we cannot store; the text says why (it goes to the log)."""


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: datetime
    connection: int  # which connection delivered it: acks only go back on the same one


@dataclass
class IngestStats:
    handled: int = 0   # messages taken from the broker (good or bad)
    stored: int = 0    # new observations
    replays: int = 0   # valid observations the store already had
    refused: int = 0   # messages logged and skipped

    def __str__(self):
        return (f"{self.handled} message(s): {self.stored} stored, {self.replays} already "
                f"stored, {self.refused} refused")


# --- parsing (no broker, no database) -------------------------------------------------------


def topic_datastream_id(topic: str, *, prefix: str = "") -> int | None:
    """The datastream id a topic names, or None for `v1.1/Observations` (the body names it).
    Raises MessageError for any other topic."""
    if prefix and not topic.startswith(prefix):
        raise MessageError(f"topic outside the prefix {prefix!r}")
    rest = topic[len(prefix):]
    if not rest.startswith(VERSION + "/"):
        raise MessageError(f"not a SensorThings {VERSION} topic")
    path = rest[len(VERSION) + 1:]
    if path == "Observations":
        return None
    match = _DATASTREAM_TOPIC.fullmatch(path)
    if match is None:
        raise MessageError(
            "unsupported topic: publish to v1.1/Datastreams(<id>)/Observations or "
            "v1.1/Observations"
        )
    return int(match.group(1))


def _body_datastream_id(body: dict) -> int | None:
    reference = body.get("Datastream")
    if reference is None:
        return None
    if not isinstance(reference, dict) or "@iot.id" not in reference:
        raise MessageError('Datastream must be {"@iot.id": <id>}')
    value = reference["@iot.id"]
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise MessageError("Datastream @iot.id must be a whole number")
    return int(value)


def parse_time(value, *, name: str = "phenomenonTime") -> datetime:
    """An ISO 8601 instant with a time zone. Of an interval ("start/end") the start is used."""
    if not isinstance(value, str):
        raise MessageError(f"{name} must be an ISO 8601 text")
    text = value.split("/", 1)[0].strip()
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise MessageError(f"{name} is not an ISO 8601 time: {value[:40]!r}")
    if timezone.is_naive(moment):
        raise MessageError(f"{name} has no time zone")
    return moment


def parse_result(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MessageError("result is not a number")
    try:
        number = float(value)
    except OverflowError:
        raise MessageError("result is not a finite number") from None
    if not math.isfinite(number):
        raise MessageError("result is not a finite number")
    return number


def message_reading(*, topic: str, payload: bytes, received_at: datetime,
                    prefix: str = "") -> Reading:
    """Turn one MQTT message into a Reading, or raise MessageError. Without a phenomenonTime
    the observation is stamped with the time it arrived (as the standard prescribes)."""
    topic_id = topic_datastream_id(topic, prefix=prefix)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MessageError(f"message larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MessageError("payload is not JSON") from None
    if not isinstance(body, dict):
        raise MessageError("payload is not a JSON object (one Observation)")
    if "result" not in body:
        raise MessageError("no result")
    result = parse_result(body["result"])
    body_id = _body_datastream_id(body)
    if topic_id is not None and body_id is not None and body_id != topic_id:
        raise MessageError("the Datastream in the body differs from the one in the topic")
    datastream_id = topic_id if topic_id is not None else body_id
    if datastream_id is None:
        raise MessageError("no Datastream: publish to v1.1/Datastreams(<id>)/Observations or "
                           'put "Datastream": {"@iot.id": <id>} in the body')
    phenomenon = body.get("phenomenonTime")
    moment = received_at if phenomenon is None else parse_time(phenomenon)
    return Reading(datastream_id, moment, result)


def _shown(payload: bytes) -> str:
    text = payload[:_LOGGED_PAYLOAD].decode("utf-8", errors="replace")
    return repr(text + ("…" if len(payload) > _LOGGED_PAYLOAD else ""))


def writable_datastreams(ids) -> set[int]:
    """Of these ids, the raw datastreams of kits that accept data (one query). Calibrated
    series are computed here, never sent in; a stopped kit's data is refused."""
    return set(
        Datastream.objects.filter(
            pk__in=ids, calibrated_from__isnull=True, kit__state=Kit.State.ACTIVE,
        ).values_list("pk", flat=True)
    )


# --- the broker connection ----------------------------------------------------------------


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> "BrokerAddress":
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
            raise ValueError(f"MQTT_URL must look like mqtt://host:1883 or mqtts://host:8883, "
                             f"not {parts.scheme or url!r}")
        tls = parts.scheme in ("mqtts", "ssl")
        return cls(
            host=parts.hostname, port=parts.port or (8883 if tls else 1883), tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __str__(self):  # never shows the password
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


@dataclass
class Ingester:
    """Subscribe, collect, store in batches, acknowledge. `run()` blocks; `stop()` ends it
    (from another thread or a signal handler) after the batch in hand is stored."""

    url: str
    topic_prefix: str = ""
    client_id: str = "stadsmakers-mqtt-ingest"
    # A persistent session: while the ingester is down (a deploy), the broker keeps its
    # QoS 1 messages and delivers them when it is back.
    clean_session: bool = False
    # Several ingesters may share the load through an MQTT shared subscription.
    share_group: str = ""
    batch_size: int = 500
    batch_ms: int = 200
    # A batch is also stored when no message came for this long: the burst is over. Storing
    # soon matters: the broker keeps only so many unacknowledged messages per client
    # (Mosquitto: max_queued_messages, 1000 by default) and drops what comes on top.
    idle_ms: int = 20
    reconnect_min_delay: int = 1
    reconnect_max_delay: int = 60
    keepalive: int = 60
    stats: IngestStats = field(default_factory=IngestStats)

    def __post_init__(self):
        self.address = BrokerAddress.from_url(self.url)
        self.ready = threading.Event()          # connected and subscribed
        self._stop = threading.Event()
        self._queue: queue.Queue[Incoming] = queue.Queue()
        self._connection = 0
        self._client = self._make_client()

    @property
    def topic_filter(self) -> str:
        topic = f"{self.topic_prefix}{VERSION}/#"
        return f"$share/{self.share_group}/{topic}" if self.share_group else topic

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
            clean_session=self.clean_session, protocol=mqtt.MQTTv311, manual_ack=True,
        )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(self.reconnect_min_delay, self.reconnect_max_delay)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    # paho's network thread calls these; they only log, subscribe and queue.

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            logger.error("MQTT broker %s refused the connection: %s", self.address, reason_code)
            return
        self._connection += 1
        logger.info("connected to MQTT broker %s as %s; subscribing to %s", self.address,
                    self.client_id, self.topic_filter)
        client.subscribe(self.topic_filter, qos=1)

    def _on_connect_fail(self, client, userdata):
        logger.warning("cannot reach MQTT broker %s; trying again (waiting up to %ss)",
                       self.address, self.reconnect_max_delay)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.ready.clear()
        if not self._stop.is_set():
            logger.warning("lost the MQTT broker %s (%s); reconnecting", self.address,
                           reason_code)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if any(code.is_failure for code in reason_codes):
            logger.error("MQTT broker %s refused the subscription to %s (check its ACL)",
                         self.address, self.topic_filter)
            return
        self.ready.set()

    def _on_message(self, client, userdata, message):
        try:
            topic = message.topic
        except UnicodeDecodeError:  # brokers refuse such topics; never let it stop the loop
            topic = "<topic is not UTF-8>"
        self._queue.put(Incoming(
            topic=topic, payload=bytes(message.payload), mid=message.mid,
            qos=message.qos, received_at=timezone.now(), connection=self._connection,
        ))

    # the ingest loop (the caller's thread: all database work happens here)

    def stop(self) -> None:
        self._stop.set()

    def run(self, *, max_messages: int | None = None, idle_exit: float | None = None,
            timeout: float | None = None) -> IngestStats:
        """Ingest until stop(), `max_messages` handled, `idle_exit` seconds without a message
        (once subscribed), or `timeout` seconds."""
        started = time.monotonic()
        last_activity = None
        self._client.connect_async(self.address.host, self.address.port, self.keepalive)
        self._client.loop_start()
        try:
            while not self._stop.is_set():
                limit = self.batch_size
                if max_messages is not None:
                    limit = min(limit, max_messages - self.stats.handled)
                    if limit <= 0:
                        break
                batch = self._collect(limit)
                if batch:
                    self._handle(batch)
                    last_activity = time.monotonic()
                now = time.monotonic()
                if timeout is not None and now - started >= timeout:
                    break
                if idle_exit is not None and self.ready.is_set():
                    last_activity = last_activity or now
                    if now - last_activity >= idle_exit:
                        break
        finally:
            self._stop.set()
            self._client.disconnect()
            self._client.loop_stop()
        logger.info("MQTT ingest ended: %s", self.stats)
        return self.stats

    def _collect(self, limit: int) -> list[Incoming]:
        try:
            first = self._queue.get(timeout=0.25)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_ms / 1000
        while len(batch) < limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=min(remaining, self.idle_ms / 1000)))
            except queue.Empty:
                break
        return batch

    def _handle(self, batch: list[Incoming]) -> None:
        readings: list[Reading] = []
        origin: list[Incoming] = []
        for message in batch:
            try:
                reading = message_reading(topic=message.topic, payload=message.payload,
                                          received_at=message.received_at,
                                          prefix=self.topic_prefix)
            except MessageError as error:
                self._refuse(message, str(error))
                continue
            readings.append(reading)
            origin.append(message)
        if readings and not self._store(readings, origin):
            return  # stopping while the database is away: the broker sends them again
        self._ack(batch)
        self.stats.handled += len(batch)

    def _store(self, readings: list[Reading], origin: list[Incoming]) -> bool:
        """Store the readings, retrying (with backoff) while the database is unavailable.
        False when told to stop before they could be stored."""
        delay = self.reconnect_min_delay
        while True:
            if not connection.in_atomic_block:
                close_old_connections()
            try:
                writable = writable_datastreams({r.datastream_id for r in readings})
                keep = [i for i, r in enumerate(readings) if r.datastream_id in writable]
                result = (observations_store([readings[i] for i in keep], now=timezone.now())
                          if keep else None)
                break
            except DatabaseError:
                logger.exception("could not store %d observation(s); trying again in %ss",
                                 len(readings), delay)
                if not connection.in_atomic_block:
                    connection.close()
                if self._stop.wait(delay):
                    logger.warning("stopping: %d message(s) not acknowledged; the broker "
                                   "delivers them again", len(origin))
                    return False
                delay = min(delay * 2, self.reconnect_max_delay)
        kept = set(keep)
        for index, reading in enumerate(readings):
            if index not in kept:
                self._refuse(origin[index], f"datastream {reading.datastream_id} is unknown, "
                                            "calibrated, or of a kit that does not accept data")
        if result is not None:
            for index, reason in result.rejected:
                self._refuse(origin[keep[index]], reason)
            self.stats.stored += result.stored
            self.stats.replays += result.received - result.stored
        return True

    def _refuse(self, message: Incoming, reason: str) -> None:
        self.stats.refused += 1
        logger.warning("MQTT message refused (%s) on %s: %s", reason, message.topic,
                       _shown(message.payload))

    def _ack(self, batch: list[Incoming]) -> None:
        current = self._connection
        for message in batch:
            # A message of an earlier connection is sent again by the broker (same session)
            # or was lost with a clean one; its id may now belong to another message.
            if message.qos > 0 and message.connection == current:
                self._client.ack(message.mid, message.qos)

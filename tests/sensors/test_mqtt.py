"""MQTT ingest (`sensors.mqtt`, `manage.py mqtt_ingest`) against the real Mosquitto broker.

The ingester runs in the test's own thread (so it sees the test's database transaction); a
second thread publishes once the ingester has subscribed. Every test uses its own topic prefix,
so parallel test runs on the same broker never see each other's messages. Without a broker the
broker tests skip, except under CI=true, where they fail with the reason.
"""

import datetime as dt
import json
import logging
import os
import socket
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from sensors import mqtt as ingest
from sensors.models import Kit, Observation
from sensors.mqtt import BrokerAddress, Ingester, MessageError, message_reading
from tests.sensors.factories import DatastreamFactory

BROKER_URL = os.environ.get("MQTT_TEST_URL", "mqtt://127.0.0.1:1883")
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def broker():
    address = BrokerAddress.from_url(BROKER_URL)
    try:
        socket.create_connection((address.host, address.port), timeout=2).close()
    except OSError as error:
        reason = (f"the MQTT broker (Mosquitto) is not reachable at {address} ({error}); "
                  "start it, or point MQTT_TEST_URL at one")
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return BROKER_URL


@pytest.fixture
def prefix():
    return f"test-{uuid.uuid4().hex[:12]}/"


def _publish(messages, *, qos=1):
    address = BrokerAddress.from_url(BROKER_URL)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"test-pub-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv311)
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(timeout=10)
    finally:
        client.disconnect()
        client.loop_stop()


def _json(body):
    return json.dumps(body).encode()


def _ingest(prefix, messages, *, expect=None, **options):
    """Start an ingester, publish `messages` once it is subscribed, and ingest until `expect`
    messages (default: all) were handled."""
    ingester = Ingester(url=BROKER_URL, topic_prefix=prefix, clean_session=True,
                        client_id=f"test-ingest-{uuid.uuid4().hex[:8]}", **options)
    published = threading.Event()

    def publisher():
        if ingester.ready.wait(timeout=10):
            _publish(messages)
            published.set()

    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    stats = ingester.run(max_messages=len(messages) if expect is None else expect, timeout=20)
    thread.join(timeout=10)
    assert published.is_set(), "the ingester never subscribed"
    return stats


def _topic(prefix, datastream):
    return f"{prefix}v1.1/Datastreams({datastream.pk})/Observations"


# --- against the broker ------------------------------------------------------------------------


@pytest.mark.django_db
def test_observations_on_a_datastream_topic_are_stored(broker, prefix):
    stream = DatastreamFactory(observed_property__code="pm25")
    before = timezone.now()

    stats = _ingest(prefix, [
        (_topic(prefix, stream), _json({"result": 12.5, "phenomenonTime": "2026-01-01T10:00:00Z"})),
        (_topic(prefix, stream), _json({"result": 7, "phenomenonTime": "2026-01-01T12:00:00+01:00",
                                        "resultTime": "2026-01-01T11:00:05Z"})),
        (_topic(prefix, stream), _json({"result": 3.25})),   # stamped on arrival
    ])

    assert (stats.handled, stats.stored, stats.refused) == (3, 3, 0)
    rows = list(Observation.objects.filter(datastream=stream).order_by("phenomenon_time")
                .values_list("phenomenon_time", "result"))
    assert rows[:2] == [(dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC), 12.5),
                        (dt.datetime(2026, 1, 1, 11, tzinfo=dt.UTC), 7.0)]
    assert rows[-1][1] == 3.25
    assert before <= rows[-1][0] <= timezone.now()
    stream.refresh_from_db()
    assert stream.last_result == 3.25
    assert Kit.objects.get(pk=stream.kit_id).last_seen_at >= before


@pytest.mark.django_db
def test_the_observations_topic_takes_the_datastream_from_the_body(broker, prefix, caplog):
    stream = DatastreamFactory()

    stats = _ingest(prefix, [
        (f"{prefix}v1.1/Observations",
         _json({"result": 1.5, "phenomenonTime": "2026-02-01T00:00:00Z",
                "Datastream": {"@iot.id": stream.pk}})),
        (f"{prefix}v1.1/Observations", _json({"result": 2.5})),
    ])

    assert (stats.stored, stats.refused) == (1, 1)
    assert Observation.objects.get().result == 1.5
    assert "no Datastream" in caplog.text


@pytest.mark.django_db
def test_a_replayed_observation_is_stored_once(broker, prefix):
    stream = DatastreamFactory()
    message = (_topic(prefix, stream),
               _json({"result": 4.0, "phenomenonTime": "2026-03-01T08:00:00Z"}))

    first = _ingest(prefix, [message, message])
    again = _ingest(prefix, [message])

    assert (first.stored, first.replays) == (1, 1)
    assert (again.stored, again.replays) == (0, 1)
    assert Observation.objects.count() == 1


@pytest.mark.django_db
def test_bad_messages_are_logged_and_skipped_and_the_good_ones_stored(broker, prefix, caplog):
    stream = DatastreamFactory()
    topic = _topic(prefix, stream)
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    caplog.set_level(logging.WARNING, logger="sensors.mqtt")

    stats = _ingest(prefix, [
        (topic, b'{"result": 1.0, "phenomenonTime": '),                     # cut off
        (topic, b"\xff\xfe not even text"),
        (topic, _json({"result": "high"})),
        (topic, _json({"result": True})),
        (topic, _json({"result": 5.0, "phenomenonTime": future})),
        (topic, _json({"result": 5.0, "phenomenonTime": "2026-01-01T10:00:00"})),  # no zone
        (topic, _json({"result": 5.0, "phenomenonTime": "yesterday"})),
        (topic, _json([{"result": 5.0}])),
        (f"{prefix}v1.1/Datastreams(7777777)/Observations", _json({"result": 5.0})),
        (f"{prefix}v1.1/Things(1)/Locations", _json({"result": 5.0})),
        (topic, _json({"result": 42.0, "phenomenonTime": "2026-01-01T10:00:00Z"})),  # good
    ])

    assert (stats.handled, stats.stored, stats.refused) == (11, 1, 10)
    assert list(Observation.objects.values_list("result", flat=True)) == [42.0]
    for reason in ("payload is not JSON", "result is not a number", "time is in the future",
                   "phenomenonTime has no time zone", "phenomenonTime is not an ISO 8601 time",
                   "not a JSON object", "datastream 7777777 is unknown", "unsupported topic"):
        assert reason in caplog.text


@pytest.mark.django_db
def test_a_stopped_kit_and_a_calibrated_series_take_no_mqtt_data(broker, prefix, caplog):
    stopped = DatastreamFactory(kit__state=Kit.State.STOPPED)
    raw = DatastreamFactory()
    calibrated = DatastreamFactory(kit=raw.kit, observed_property=raw.observed_property,
                                   sensor=raw.sensor, calibrated_from=raw)

    stats = _ingest(prefix, [
        (_topic(prefix, stopped), _json({"result": 1.0})),
        (_topic(prefix, calibrated), _json({"result": 1.0})),
    ])

    assert (stats.stored, stats.refused) == (0, 2)
    assert not Observation.objects.exists()
    assert "does not accept data" in caplog.text


@pytest.mark.django_db
def test_messages_are_stored_in_batches(broker, prefix, monkeypatch):
    stream = DatastreamFactory()
    calls = []
    real_store = ingest.observations_store

    def counting_store(readings, **kwargs):
        calls.append(len(readings))
        return real_store(readings, **kwargs)

    monkeypatch.setattr(ingest, "observations_store", counting_store)
    start = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    messages = [(_topic(prefix, stream),
                 _json({"result": i / 10, "phenomenonTime": (start + dt.timedelta(seconds=i))
                        .isoformat()})) for i in range(300)]

    stats = _ingest(prefix, messages)

    assert stats.stored == Observation.objects.count() == 300
    assert sum(calls) == 300
    assert len(calls) <= 60   # a few hundred messages, a few dozen inserts at most


@pytest.mark.django_db
def test_while_the_database_is_away_messages_wait_and_are_stored_after(broker, prefix,
                                                                       monkeypatch, caplog):
    stream = DatastreamFactory()
    real_store = ingest.observations_store
    failures = [OperationalError("the database system is starting up")]

    def flaky_store(readings, **kwargs):
        if failures:
            raise failures.pop()
        return real_store(readings, **kwargs)

    monkeypatch.setattr(ingest, "observations_store", flaky_store)

    stats = _ingest(prefix, [(_topic(prefix, stream), _json({"result": 9.0}))],
                    reconnect_min_delay=1)

    assert stats.stored == 1
    assert Observation.objects.get().result == 9.0
    assert "could not store 1 observation(s); trying again" in caplog.text


@pytest.mark.django_db
def test_the_command_receives_what_was_published_while_it_was_down(broker, prefix):
    stream = DatastreamFactory()
    client_id = f"test-session-{uuid.uuid4().hex[:8]}"
    options = {"url": BROKER_URL, "topic_prefix": prefix, "client_id": client_id}
    # First start: the broker now keeps a session (with its subscription) for this client.
    call_command("mqtt_ingest", "--once", "--idle", "0.3", "--timeout", "10", **options)

    _publish([(_topic(prefix, stream), _json({"result": v, "phenomenonTime":
                                              f"2026-05-01T0{v}:00:00Z"})) for v in (1, 2, 3)])
    try:
        call_command("mqtt_ingest", "--max-messages", "3", "--timeout", "15", **options)
    finally:   # end the session on the broker
        _forget_session(client_id)

    assert sorted(Observation.objects.values_list("result", flat=True)) == [1.0, 2.0, 3.0]


def _forget_session(client_id):
    address = BrokerAddress.from_url(BROKER_URL)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=True, protocol=mqtt.MQTTv311)
    client.connect(address.host, address.port)
    client.disconnect()


@pytest.mark.django_db
def test_stop_ends_the_ingester_cleanly(broker, prefix):
    ingester = Ingester(url=BROKER_URL, topic_prefix=prefix, clean_session=True,
                        client_id=f"test-stop-{uuid.uuid4().hex[:8]}")

    def stop_when_ready():
        ingester.ready.wait(timeout=10)
        ingester.stop()   # what SIGTERM does

    threading.Thread(target=stop_when_ready, daemon=True).start()
    stats = ingester.run(timeout=15)

    assert stats.handled == 0
    assert not ingester.ready.is_set()


def test_an_unreachable_broker_is_retried_and_never_crashes(caplog):
    ingester = Ingester(url="mqtt://127.0.0.1:1", client_id="test-unreachable",
                        clean_session=True, reconnect_max_delay=1)

    stats = ingester.run(timeout=1.5)

    assert stats.handled == 0
    assert "cannot reach MQTT broker mqtt://127.0.0.1:1" in caplog.text


def test_the_command_says_when_mqtt_is_off(settings):
    settings.MQTT_URL = ""

    with pytest.raises(CommandError, match="MQTT ingest is off: set MQTT_URL"):
        call_command("mqtt_ingest")
    with pytest.raises(CommandError, match="MQTT_URL must look like"):
        call_command("mqtt_ingest", url="http://127.0.0.1:1883")


# --- parsing, without a broker -------------------------------------------------------------------


@pytest.mark.parametrize(("topic", "datastream_id"), [
    ("v1.1/Datastreams(17)/Observations", 17),
    ("v1.1/Observations", None),
    ("city/v1.1/Datastreams(5)/Observations", "outside"),
])
def test_topics(topic, datastream_id):
    if datastream_id == "outside":
        with pytest.raises(MessageError, match="not a SensorThings v1.1 topic"):
            ingest.topic_datastream_id(topic)
        assert ingest.topic_datastream_id(topic, prefix="city/") == 5
    else:
        assert ingest.topic_datastream_id(topic) == datastream_id


@pytest.mark.parametrize(("topic", "reason"), [
    ("v1.0/Datastreams(1)/Observations", "not a SensorThings v1.1 topic"),
    ("v1.1/Datastreams(abc)/Observations", "unsupported topic"),
    ("v1.1/FeaturesOfInterest(3)/Observations", "unsupported topic"),
    ("v1.1/Datastreams(1)/Observations/extra", "unsupported topic"),
])
def test_unsupported_topics(topic, reason):
    with pytest.raises(MessageError, match=reason):
        ingest.topic_datastream_id(topic)


def _reading(payload, topic="v1.1/Datastreams(3)/Observations"):
    return message_reading(topic=topic, payload=payload, received_at=NOW)


def test_a_message_becomes_a_reading():
    reading = _reading(_json({"result": 20, "phenomenonTime":
                              "2026-11-23T10:00:00Z/2026-11-23T11:00:00Z"}))

    assert (reading.datastream_id, reading.result) == (3, 20.0)
    assert reading.phenomenon_time == dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)  # start
    assert _reading(_json({"result": 1.5})).phenomenon_time == NOW


@pytest.mark.parametrize(("payload", "reason"), [
    (b"NaN", "not a JSON object"),
    (b'{"result": NaN}', "not a finite number"),
    (b'{"result": 1e999}', "not a finite number"),
    (b'{"result": ' + b"9" * 400 + b"}", "not a finite number"),
    (b'{"phenomenonTime": "2026-01-01T00:00:00Z"}', "no result"),
    (b'{"result": null}', "not a number"),
    (b'{"result": 1, "phenomenonTime": 5}', "must be an ISO 8601 text"),
    (b'{"result": 1, "Datastream": {"@iot.id": 4}}', "differs from the one in the topic"),
    (b'{"result": 1, "Datastream": 4}', "Datastream must be"),
    (b'{"result": 1, "Datastream": {"@iot.id": true}}', "whole number"),
    (b'{"result": 1, "pad": "' + b"x" * 20000 + b'"}', "larger than"),
])
def test_bad_messages_say_why(payload, reason):
    with pytest.raises(MessageError, match=reason):
        _reading(payload)


def test_broker_urls():
    address = BrokerAddress.from_url("mqtts://ingest:s%40cret@broker.example:8884")

    assert (address.host, address.port, address.tls) == ("broker.example", 8884, True)
    assert (address.username, address.password) == ("ingest", "s@cret")
    assert str(address) == "mqtts://broker.example:8884"   # no password in logs
    assert BrokerAddress.from_url("mqtt://127.0.0.1").port == 1883

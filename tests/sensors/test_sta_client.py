"""An existing SensorThings client, unchanged, against our server: FROST's Python client
(`frost-sta-client`) as a black box over real HTTP (pytest-django's live_server)."""

import datetime as dt

import pytest

from sensors.models import Observation
from tests.sensors.test_sta_create import credentials
from tests.sensors.test_sta_read import HOURS, build_network

fsc = pytest.importorskip("frost_sta_client")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:furl.pathstr is deprecated:DeprecationWarning"),
]


@pytest.fixture
def network(db):
    return build_network()


def test_frost_client_lists_things_reads_and_creates_observations(live_server, network):
    url = f"{live_server.url}/sta/v1.1"
    service = fsc.SensorThingsService(url)

    things = service.things().query().filter("properties/project eq 'senshagen'").list()
    assert sorted(thing.name for thing in things) == sorted([network.home.name,
                                                             network.second.name])

    stream = network.streams[(network.home.name, "pm25")]
    datastream = service.datastreams().find(stream.pk)
    assert datastream.name == stream.name
    assert datastream.unit_of_measurement.symbol == stream.observed_property.unit_symbol
    latest = datastream.get_observations().query().orderby("phenomenonTime", "desc").top(
        2).list()
    results = [observation.result for observation in latest]
    assert results[:2] == [10.0 + HOURS - 1, 10.0 + HOURS - 2]

    # the client follows @iot.nextLink until the end
    every = list(service.observations().query().top(4).list())
    assert sorted(o.id for o in every) == sorted(
        Observation.objects.filter(datastream__kit__state="active").values_list("pk",
                                                                                flat=True))

    # writing with the kit's device id and token as HTTP Basic
    token = credentials(network.home)
    writer = fsc.SensorThingsService(url, auth_handler=fsc.service.auth_handler.AuthHandler(
        username=network.home.device_id, password=token))
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=3)
    observation = fsc.Observation(result=42.5, phenomenon_time=moment.isoformat(),
                                  datastream=datastream)
    writer.create(observation)
    assert Observation.objects.get(pk=observation.id).result == 42.5

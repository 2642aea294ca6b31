"""Open data downloads: stable CSV columns, the licence, only open-data kits at their grid
points, ranges and limits, formula-safe cells, and the project GeoJSON."""

import csv
import datetime as dt
import gzip
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sensors.downloads import COLUMNS
from sensors.models import Aggregate, Kit, Licence, Observation, Quality
from sensors.services import public_location
from tests.sensors.factories import (
    DatastreamFactory,
    KitFactory,
    ObservedPropertyFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

EXACT_LAT, EXACT_LON = "52.534567", "6.051234"
HOUR = dt.timedelta(hours=1)


def placed_kit(**kwargs):
    public_lat, public_lon = public_location(EXACT_LAT, EXACT_LON)
    return KitFactory(latitude=Decimal(EXACT_LAT), longitude=Decimal(EXACT_LON),
                      public_latitude=public_lat, public_longitude=public_lon, **kwargs)


@pytest.fixture
def project():
    return ProjectFactory(slug="senshagen-test", name="#SensHagen")


@pytest.fixture
def dust():
    return ObservedPropertyFactory(code="fijnstof-test", name="Fine dust", unit_symbol="µg/m³")


def this_hour():
    return timezone.now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def with_data(kit, quantity, *, hours=3, value=10.0):
    stream = DatastreamFactory(kit=kit, observed_property=quantity, last_result=value,
                               last_time=this_hour())
    start = this_hour() - (hours - 1) * HOUR
    Aggregate.objects.bulk_create(
        Aggregate(datastream=stream, interval="hour", start=start + n * HOUR, count=20,
                  mean=value + n, minimum=value - 1, maximum=value + 5, flagged=n)
        for n in range(hours)
    )
    Observation.objects.bulk_create(
        # at five past the hour before each aggregate's hour: always in the past, whatever
        # the minute the test runs at (raw downloads end at "now")
        Observation(datastream=stream, phenomenon_time=start + n * HOUR - dt.timedelta(
            minutes=55), result=value + n, quality=Quality.SPIKE if n == 1 else 0)
        for n in range(hours)
    )
    return stream


def download(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, getattr(response, "content", b"")
    body = b"".join(response.streaming_content).decode("utf-8")
    return response, body, list(csv.DictReader(io.StringIO(body)))


def project_csv(project):
    return reverse("sensors:project_data_csv", kwargs={"slug": project.slug})


def test_the_project_csv_has_the_documented_columns_and_the_licence(client, project, dust):
    kit = placed_kit(project=project, name="Tuin Van Dam")
    with_data(kit, dust)

    response, body, rows = download(client, project_csv(project))

    assert body.splitlines()[0] == ",".join(COLUMNS)
    assert COLUMNS == ("kit_id", "kit_name", "project", "lat", "lon", "quantity", "unit",
                       "sensor", "series", "interval", "time", "value", "min", "max", "count",
                       "flagged", "quality", "licence")
    assert response["Content-Type"].startswith("text/csv")
    assert 'rel="license"' in response["Link"]
    assert "https://creativecommons.org/licenses/by/4.0/" in response["Link"]
    assert response["Content-Disposition"].startswith('attachment; filename="senshagen-test_')
    assert len(rows) == 3
    first = rows[0]
    assert first["kit_id"] == str(kit.public_id)
    assert first["kit_name"] == "Tuin Van Dam"
    assert (first["lat"], first["lon"]) == (str(kit.public_latitude), str(kit.public_longitude))
    assert (first["quantity"], first["unit"], first["sensor"], first["series"]) == (
        "fijnstof-test", "µg/m³", "sds011", "raw")
    assert first["interval"] == "hour"
    assert first["time"].endswith(":00:00Z")
    assert (first["value"], first["min"], first["max"], first["count"], first["flagged"]) == (
        "10.0", "9.0", "15.0", "20", "0")
    assert first["licence"] == "CC-BY-4.0"
    assert [row["time"] for row in rows] == sorted(row["time"] for row in rows)


def test_raw_values_come_with_their_quality_remarks(client, project, dust):
    with_data(placed_kit(project=project), dust)

    _response, _body, rows = download(client, project_csv(project), interval="raw")

    assert [row["value"] for row in rows] == ["10.0", "11.0", "12.0"]
    assert [row["quality"] for row in rows] == ["", "spike", ""]
    assert {row["count"] for row in rows} == {""}
    assert rows[0]["time"].endswith(":05:00Z")


def test_the_licence_follows_the_project(client, dust):
    project = ProjectFactory(licence=Licence.CC0)
    with_data(placed_kit(project=project), dust)

    response, _body, rows = download(client, project_csv(project))

    assert rows[0]["licence"] == "CC0-1.0"
    assert "publicdomain/zero/1.0" in response["Link"]


def test_only_open_data_kits_are_in_the_downloads(client, project, dust):
    with_data(placed_kit(project=project, name="Op de kaart"), dust)
    with_data(placed_kit(project=project, name="Gestopt met eigenaar",
                         state=Kit.State.STOPPED), dust)
    with_data(placed_kit(project=project, name="Niet geclaimd", owner=None,
                         state=Kit.State.UNCLAIMED), dust)
    with_data(KitFactory(project=project, name="Zonder locatie"), dust)
    public_lat, public_lon = public_location(EXACT_LAT, EXACT_LON)
    anonymised = KitFactory(project=project, name="Sensor 1a2b3c4d", owner=None,
                            state=Kit.State.STOPPED, public_latitude=public_lat,
                            public_longitude=public_lon)
    with_data(anonymised, dust)

    _response, body, rows = download(client, project_csv(project))

    assert {row["kit_name"] for row in rows} == {"Op de kaart", "Sensor 1a2b3c4d"}
    assert EXACT_LAT not in body
    assert EXACT_LON not in body


def test_the_range_and_interval_are_chosen_with_parameters(client, project, dust):
    with_data(placed_kit(project=project), dust, hours=48)
    start = this_hour() - 10 * HOUR

    _response, _body, rows = download(
        client, project_csv(project), interval="hour",
        **{"from": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
           "to": (start + 3 * HOUR).strftime("%Y-%m-%dT%H:%M:%S")})  # no zone: UTC

    assert [row["time"] for row in rows] == [
        (start + n * HOUR).strftime("%Y-%m-%dT%H:%M:%SZ") for n in range(3)]


def test_a_date_as_to_includes_that_whole_day(client, project, dust):
    with_data(placed_kit(project=project), dust, hours=30)
    today = this_hour().date()

    _response, _body, rows = download(client, project_csv(project), interval="hour",
                                      **{"from": today.isoformat(), "to": today.isoformat()})

    assert rows
    assert all(row["time"].startswith(today.isoformat()) for row in rows)
    assert len(rows) == this_hour().hour + 1


@pytest.mark.parametrize(("params", "message"), [
    ({"interval": "minute"}, "raw, hour of day"),
    ({"interval": "raw", "from": "2026-01-01", "to": "2026-03-01"}, "31"),
    ({"interval": "hour", "from": "2020-01-01", "to": "2026-01-01"}, "366"),
    ({"from": "gisteren"}, "gisteren"),
    ({"from": "2026-02-30"}, "2026-02-30"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "from"),
    ({"from": "9999-12-31"}, "toekomst"),
    ({"to": "0001-01-01"}, "verleden"),
])
def test_bad_parameters_get_a_clear_400(client, project, params, message):
    response = client.get(project_csv(project), params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_text_cells_cannot_become_formulas_but_negative_numbers_stay_numbers(client, project):
    cold = ObservedPropertyFactory(code="temp-test", name="Temperature", unit_symbol="°C")
    with_data(placed_kit(project=project, name="=HYPERLINK(\"https://evil.example\")"), cold,
              value=-4.5)

    _response, _body, rows = download(client, project_csv(project))

    assert rows[0]["kit_name"] == "'=HYPERLINK(\"https://evil.example\")"
    assert rows[0]["value"] == "-4.5"
    assert rows[0]["min"] == "-5.5"


def test_the_kit_csv_has_only_that_kit(client, project, dust):
    kit = placed_kit(project=project, name="Mijn kit")
    with_data(kit, dust)
    with_data(placed_kit(project=project, name="Buurman"), dust)

    response, _body, rows = download(
        client, reverse("sensors:kit_data_csv", kwargs={"public_id": kit.public_id}))

    assert {row["kit_name"] for row in rows} == {"Mijn kit"}
    assert len(rows) == 3
    assert 'rel="license"' in response["Link"]


@pytest.mark.parametrize("state", [Kit.State.STOPPED, Kit.State.UNCLAIMED])
def test_the_kit_csv_of_a_kit_that_is_not_open_data_is_not_found(client, state):
    kit = placed_kit(state=state)

    response = client.get(reverse("sensors:kit_data_csv", kwargs={"public_id": kit.public_id}))

    assert response.status_code == 404


def test_an_unknown_project_is_not_found(client):
    response = client.get(reverse("sensors:project_data_csv", kwargs={"slug": "bestaat-niet"}))

    assert response.status_code == 404


def test_the_project_geojson_has_the_kits_with_their_latest_values(client, project, dust,
                                                                  django_assert_max_num_queries):
    kit = placed_kit(project=project, name="Tuin Van Dam", indoor=True)
    with_data(kit, dust, value=8.25)
    placed_kit(project=project, name="Nog niets gemeten")
    placed_kit(project=project, name="Gestopt", state=Kit.State.STOPPED)

    with django_assert_max_num_queries(4):
        response = client.get(reverse("sensors:project_data_geojson",
                                      kwargs={"slug": project.slug}))

    assert response["Content-Type"].startswith("application/geo+json")
    assert 'rel="license"' in response["Link"]
    data = json.loads(response.content)
    assert data["licence"] == {"id": "CC-BY-4.0", "name": "CC BY 4.0",
                               "url": "https://creativecommons.org/licenses/by/4.0/"}
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    assert set(by_name) == {"Tuin Van Dam", "Nog niets gemeten"}
    feature = by_name["Tuin Van Dam"]
    assert feature["geometry"]["coordinates"] == [float(kit.public_longitude),
                                                  float(kit.public_latitude)]
    assert feature["properties"]["indoor"] is True
    assert feature["properties"]["latest"] == [{
        "quantity": "fijnstof-test", "unit": "µg/m³", "sensor": "sds011", "series": "raw",
        "value": 8.25, "time": this_hour().strftime("%Y-%m-%dT%H:%M:%SZ")}]
    assert by_name["Nog niets gemeten"]["properties"]["latest"] == []
    assert EXACT_LAT.encode() not in response.content
    assert EXACT_LON.encode() not in response.content


def test_the_open_data_page_describes_every_column(client, project):
    response = client.get(reverse("sensors:open_data_help"))

    assert response.status_code == 200
    html = response.content.decode()
    for column in COLUMNS:
        assert f"<code>{column}</code>" in html
    assert reverse("sensors:project_data_geojson", kwargs={"slug": project.slug}) in html


# --- the daily archive ------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def archived_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(gzip.decompress(content).decode("utf-8"))))


def test_a_day_is_archived_as_one_compressed_csv_per_project(client, media, project, dust):
    kit = placed_kit(project=project, name="Tuin Van Dam")
    with_data(kit, dust, hours=30)
    day = (this_hour() - dt.timedelta(days=1)).date()

    call_command("sensors_archive_day", "--date", day.isoformat(), stdout=io.StringIO())

    index = client.get(reverse("sensors:project_archive", kwargs={"slug": project.slug}))
    assert index.status_code == 200
    url = reverse("sensors:project_archive_file",
                  kwargs={"slug": project.slug, "day": day.isoformat()})
    assert url in index.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert 'rel="license"' in response["Link"]
    rows = archived_rows(b"".join(response.streaming_content))
    assert rows
    assert {row["interval"] for row in rows} == {"raw"}
    assert all(row["time"].startswith(day.isoformat()) for row in rows)
    assert {row["kit_name"] for row in rows} == {"Tuin Van Dam"}


def test_rebuilding_an_archived_day_drops_a_deleted_kit(media, project, dust):
    from sensors.archive import archive_open, archives_build, archives_rebuild

    kit = placed_kit(project=project, name="Weg")
    with_data(kit, dust, hours=30)
    day = (this_hour() - dt.timedelta(days=1)).date()
    archives_build(day=day, projects=[project])
    with archive_open(project, day) as handle:
        assert archived_rows(handle.read())

    kit.delete()
    archives_rebuild(project=project, first_day=day - dt.timedelta(days=3), last_day=day)

    with archive_open(project, day) as handle:
        assert archived_rows(handle.read()) == []
    assert archive_open(project, day - dt.timedelta(days=3)) is None  # not made by a rebuild


def test_an_archive_that_does_not_exist_is_not_found(client, media, project):
    for day in ("2026-01-01", "not-a-day"):
        response = client.get(reverse("sensors:project_archive_file",
                                      kwargs={"slug": project.slug, "day": day}))
        assert response.status_code == 404
    index = client.get(reverse("sensors:project_archive", kwargs={"slug": project.slug}))
    assert 'data-testid="empty-state"' in index.content.decode()

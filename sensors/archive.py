"""Daily open-data archive files: per project and per UTC day, every raw measurement of the
project's open-data kits as one gzip-compressed CSV with the columns of the downloads
(`sensors.downloads.COLUMNS`, docs/sensors-open-data.md), like the Sensor.Community archive.

Files live in the default storage (MEDIA) under `sensors-archive/<project>/`, one per day,
named `<project>_<YYYY-MM-DD>.csv.gz`; the public index page lists them and serves them
through a view (so the licence headers come along). Built by `manage.py sensors_archive_day`
(and a daily Celery task calling `archives_build`) for yesterday, or for given days.

Rebuilding is idempotent: a day's file is replaced. When a kit's data is deleted or
anonymised after its days were archived, `archives_rebuild` rewrites the existing files of
those days, so an archive never keeps what the live data no longer has.
"""

import gzip
import re
import tempfile
from datetime import UTC, date, datetime, time, timedelta

from django.core.files import File
from django.core.files.storage import default_storage

from sensors.downloads import Range, csv_stream, open_data_kits, series_of
from sensors.models import Project

ARCHIVE_DIR = "sensors-archive"
_FILE_NAME = re.compile(r"^(?P<slug>[-\w]+)_(?P<day>\d{4}-\d{2}-\d{2})\.csv\.gz$")


def archive_name(project: Project, day: date) -> str:
    return f"{ARCHIVE_DIR}/{project.slug}/{project.slug}_{day:%Y-%m-%d}.csv.gz"


def archive_day_build(*, project: Project, day: date) -> str:
    """Write (or replace) the archive file of one project and one UTC day; its name."""
    since = datetime.combine(day, time.min, tzinfo=UTC)
    span = Range(interval="raw", since=since, until=since + timedelta(days=1))
    series = series_of(open_data_kits().filter(project=project))
    name = archive_name(project, day)
    with tempfile.TemporaryFile() as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as compressed:
            for piece in csv_stream(series, span):
                compressed.write(piece.encode("utf-8"))
        raw.seek(0)
        if default_storage.exists(name):
            default_storage.delete(name)
        saved = default_storage.save(name, File(raw, name=name.rsplit("/", 1)[-1]))
    return saved


def archives_build(*, day: date | None = None, projects=None) -> list[str]:
    """Archive one UTC day (default: yesterday) for every project (or the given ones)."""
    day = day or (datetime.now(UTC).date() - timedelta(days=1))
    projects = Project.objects.order_by("slug") if projects is None else projects
    return [archive_day_build(project=project, day=day) for project in projects]


def archives_rebuild(*, project: Project, first_day: date, last_day: date) -> list[str]:
    """Rewrite the archive files that exist for these days (after a kit's data was deleted or
    anonymised); days without a file stay without one."""
    rebuilt = []
    day = first_day
    while day <= last_day:
        if default_storage.exists(archive_name(project, day)):
            rebuilt.append(archive_day_build(project=project, day=day))
        day += timedelta(days=1)
    return rebuilt


def project_archives(project: Project) -> list[dict]:
    """The project's archive files, newest first: day, storage name and size in bytes."""
    folder = f"{ARCHIVE_DIR}/{project.slug}"
    try:
        _folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = []
    for file_name in files:
        match = _FILE_NAME.match(file_name)
        if match is None or match["slug"] != project.slug:
            continue
        name = f"{folder}/{file_name}"
        found.append({"day": date.fromisoformat(match["day"]), "name": name,
                      "size": default_storage.size(name)})
    return sorted(found, key=lambda item: item["day"], reverse=True)


def archive_open(project: Project, day: date):
    """The archive file of a day, opened for reading, or None."""
    name = archive_name(project, day)
    if not default_storage.exists(name):
        return None
    return default_storage.open(name, "rb")


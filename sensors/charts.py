"""The chart on a kit's public page: hourly or daily averages drawn as server-side SVG (no
JavaScript chart library, no CDN), with a data table as its text alternative.

Input are aggregate rows `(start, mean, minimum, maximum, count)` (the `Aggregate` table, see
`feeds.datastream_series`). A line shows the means and a light band the range from minimum to
maximum; the line breaks where data is missing, so a silent sensor is not drawn as a straight
line. Long series are downsampled for the drawing only (a year of hourly values becomes 12-hour
buckets, at most `MAX_POINTS` points); the table lists the values at the chosen interval.
"""

import math
import operator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.utils import dateformat, timezone

PERIODS = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}
DEFAULT_PERIOD = "7d"
INTERVALS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}

MAX_POINTS = 800
# Bucket widths to downsample to, smallest first (hours).
BUCKET_HOURS = (1, 2, 3, 6, 12, 24, 48, 168)

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 34, 40


def default_interval(period: str) -> str:
    return "day" if period == "1y" else "hour"


def chart_window(*, period: str, interval: str, now: datetime | None = None):
    """(since, until) of a period, ending after the current hour or day (UTC buckets)."""
    now = (now or timezone.now()).astimezone(UTC)
    if interval == "day":
        until = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    else:
        until = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return until - PERIODS[period], until


@dataclass(frozen=True)
class Point:
    start: datetime
    mean: float
    minimum: float
    maximum: float
    count: int


# A row of the drawing: (start in microseconds since 1970, mean, minimum, maximum, count).
Timed = tuple[int, float, float, float, int]

_US = 1_000_000


def _timed(rows) -> list[Timed]:
    """Aggregate rows (start datetime, ...) with the start in whole microseconds since 1970:
    exact (a float timestamp of a 2026 date is precise to 0.2 microseconds) and cheap."""
    return [(round(start.timestamp() * _US), mean, minimum, maximum, count)
            for start, mean, minimum, maximum, count in rows]


def _bucket_width(first_us: int, last_us: int, step: timedelta, max_points: int) -> timedelta:
    """The narrowest of BUCKET_HOURS (never below `step`) that draws the span from the first
    to the last start in fewer than `max_points` buckets (else the widest)."""
    width = step
    for hours in BUCKET_HOURS:
        width = max(step, timedelta(hours=hours))
        if (last_us - first_us) / round(width.total_seconds() * _US) < max_points:
            break
    return width


def _merged(timed: list[Timed], width: timedelta) -> list[Timed]:
    """Rows (oldest first) combined per `width` bucket (counted from 1970): the mean weighted
    by the number of values (a plain mean when no row has a count), minimum and maximum kept.
    One pass with running sums: the rows of a bucket are neighbours."""
    width_us = round(width.total_seconds() * _US)
    merged: list[Timed] = []
    key = None
    rows = plain = weighted = total = low = high = 0

    def close():
        mean = weighted / total if total else plain / rows
        merged.append((key * width_us, mean, low, high, total))

    for start, mean, minimum, maximum, count in timed:
        row_key = start // width_us
        if row_key != key:
            if key is not None:
                close()
            key, rows, plain, weighted, total = row_key, 1, mean, mean * count, count
            low, high = minimum, maximum
            continue
        rows += 1
        plain += mean
        weighted += mean * count
        total += count
        low = minimum if minimum < low else low
        high = maximum if maximum > high else high
    if key is not None:
        close()
    return merged


def downsample(points: list[Point], *, step: timedelta,
               max_points: int = MAX_POINTS) -> tuple[list[Point], timedelta]:
    """Merge points into wider time buckets until at most `max_points` remain. The mean is
    weighted by the number of values; minimum and maximum are kept."""
    if len(points) <= max_points:
        return points, step
    timed = sorted(_timed((p.start, p.mean, p.minimum, p.maximum, p.count) for p in points))
    width = _bucket_width(timed[0][0], timed[-1][0], step, max_points)
    return [Point(datetime.fromtimestamp(start / _US, tz=UTC), mean, minimum, maximum, count)
            for start, mean, minimum, maximum, count in _merged(timed, width)], width


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten), about
    `count` intervals and at most count + 1."""
    if high <= low:
        spread = abs(low) * 0.1 or 1.0
        low, high = low - spread, high + spread
    magnitude = 10 ** math.floor(math.log10((high - low) / count))
    for factor in (1, 2, 2.5, 5, 10, 20, 25, 50):
        step = factor * magnitude
        first = math.floor(low / step + 1e-9) * step
        last = math.ceil(high / step - 1e-9) * step
        if (last - first) / step <= count + 1.001:
            break
    intervals = round((last - first) / step)
    return [round(first + i * step, 10) for i in range(intervals + 1)]


def number_text(value: float) -> str:
    """A tick or value label: no needless decimals."""
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass
class Chart:
    """Everything the SVG template needs; coordinates in the viewBox (WIDTH x HEIGHT)."""

    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    line: str = ""                      # path data of the means (M/L, broken at gaps)
    bands: list = field(default_factory=list)   # polygons (min..max) per unbroken run
    dots: list = field(default_factory=list)    # (x, y) of points without neighbours
    x_ticks: list = field(default_factory=list)  # (x, label)
    y_ticks: list = field(default_factory=list)  # (y, label)
    points: int = 0
    bucket: timedelta | None = None
    lowest: float | None = None
    highest: float | None = None
    mean: float | None = None

    @property
    def empty(self) -> bool:
        return self.points == 0


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _time_ticks(since: datetime, until: datetime):
    """Tick moments and their label format (local time) for a window."""
    span = until - since
    local_since = timezone.localtime(since)
    moments = []
    if span <= timedelta(days=2):
        hours, fmt = (3 if span <= timedelta(hours=30) else 6), "H:i"
        moment = since.replace(minute=0, second=0, microsecond=0)
        while moment <= until:
            if moment >= since and timezone.localtime(moment).hour % hours == 0:
                moments.append(moment)
            moment += timedelta(hours=1)
        return moments, fmt
    if span <= timedelta(days=62):
        days, fmt = (1, "D j") if span <= timedelta(days=10) else (5, "j M")
        day = local_since.date()
        while (moment := _local_midnight(day)) <= until:
            if moment >= since:
                moments.append(moment)
            day += timedelta(days=days)
        return moments, fmt
    day = local_since.date().replace(day=1)
    while (moment := _local_midnight(day)) <= until:
        if moment >= since:
            moments.append(moment)
        day = (day.replace(year=day.year + 1, month=1) if day.month == 12
               else day.replace(month=day.month + 1))
    return moments, "M"


def chart_build(rows, *, since: datetime, until: datetime, step: timedelta,
                non_negative: bool = True) -> Chart:
    """Lay out the chart of aggregate rows (start, mean, minimum, maximum, count), oldest first
    (as `feeds.datastream_series` gives them). Plain tuples and integer microseconds all the
    way: a year of hourly rows is laid out in a few milliseconds."""
    chart = Chart()
    if not rows:
        return chart
    timed = _timed(rows)
    bucket = step
    drawn = timed
    if len(timed) > MAX_POINTS:
        bucket = _bucket_width(timed[0][0], timed[-1][0], step, MAX_POINTS)
        drawn = _merged(timed, bucket)
    chart.points, chart.bucket = len(drawn), bucket
    means, counts = [row[1] for row in timed], [row[4] for row in timed]
    chart.lowest = min(row[2] for row in timed)
    chart.highest = max(row[3] for row in timed)
    total = sum(counts)
    chart.mean = (sum(map(operator.mul, means, counts)) / total if total
                  else sum(means) / len(timed))

    low, high = chart.lowest, chart.highest
    if non_negative and low >= 0 and low <= 0.3 * high:
        low = 0.0
    ticks = nice_ticks(low, high)
    y_low, y_high = ticks[0], ticks[-1]
    plot_w, plot_h = chart.right - chart.left, chart.bottom - chart.top
    seconds = (until - since).total_seconds()
    since_us = round(since.timestamp() * _US)
    half_bucket_us = round(bucket.total_seconds() * _US) // 2
    y_span = (y_high - y_low) or 1

    def x_of(start_us: int) -> float:
        # a bucket is drawn at its middle
        return round(chart.left + plot_w * ((start_us + half_bucket_us - since_us) / _US)
                     / seconds, 1)

    def y_of(value: float) -> float:
        return round(chart.bottom - plot_h * (value - y_low) / y_span, 1)

    chart.y_ticks = [(y_of(tick), number_text(tick)) for tick in ticks]
    moments, fmt = _time_ticks(since, until)
    chart.x_ticks = [
        (round(chart.left + plot_w * (moment - since).total_seconds() / seconds, 1),
         dateformat.format(timezone.localtime(moment), fmt))
        for moment in moments
    ]

    gap_us = round(bucket.total_seconds() * _US) * 1.5
    runs: list[list[Timed]] = []
    for row in drawn:
        if runs and row[0] - runs[-1][-1][0] <= gap_us:
            runs[-1].append(row)
        else:
            runs.append([row])
    line_parts = []
    for run in runs:
        if len(run) == 1:
            chart.dots.append((x_of(run[0][0]), y_of(run[0][1])))
            continue
        placed = [(x_of(row[0]), row) for row in run]
        line_parts.append("M" + " L".join(f"{x},{y_of(row[1])}" for x, row in placed))
        upper = [f"{x},{y_of(row[3])}" for x, row in placed]
        lower = [f"{x},{y_of(row[2])}" for x, row in reversed(placed)]
        chart.bands.append(" ".join(upper + lower))
    chart.line = " ".join(line_parts)
    return chart
